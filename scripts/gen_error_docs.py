"""Regenerate docs/errors.md from the error catalogue (parley.errors.CATALOGUE).

Usage:
    .venv/bin/python scripts/gen_error_docs.py           # write docs/errors.md
    .venv/bin/python scripts/gen_error_docs.py --check   # exit 1 if docs/errors.md is stale

tests/test_error_docs.py fails when the committed file differs from what this produces, so the
docs cannot drift from the codes the server actually answers with.
"""

from __future__ import annotations

import argparse
import json
import sys
from http import HTTPStatus
from pathlib import Path

from parley.errors import (
    CATALOGUE,
    WS_CLOSE_ABNORMAL,
    WS_CLOSE_NORMAL,
    WS_CLOSE_PONG_TIMEOUT,
    DeploymentsEnvironmentAlreadyPublished,
    ErrorSpec,
    FlowNotFound,
    MethodNotAllowed,
    RateLimitExceeded,
    ServiceUnavailable,
    render_envelope,
)
from parley.kit.context import CORRELATION_HEADER

DOCS_PATH = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
REGENERATE_COMMAND = ".venv/bin/python scripts/gen_error_docs.py"

# Headings for the catalogue's domains. A domain missing here still gets a table (titled from its
# name), so adding a domain to the catalogue never breaks the generator.
DOMAIN_TITLES = {
    "generic": "Generic",
    "auth": "Authentication and authorization",
    "accounts": "Accounts and projects",
    "conversations": "Conversations",
    "chat": "Chat",
    "deployments": "Deployments",
    "branches": "Branches",
    "flows": "Flows",
    "functions": "Functions",
    "knowledge_base": "Knowledge base",
    "telephony": "Phone numbers and connectors",
    "sms": "SMS",
    "variants": "Variants",
    "real_time_config": "Real-time configuration",
    "testing": "Test suite",
}

# Fixed so that the example, and therefore the file, is identical on every run.
_EXAMPLE_CORRELATION_ID = "3f0c9b1e-5d2a-4c7e-9b8f-1a2b3c4d5e6f"
_NOTICE = DeploymentsEnvironmentAlreadyPublished.spec


def domain_title(domain: str) -> str:
    return DOMAIN_TITLES.get(domain, domain.replace("_", " ").capitalize())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def specs_by_domain() -> dict[str, list[ErrorSpec]]:
    """Domains in catalogue order (generic first), codes within a domain by id."""
    grouped: dict[str, list[ErrorSpec]] = {}
    for cls in CATALOGUE.values():
        grouped.setdefault(cls.spec.domain, []).append(cls.spec)
    return {domain: sorted(specs, key=lambda s: s.id) for domain, specs in grouped.items()}


def _intro() -> list[str]:
    return [
        "# Errors",
        "",
        "<!-- Generated from parley.errors.CATALOGUE by scripts/gen_error_docs.py: do not edit. -->",
        f"<!-- Regenerate with: {REGENERATE_COMMAND} -->",
        "",
        "parley answers every failure with one JSON envelope and a code from one catalogue. The codes,",
        "numeric ids and HTTP statuses of PolyAI's platform APIs are kept exactly, CamelCase spellings",
        "included, so a client written against PolyAI matches on the same values.",
        "",
    ]


def _envelope() -> list[str]:
    spec = FlowNotFound.spec
    example = render_envelope(spec, "Flow 'booking' does not exist.", _EXAMPLE_CORRELATION_ID)
    return [
        "## The envelope",
        "",
        "Every non-2xx response, from every layer (routing, validation, authentication, rate limits,",
        "maintenance mode, timeouts, unexpected failures), has this body and nothing else at the top",
        "level:",
        "",
        "```http",
        f"HTTP/1.1 {spec.status} {HTTPStatus(spec.status).phrase}",
        "Content-Type: application/json",
        f"{CORRELATION_HEADER}: {_EXAMPLE_CORRELATION_ID}",
        "",
        json.dumps(example, indent=2),
        "```",
        "",
        "| field | type | meaning |",
        "| --- | --- | --- |",
        "| `code` | string | Machine-readable code from the tables below: match on this. |",
        "| `id` | integer | Numeric identifier of the code. |",
        "| `message` | string | Human-readable text; often more specific than the default message. |",
        f"| `correlation_id` | string | The request's correlation id, as in the `{CORRELATION_HEADER}` "
        "header. |",
        "| `data` | object | Optional machine-readable details: per-field validation errors with "
        "JSON-pointer paths, missing CSV columns, parse positions, merge conflicts. |",
        "",
        "`code`, `id`, `message` and `correlation_id` are always present; `data` only when there are",
        "details. A 500 never carries internals (stack traces, SQL) in `message` or `data`: the server",
        "log has them, under the same correlation id.",
        "",
    ]


