"""Conversations list benchmark: p95 of filtered, sorted, cursor-paginated pages of 100.

Seeds N synthetic conversations (``parley.conversations.generate``, batched inserts) into a fresh
database, runs ANALYZE, then drives the real app in-process over ASGI (the full HTTP stack: auth,
rate limiting, validation, filter compilation, SQL, turns of the page, JSON) with several query
shapes, following each shape's cursor for several pages. Writes report.json and report.md.

    .venv/bin/python bench/conversations/run.py --database-url sqlite:////tmp/conv-bench.db --count 1000000
    .venv/bin/python bench/conversations/run.py \
        --database-url postgresql://postgres@127.0.0.1:5432/conv_bench --count 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from parley.app import create_app
from parley.cli import prepare_database
from parley.config import BootstrapSettings, DatabaseSettings, RateLimitSettings, Settings
from parley.conversations.generate import GenerateOptions, generate
from parley.kit.db import create_engine
from parley.models.conversation import Conversation

KEY = "pk_bench_admin_0123456789abcdefghijklmn"
HERE = Path(__file__).parent

SHAPES: list[tuple[str, dict[str, str]]] = [
    ("default order (newest first)", {}),
    ("channel param + started_at asc", {"channel": "webchat", "sort": "started_at"}),
    (
        'filter channel = "voice" AND duration >= 30, sort -duration',
        {"filter": 'channel = "voice" AND duration >= 30', "sort": "-duration"},
    ),
    (
        'filter topic = "Parking" AND handoff = false, sort -started_at',
        {"filter": 'topic = "Parking" AND handoff = false', "sort": "-started_at"},
    ),
    (
        'filter (variant_name in ("London", "Paris") OR handoff exists) AND in_progress = false',
        {
            "filter": '(variant_name in ("London", "Paris") OR handoff exists) AND in_progress = false',
            "sort": "started_at:desc",
        },
    ),
    (
        'filter language = "fr-FR" AND turn_count >= 3, sort conversation_id:desc',
        {"filter": 'language = "fr-FR" AND turn_count >= 3', "sort": "conversation_id:desc"},
    ),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def seed(url: str, count: int, reuse: bool) -> dict[str, Any]:
    settings = Settings(database=DatabaseSettings(url=url), bootstrap=BootstrapSettings(api_key=KEY))
    await prepare_database(settings, announce=False)
    engine = create_engine(settings.database)
    try:
        async with engine.connect() as conn:
            existing = await conn.scalar(
                select(func.count()).select_from(Conversation).where(Conversation.agent_id == "bench")
            )
        seconds = 0.0
        if not (reuse and existing and existing >= count):
            began = time.perf_counter()

            def progress(done: int, elapsed: float) -> None:
                if done % 100_000 == 0 or done == count:
                    print(f"  {done:>9} conversations in {elapsed:7.1f} s", file=sys.stderr, flush=True)

            await generate(engine, GenerateOptions(agent_id="bench", count=count, end=None), progress)
            seconds = time.perf_counter() - began
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
            total = await conn.scalar(select(func.count()).select_from(Conversation))
            turns = await conn.scalar(text("SELECT count(*) FROM conversation_turn"))
        return {"conversations": total, "turns": turns, "generate_seconds": round(seconds, 1)}
    finally:
        await engine.dispose()


async def measure(url: str, pages: int, rounds: int, freeze: bool) -> dict[str, Any]:
    settings = Settings(
        database=DatabaseSettings(url=url),
        bootstrap=BootstrapSettings(api_key=KEY),
        rate_limit=RateLimitSettings(per_second=100000, burst=100000),
        log_level="WARNING",
    )
    app = create_app(settings)
    results: dict[str, Any] = {}
    everything: list[float] = []
    async with app.router.lifespan_context(app):
        if freeze:
            # Move everything alive after start-up out of the cyclic collector's reach: without
            # this, full collections over the imported modules cause the occasional 100+ ms pause.
            gc.collect()
            gc.freeze()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for name, params in SHAPES:
                timings: list[float] = []
                rows = 0
                for _ in range(rounds):
                    cursor = None
                    for _ in range(pages):
                        query = {**params, "limit": "100"} | ({"cursor": cursor} if cursor else {})
                        began = time.perf_counter()
                        response = await client.get(
                            "/v3/default/bench/conversations", params=query, headers={"x-api-key": KEY}
                        )
                        timings.append((time.perf_counter() - began) * 1000)
                        assert response.status_code == 200, response.text
                        body = response.json()
                        rows += len(body["conversations"])
                        cursor = body["cursor"]
                        if cursor is None:
                            break
                # The first round warms caches; like a server that has been up a while.
                measured = timings[pages:] if len(timings) > pages else timings
                everything += measured
                results[name] = {
                    "params": params,
                    "requests": len(measured),
                    "rows_per_page": round(rows / max(1, len(timings)), 1),
                    "p50_ms": round(statistics.median(measured), 2),
                    "p95_ms": round(percentile(measured, 95), 2),
                    "max_ms": round(max(measured), 2),
                }
                print(f"  {name}: p95 {results[name]['p95_ms']} ms", file=sys.stderr, flush=True)
    return {
        "shapes": results,
        "overall": {
            "requests": len(everything),
            "p50_ms": round(statistics.median(everything), 2),
            "p95_ms": round(percentile(everything, 95), 2),
            "max_ms": round(max(everything), 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=10, help="cursor pages followed per round")
    parser.add_argument("--rounds", type=int, default=11, help="rounds per shape (the first is warm-up)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--no-gc-freeze", action="store_true", help="leave the cyclic GC as it is")
    parser.add_argument("--output", type=Path, default=HERE / "results")
    args = parser.parse_args()
    url = args.database_url
    print(f"seeding {args.count} conversations into {url.split('://')[0]}", file=sys.stderr)
    seeded = asyncio.run(seed(url, args.count, args.reuse))
    print("measuring", file=sys.stderr)
    measured = asyncio.run(measure(url, args.pages, args.rounds, not args.no_gc_freeze))
    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    report = {
        "database": dialect,
        "count": args.count,
        "seed": seeded,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "command": " ".join(["python", *sys.argv]),
        "gc_freeze": not args.no_gc_freeze,
        **measured,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    suffix = "" if not args.no_gc_freeze else "-no-gc-freeze"
    out = args.output / f"{dialect}{suffix}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["overall"]), file=sys.stderr)


if __name__ == "__main__":
    main()
