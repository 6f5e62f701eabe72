"""Carrier-style opt-out keywords: a whole message, any case, surrounding spaces ignored."""

from __future__ import annotations

from typing import Literal

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})

Keyword = Literal["opt_out", "opt_in"]


def classify(text: str) -> tuple[Keyword, str] | None:
    """("opt_out" | "opt_in", the keyword) when the message is exactly one keyword, else None."""
    word = text.strip().upper()
    if word in OPT_OUT:
        return "opt_out", word
    if word in OPT_IN:
        return "opt_in", word
    return None
