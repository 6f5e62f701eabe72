"""Regenerate src/parley/kit/spec_paths.json from PolyAI's public OpenAPI files.

Usage: python scripts/gen_spec_paths.py ../shared/reference/polyai-openapi
The list lets parley answer 501 NOT_IMPLEMENTED (not 404) on public paths it does not serve yet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

METHODS = ("get", "post", "put", "patch", "delete")


def main(spec_dir: Path) -> None:
    operations: set[tuple[str, str]] = set()
    for path in sorted(spec_dir.iterdir()):
        if path.suffix == ".json":
            doc = json.loads(path.read_text())
        elif path.suffix in (".yaml", ".yml"):
            doc = yaml.safe_load(path.read_text())
        else:
            continue
        for route, item in (doc.get("paths") or {}).items():
            for method in METHODS:
                if method in item:
                    operations.add((method.upper(), route))
    out = Path(__file__).resolve().parents[1] / "src/parley/kit/spec_paths.json"
    rows = [{"method": m, "path": p} for m, p in sorted(operations, key=lambda x: (x[1], x[0]))]
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"{len(rows)} operations -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
