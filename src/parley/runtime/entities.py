"""Typed entity extraction from one user message, deterministic and without a model.

Each extractor returns the normalised value (ISO date, HH:MM time, E.164 number, ...) or None
when the message holds no value of that type. ``today`` is injectable so tests and simulated
clocks are deterministic.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import phonenumbers
import regex

_WORD_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?\b")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_WORDS})\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH_WORDS})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_TIME_12 = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)", re.I)
_TIME_24 = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_YES = re.compile(r"\b(yes|yeah|yep|yup|sure|correct|right|ok|okay|absolutely|definitely|please do)\b", re.I)
_NO = re.compile(r"\b(no|nope|nah|not|don't|dont|never|negative)\b", re.I)
_NAME_WORD = r"[A-Za-zÀ-ÿ'\u2019-]+"  # letters, apostrophes (straight and curly), hyphens
_NAME_INTRO = re.compile(
    r"\b(?:my name is|my name's|i am|i'm|this is|it's|call me|name is)\s+"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})",
    re.I,
)
_REGEX_TIMEOUT = 0.05


def _number(message: str, config: dict[str, Any], _today: date) -> Any:
    candidates: list[float] = []
    for match in _NUMBER.finditer(message):
        candidates.append(float(match.group(0).replace(",", ".")))
    for word in re.findall(r"[a-z]+", message.lower()):
        if word in _WORD_NUMBERS:
            candidates.append(float(_WORD_NUMBERS[word]))
    low, high = config.get("min"), config.get("max")
    for value in candidates:
        if (low is not None and value < low) or (high is not None and value > high):
            continue
        if config.get("hasDecimal"):
            return value
        if value.is_integer():
            return int(value)
    return None


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date(message: str, _config: dict[str, Any], today: date) -> Any:
    lowered = message.lower()
    if "today" in lowered:
        return today.isoformat()
    if "day after tomorrow" in lowered:
        return (today + timedelta(days=2)).isoformat()
    if "tomorrow" in lowered:
        return (today + timedelta(days=1)).isoformat()
    if match := _ISO_DATE.search(message):
        found = _valid_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if found:
            return found.isoformat()
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        if match := pattern.search(message):
            month = _MONTHS[match.group(month_group).lower()]
            day = int(match.group(day_group))
            found = _valid_date(today.year, month, day)
            if found and found < today:
                found = _valid_date(today.year + 1, month, day)
            if found:
                return found.isoformat()
    if match := _SLASH_DATE.search(message):
        day, month = int(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else today.year
        year = year + 2000 if year < 100 else year
        found = _valid_date(year, month, day)
        if found:
            return found.isoformat()
    for name, weekday in _WEEKDAYS.items():
        if re.search(rf"\b{name}\b", lowered):
            ahead = (weekday - today.weekday()) % 7 or 7
            return (today + timedelta(days=ahead)).isoformat()
    return None


def _time(message: str, _config: dict[str, Any], _today: date) -> Any:
    lowered = message.lower()
    if "noon" in lowered or "midday" in lowered:
        return "12:00"
    if "midnight" in lowered:
        return "00:00"
    if match := _TIME_12.search(message):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if 1 <= hour <= 12 and minute < 60:
            pm = match.group(3).lower().startswith("p")
            hour = hour % 12 + (12 if pm else 0)
            return f"{hour:02d}:{minute:02d}"
    if match := _TIME_24.search(message):
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    return None


def _phone(message: str, config: dict[str, Any], _today: date) -> Any:
    regions = [str(c).upper() for c in config.get("countryCodes") or []] or ["GB", "US"]
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(message, region):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _email(message: str, _config: dict[str, Any], _today: date) -> Any:
    match = _EMAIL.search(message)
    return match.group(0).lower() if match else None


def _name(message: str, _config: dict[str, Any], _today: date) -> Any:
    if match := _NAME_INTRO.search(message):
        return " ".join(
            part if any(c.isupper() for c in part) else part.capitalize() for part in match.group(1).split()
        )
    words = message.strip().strip(".!").split()
    if 1 <= len(words) <= 3 and all(
        w[:1].isupper() and w.replace("-", "").replace("'", "").isalpha() for w in words
    ):
        return " ".join(words)
    return None


def _yes_no(message: str, _config: dict[str, Any], _today: date) -> Any:
    yes, no = _YES.search(message), _NO.search(message)
    if yes and not no:
        return "yes"
    if no and not yes:
        return "no"
    if yes and no:
        return "yes" if yes.start() < no.start() else "no"
    return None


def _free_text(message: str, _config: dict[str, Any], _today: date) -> Any:
    return message.strip() or None


def _enum(message: str, config: dict[str, Any], _today: date) -> Any:
    options = [str(o) for o in config.get("options") or []]
    lowered = message.lower()
    for option in sorted(options, key=len, reverse=True):
        if re.search(rf"(?<!\w){re.escape(option.lower())}(?!\w)", lowered):
            return option
    return None


def _regex(message: str, config: dict[str, Any], _today: date) -> Any:
    pattern = config.get("pattern")
    if not pattern:
        return None
    try:
        # The `regex` module can time out: a builder's catastrophic pattern cannot stall a turn.
        match = regex.search(str(pattern), message, timeout=_REGEX_TIMEOUT)
    except (regex.error, TimeoutError):
        return None
    return match.group(0) if match else None


EXTRACTORS: dict[str, Callable[[str, dict[str, Any], date], Any]] = {
    "number": _number,
    "numeric": _number,
    "date": _date,
    "time": _time,
    "phone_number": _phone,
    "email": _email,
    "name": _name,
    "yes_no": _yes_no,
    "free_text": _free_text,
    "enum": _enum,
    "regex": _regex,
}


def extract(entity: dict[str, Any], message: str, today: date | None = None) -> Any:
    extractor = EXTRACTORS.get(str(entity.get("type", "")))
    if extractor is None:
        return None
    # Phones and chat apps send curly apostrophes ("I\u2019m"); the patterns are written with straight ones.
    message = message.replace("\u2019", "'")
    return extractor(message, dict(entity.get("config") or {}), today or date.today())