def _correlation() -> list[str]:
    return [
        "## Correlation id",
        "",
        f"If a request carries `{CORRELATION_HEADER}` made of 1 to 128 characters from",
        "`[A-Za-z0-9._:-]`, parley reuses it; otherwise it generates a UUID4. The id is echoed in the",
        f"`{CORRELATION_HEADER}` header of every response, successes included, in",
        "`error.correlation_id`, and in every log line written for the request. Header names are",
        "case-insensitive. Include the id when reporting a problem.",
        "",
    ]


def _headers() -> list[str]:
    return [
        "## Headers on errors",
        "",
        f"- `{RateLimitExceeded.spec.code}` ({RateLimitExceeded.spec.status}) carries `Retry-After` in",
        "  whole seconds (at least 1). Every authenticated response also carries `RateLimit-Limit`,",
        "  `RateLimit-Remaining` and `RateLimit-Reset`.",
        f"- `{ServiceUnavailable.spec.code}` ({ServiceUnavailable.spec.status}) carries `Retry-After`",
        "  while the server is in maintenance mode; `GET /health` keeps answering during it.",
        f"- `{MethodNotAllowed.spec.code}` ({MethodNotAllowed.spec.status}) carries `Allow` with the",
        "  methods the path accepts.",
        "",
    ]


def _domain_tables() -> list[str]:
    lines = [
        "## Codes",
        "",
        "The default message is sent when nothing more specific is known.",
        "",
    ]
    for domain, specs in specs_by_domain().items():
        lines += [
            f"### {domain_title(domain)}",
            "",
            "| code | id | HTTP status | default message |",
            "| --- | ---: | ---: | --- |",
        ]
        for spec in specs:
            marker = " (a notice on a 200, see below)" if spec.code == _NOTICE.code else ""
            lines.append(
                f"| `{spec.code}` | {spec.id} | {spec.status} | {_cell(spec.message)}{_cell(marker)} |"
            )
        lines.append("")
    return lines


def _notice() -> list[str]:
    notice = {"code": _NOTICE.code, "id": _NOTICE.id, "message": _NOTICE.message}
    return [
        f"## `{_NOTICE.code}` is not an error",
        "",
        f"`{_NOTICE.code}` ({_NOTICE.id}, HTTP {_NOTICE.status}) is never sent as an error envelope.",
        "Promoting a deployment to an environment that already runs that version succeeds: the",
        "response is a 200 with the existing deployment and a `notice` next to it, and no new",
        "deployment is made:",
        "",
        "```json",
        json.dumps({"notice": notice}, indent=2),
        "```",
        "",
    ]


def _websocket() -> list[str]:
    return [
        "## WebSocket close codes",
        "",
        "| code | meaning | when |",
        "| ---: | --- | --- |",
        f"| {WS_CLOSE_NORMAL} | Normal closure | The connection was closed cleanly. |",
        f"| {WS_CLOSE_ABNORMAL} | Abnormal closure | Observed by clients when the connection drops "
        "(for example a network failure). The server never sends it. |",
        f"| {WS_CLOSE_PONG_TIMEOUT} | Pong timeout | The server pinged and got no pong within the "
        "timeout; the close reason is `pong timeout`. |",
        "",
        "PolyAI documents the pong timeout as close code 408. RFC 6455 forbids close codes below 1000",
        "on the wire, so parley sends it in the application range (4000-4999) as",
        f"{WS_CLOSE_PONG_TIMEOUT}.",
        "",
    ]


def render() -> str:
    """The full text of docs/errors.md for the catalogue as it is now."""
    parts = (_intro, _envelope, _correlation, _headers, _domain_tables, _notice, _websocket)
    lines = [line for part in parts for line in part()]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if docs/errors.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = DOCS_PATH.read_text(encoding="utf-8") if DOCS_PATH.exists() else ""
        if current != text:
            print(f"{DOCS_PATH} is out of date; run: {REGENERATE_COMMAND}", file=sys.stderr)
            return 1
        print(f"{DOCS_PATH} is up to date")
        return 0
    DOCS_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOCS_PATH.write_text(text, encoding="utf-8")
    print(f"{len(CATALOGUE)} codes -> {DOCS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
