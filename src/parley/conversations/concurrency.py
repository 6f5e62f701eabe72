"""Maximum concurrent conversations per 5-minute interval: a sweep over start and end events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

INTERVAL = timedelta(minutes=5)


def round_down(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def round_up(moment: datetime) -> datetime:
    down = round_down(moment)
    return down if down == moment.astimezone(UTC) else down + INTERVAL


def max_concurrent(spans: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> list[int]:
    """For each interval [start + k*5min, +5min) up to ``end``, the most conversations live at once.

    A span is [began, finished): one that finishes exactly when another begins does not overlap it.
    """
    count = int((end - start) / INTERVAL)
    events: list[tuple[datetime, int]] = []
    for began, finished in spans:
        if finished <= began:
            finished = began + timedelta(microseconds=1)  # an instant conversation still counts once
        events.append((began, 1))
        events.append((finished, -1))
    # Ends sort before starts at the same instant.
    events.sort(key=lambda e: (e[0], e[1]))
    result = [0] * count
    live = 0
    i = 0
    for k in range(count):
        bucket_start = start + k * INTERVAL
        bucket_end = bucket_start + INTERVAL
        while i < len(events) and events[i][0] <= bucket_start:
            live += events[i][1]
            i += 1
        peak = live
        while i < len(events) and events[i][0] < bucket_end:
            live += events[i][1]
            peak = max(peak, live)
            i += 1
        result[k] = peak
    return result
