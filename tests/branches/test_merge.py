"""The pure three-way merge: which side wins per field, and what is a conflict."""

from __future__ import annotations

from parley.branches.merge import Doc, Resolution, three_way_merge

K = ("topic", "TOPIC-1")


def doc(**data: object) -> Doc:
    return Doc("", {"id": "TOPIC-1", **data})


def test_changes_on_different_fields_combine() -> None:
    base = {K: doc(name="Hours", content="9-5", actions="")}
    ours = {K: doc(name="Hours", content="9-6", actions="")}
    theirs = {K: doc(name="Opening hours", content="9-5", actions="")}
    result = three_way_merge(base, ours, theirs, {})
    assert result.conflicts == []
    assert result.merged[K].data == {
        "id": "TOPIC-1",
        "name": "Opening hours",
        "content": "9-6",
        "actions": "",
    }


def test_same_change_on_both_sides_is_not_a_conflict() -> None:
    base = {K: doc(content="a")}
    result = three_way_merge(base, {K: doc(content="b")}, {K: doc(content="b")}, {})
    assert result.conflicts == [] and result.merged[K].data["content"] == "b"


def test_creations_and_deletions_on_one_side() -> None:
    new = ("topic", "TOPIC-2")
    base = {K: doc(content="a")}
    ours = {K: doc(content="a"), new: Doc("", {"id": "TOPIC-2", "content": "new"})}
    theirs: dict[tuple[str, str], Doc] = {}
    result = three_way_merge(base, ours, theirs, {})
    assert set(result.merged) == {new}


def test_delete_against_edit_is_a_whole_resource_conflict() -> None:
    base = {K: doc(content="a")}
    result = three_way_merge(base, {}, {K: doc(content="b")}, {})
    assert [c.path for c in result.conflicts] == [["topic", "TOPIC-1"]]
    resolved = three_way_merge(base, {}, {K: doc(content="b")}, {("topic", "TOPIC-1"): Resolution("ours")})
    assert resolved.conflicts == [] and resolved.merged == {}


def test_field_conflict_resolutions() -> None:
    base = {K: doc(content="a")}
    ours = {K: doc(content="b")}
    theirs = {K: doc(content="c")}
    conflict = three_way_merge(base, ours, theirs, {})
    assert [c.as_dict() for c in conflict.conflicts] == [
        {"path": ["topic", "TOPIC-1", "content"], "base": "a", "ours": "b", "theirs": "c"}
    ]
    path = ("topic", "TOPIC-1", "content")
    for strategy, expected in (("ours", "b"), ("theirs", "c"), ("base", "a")):
        merged = three_way_merge(base, ours, theirs, {path: Resolution(strategy)})
        assert merged.merged[K].data["content"] == expected
    valued = three_way_merge(base, ours, theirs, {path: Resolution("ours", "d")})
    assert valued.merged[K].data["content"] == "d"


def test_field_removed_on_one_side() -> None:
    base = {K: doc(content="a", extra=1)}
    ours = {K: doc(content="a")}
    result = three_way_merge(base, ours, base, {})
    assert "extra" not in result.merged[K].data
