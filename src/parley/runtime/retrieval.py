"""Knowledge-base retrieval: a BM25 index per deployed version.

A topic's name and example queries say what it is *about*, its content only what it *says*, so
they are weighted above content by repeating them in the indexed text. An index is built once per
artifact version (artifacts are immutable) and shared by every conversation on that version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import bm25s
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

NAME_WEIGHT = 3
QUERY_WEIGHT = 2
DEFAULT_TOP_K = 3
# BM25 scores below this mean "nothing relevant": the agent says it does not know.
DEFAULT_THRESHOLD = 0.3

_STEMMER = Stemmer.Stemmer("english")
# The larger English list: it drops question words ("what", "when") that would otherwise make
# every FAQ-style example query look relevant to every question.
_STOPWORDS = list(STOPWORDS_EN_PLUS)


@dataclass(frozen=True)
class Match:
    topic: dict[str, Any]
    score: float


def _tokenize(texts: list[str]) -> Any:
    return bm25s.tokenize(texts, stopwords=_STOPWORDS, stemmer=_STEMMER, show_progress=False)


class TopicIndex:
    def __init__(self, topics: list[dict[str, Any]]) -> None:
        self.topics = [t for t in topics if t.get("isActive", True)]
        self._retriever: bm25s.BM25 | None = None
        if not self.topics:
            return
        documents = []
        for topic in self.topics:
            queries = " ".join((topic.get("exampleQueries") or {}).get("queries") or [])
            documents.append(
                " ".join(
                    [str(topic.get("name", ""))] * NAME_WEIGHT
                    + [queries] * QUERY_WEIGHT
                    + [str(topic.get("content", ""))]
                )
            )
        retriever = bm25s.BM25()
        retriever.index(_tokenize(documents), show_progress=False)
        self._retriever = retriever

    def search(
        self, query: str, top_k: int = DEFAULT_TOP_K, threshold: float = DEFAULT_THRESHOLD
    ) -> list[Match]:
        if self._retriever is None or not query.strip():
            return []
        # As strings, so that words the index has never seen are dropped, not given fresh ids.
        tokens = bm25s.tokenize(
            [query], stopwords=_STOPWORDS, stemmer=_STEMMER, show_progress=False, return_ids=False
        )
        if not tokens or not tokens[0]:
            return []
        k = min(top_k, len(self.topics))
        ids, scores = self._retriever.retrieve(tokens, k=k, show_progress=False)
        matches = [
            Match(self.topics[int(i)], float(s))
            for i, s in zip(ids[0], scores[0], strict=True)
            if float(s) >= threshold
        ]
        return sorted(matches, key=lambda m: -m.score)


class IndexCache:
    """One index per (agent, version); bounded, thread-safe, built off the event loop by callers."""

    def __init__(self, max_entries: int = 128) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], TopicIndex] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, key: tuple[str, str]) -> TopicIndex | None:
        """The index if it is built already: cheap enough to call on the event loop."""
        with self._lock:
            index = self._entries.get(key)
            if index is not None:
                self._entries.move_to_end(key)
            return index

    def get(self, key: tuple[str, str], topics: list[dict[str, Any]]) -> TopicIndex:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        index = TopicIndex(topics)
        with self._lock:
            self._entries[key] = index
            if len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return index
