"""The chat benchmark's modules (``bench/chat``, not a package) importable by name: ``import wire``."""

from __future__ import annotations

import sys
from pathlib import Path

CHAT_BENCH = str(Path(__file__).resolve().parents[2] / "bench" / "chat")
if CHAT_BENCH not in sys.path:
    sys.path.append(CHAT_BENCH)
