"""Is a new account id too close to an existing one (CONTRACT.md: Damerau-Levenshtein <= 1)?"""

from __future__ import annotations


def within_one_edit(a: str, b: str) -> bool:
    """True when one substitution, insertion, deletion or adjacent transposition turns a into b."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(shorter) and shorter[i] == longer[i]:
        i += 1
    return shorter[i:] == longer[i + 1 :]


MIN_LENGTH_FOR_SIMILARITY = 6


def too_similar(candidate: str, existing: str) -> bool:
    a, b = candidate.lower(), existing.lower()
    if a == b:
        return True
    if len(candidate) < MIN_LENGTH_FOR_SIMILARITY:
        return False
    return within_one_edit(a, b)
