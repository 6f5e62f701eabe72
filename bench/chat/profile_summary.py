"""Summarise py-spy collapsed stacks (``--format raw``): the top functions by inclusive and self share.

.venv/bin/python bench/chat/profile_summary.py /tmp/prof/server-c16.txt [--filter parley] [--top 40]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def frames(stack: str) -> list[str]:
    out = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        if match is None:
            out.append(frame)
            continue
        path = match["file"]
        for marker in ("site-packages/", "src/", "lib/python3.11/"):
            if marker in path:
                path = path.split(marker, 1)[1]
                break
        out.append(f"{match['func']} ({path})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--filter", default="", help="only frames whose text contains this")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--thread", default="", help="only stacks of threads whose name contains this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in args.path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit() or (args.thread and args.thread not in stack.split(";", 1)[0]):
            continue
        count = int(count_text)
        total += count
        names = frames(stack)
        for name in set(names):
            if args.filter in name:
                inclusive[name] += count
        if names and args.filter in names[-1]:
            own[names[-1]] += count
    print(f"{total} samples")
    print("inclusive:")
    for name, count in inclusive.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {name}")
    print("self:")
    for name, count in own.most_common(args.top):
        print(f"  {100 * count / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
