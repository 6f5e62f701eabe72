"""Knowledge retrieval: query tokens as the index's, best topics first, the threshold, ties."""

from __future__ import annotations

import bm25s
import pytest

from parley.runtime.retrieval import _STEMMER, _STOPWORDS, TopicIndex, query_tokens

QUERIES = [
    "What time is breakfast?",
    "WHEN can I check-in??",
    "Is there parking near the hotel's entrance",
    "Café opening hours \u2013 früh? 早餐 времени",
    "a I x",  # single letters and stop words only
    "",
    "   ",
    "'; DROP TABLE topic; --",
    "swimming swimmers swam pools",
    "e-mail the_reception desk 24/7",
]


@pytest.mark.parametrize("query", QUERIES)
def test_query_tokens_are_what_bm25s_makes_of_the_same_text(query: str) -> None:
    expected = bm25s.tokenize(
        [query], stopwords=_STOPWORDS, stemmer=_STEMMER, show_progress=False, return_ids=False
    )[0]
    assert query_tokens(query) == [token for token in expected if token]


TOPICS = [
    {
        "name": "Breakfast",
        "content": "Breakfast is served from 7 to 10 in the restaurant.",
        "exampleQueries": {"queries": ["when is breakfast", "breakfast times"]},
    },
    {
        "name": "Parking",
        "content": "There is a car park behind the hotel, 15 pounds a night.",
        "exampleQueries": {"queries": ["is there parking", "where do I park my car"]},
    },
    {
        "name": "Pool",
        "content": "The pool is open from 6 to 22.",
        "exampleQueries": {"queries": ["when is the pool open", "swimming"]},
    },
    {"name": "Retired", "content": "Breakfast parking pool.", "isActive": False},
]


def test_the_best_topic_comes_first_and_inactive_topics_are_never_found() -> None:
    index = TopicIndex(TOPICS)
    matches = index.search("what time is breakfast served?")
    assert [m.topic["name"] for m in matches][:1] == ["Breakfast"]
    assert all(m.topic["name"] != "Retired" for m in index.search("breakfast parking pool"))
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_scores_agree_with_bm25s_retrieve() -> None:
    index = TopicIndex(TOPICS)
    for query in ("is there parking", "swimming pool", "breakfast and parking"):
        tokens = bm25s.tokenize(
            [query], stopwords=_STOPWORDS, stemmer=_STEMMER, show_progress=False, return_ids=False
        )
        ids, scores = index._retriever.retrieve(tokens, k=3, show_progress=False)  # type: ignore[union-attr]
        expected = {int(i): float(s) for i, s in zip(ids[0], scores[0], strict=True) if s >= 0.3}
        found = {index.topics.index(m.topic): m.score for m in index.search(query)}
        assert found == pytest.approx(expected)


def test_top_k_threshold_and_questions_with_nothing_known() -> None:
    index = TopicIndex(TOPICS)
    assert len(index.search("breakfast parking pool", top_k=2)) == 2
    assert index.search("breakfast", threshold=1e9) == []
    assert index.search("quantum chromodynamics") == []
    assert index.search("") == [] and index.search("what is the") == []
    assert TopicIndex([]).search("breakfast") == []


def test_equal_scores_resolve_in_topic_order() -> None:
    twins = [
        {"name": "First", "content": "late checkout"},
        {"name": "Second", "content": "late checkout"},
        {"name": "Pool", "content": "the pool opens at six"},
    ]
    for _ in range(5):
        assert [m.topic["name"] for m in TopicIndex(twins).search("late checkout")] == ["First", "Second"]
