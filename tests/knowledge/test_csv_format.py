"""The CSV format on its own: formula protection is reversible, and export -> read is lossless."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.knowledge.csv_format import (
    column_name,
    parse_active,
    protect,
    read_table,
    split_queries,
    unprotect,
    write_table,
)

# Text as topics hold it: anything but the control characters the schemas refuse.
_TEXT_ALPHABET = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"],
)
_TRICKY_STARTS = st.sampled_from(["", "=", "+", "-", "@", "\t", "\r", "'", "''=", "'+", '"', ","])
text = st.builds(lambda start, rest: start + rest, _TRICKY_STARTS, st.text(_TEXT_ALPHABET, max_size=40))
# A query is one line: no CR or LF (the API refuses them), but U+2028 and friends are ordinary text.
query = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda q: q.strip() == q and q != ""
)


@given(text)
def test_unprotect_inverts_protect(cell: str) -> None:
    protected = protect(cell)
    assert unprotect(protected) == cell
    assert protected[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_protection_examples() -> None:
    assert protect("=1+1") == "'=1+1"
    assert protect("'=1+1") == "''=1+1"
    assert protect("'plain") == "'plain"
    assert protect("a=b") == "a=b"
    assert unprotect("'plain") == "'plain"
    assert unprotect("'-5") == "-5"


@settings(max_examples=60)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "name": text,
                "content": text,
                "actions": text,
                "exampleQueries": st.fixed_dictionaries({"queries": st.lists(query, max_size=4)}),
                "isActive": st.booleans(),
            }
        ),
        max_size=5,
    )
)
def test_written_tables_read_back_unchanged(topics: list[dict[str, Any]]) -> None:
    table = read_table(write_table(topics))
    assert table.columns == ("name", "content", "actions", "example_queries", "is_active")
    read_back = [
        {
            "name": row.cells["name"],
            "content": row.cells["content"],
            "actions": row.cells["actions"],
            "exampleQueries": {"queries": split_queries(row.cells["example_queries"])},
            "isActive": parse_active(row.cells["is_active"]),
        }
        for row in table.rows
    ]
    assert read_back == topics
    assert all(not row.overflow for row in table.rows)


def test_column_names_are_normalised() -> None:
    assert [
        column_name(h) for h in ("Name", " example queries ", "exampleQueries", "IS-ACTIVE", "isActive")
    ] == [
        "name",
        "example_queries",
        "example_queries",
        "is_active",
        "is_active",
    ]


def test_active_values() -> None:
    assert [parse_active(v) for v in ("", " TRUE ", "1", "Yes", "false", "0", "NO", "maybe", "2")] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        None,
        None,
    ]
