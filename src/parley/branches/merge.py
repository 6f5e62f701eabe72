"""Three-way merge of branch resources, field by field. Pure: no database, no HTTP.

``ours`` is the branch being merged, ``theirs`` is main as it is now and ``base`` is main when
the branch was made (CONTRACT.md "Merge sides").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]  # (kind, resource_id)
_MISSING: Any = object()


@dataclass(frozen=True)
class Doc:
    parent_id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Resolution:
    strategy: str  # ours | theirs | base
    value: Any = _MISSING

    @property
    def has_value(self) -> bool:
        return self.value is not _MISSING


@dataclass(frozen=True)
class Conflict:
    path: list[str]
    base: Any
    ours: Any
    theirs: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "base": self.base, "ours": self.ours, "theirs": self.theirs}


@dataclass
class MergeResult:
    merged: dict[Key, Doc] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


def _pick(resolution: Resolution, base: Any, ours: Any, theirs: Any) -> Any:
    if resolution.has_value:
        return resolution.value
    return {"ours": ours, "theirs": theirs, "base": base}[resolution.strategy]


def _plain(value: Any) -> Any:
    return None if value is _MISSING else value


def three_way_merge(
    base: dict[Key, Doc],
    ours: dict[Key, Doc],
    theirs: dict[Key, Doc],
    resolutions: dict[tuple[str, ...], Resolution],
) -> MergeResult:
    result = MergeResult()
    for key in sorted(set(base) | set(ours) | set(theirs)):
        b, o, t = base.get(key), ours.get(key), theirs.get(key)
        if o == b:
            chosen = t
        elif t == b or o == t:
            chosen = o
        elif b is None and o is not None and t is not None:
            # Both sides created the same singleton (e.g. behavior): merge its fields from nothing.
            chosen = _merge_fields(key, Doc(o.parent_id, {}), o, t, resolutions, result)
        elif b is None or o is None or t is None:
            # Deleted on one side and changed on the other, or created on both sides differently.
            path = list(key)
            resolution = resolutions.get(tuple(path))
            b_data, o_data, t_data = (d.data if d else None for d in (b, o, t))
            if resolution is None:
                result.conflicts.append(Conflict(path, b_data, o_data, t_data))
                continue
            picked = _pick(resolution, b_data, o_data, t_data)
            parent = (o or t or b).parent_id  # type: ignore[union-attr]
            chosen = None if picked is None else Doc(parent, {**picked, "id": key[1]})
        else:
            chosen = _merge_fields(key, b, o, t, resolutions, result)
        if chosen is not None:
            result.merged[key] = chosen
    return result


def _merge_fields(
    key: Key,
    base: Doc,
    ours: Doc,
    theirs: Doc,
    resolutions: dict[tuple[str, ...], Resolution],
    result: MergeResult,
) -> Doc:
    merged: dict[str, Any] = {}
    for name in sorted(set(base.data) | set(ours.data) | set(theirs.data)):
        bf = base.data.get(name, _MISSING)
        of = ours.data.get(name, _MISSING)
        tf = theirs.data.get(name, _MISSING)
        if of == bf:
            value = tf
        elif tf == bf or of == tf:
            value = of
        else:
            path = [*key, name]
            resolution = resolutions.get(tuple(path))
            if resolution is None:
                result.conflicts.append(Conflict(path, _plain(bf), _plain(of), _plain(tf)))
                continue
            value = _pick(resolution, bf, of, tf)
        if value is not _MISSING:
            merged[name] = value
    parent = ours.parent_id if ours.parent_id != base.parent_id else theirs.parent_id
    return Doc(parent, merged)
