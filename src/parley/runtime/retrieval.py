"""Knowledge-base retrieval: a BM25 index per deployed version.

A topic's name and example queries say what it is *about*, its content only what it *says*, so
they are weighted above content by repeating them in the indexed text. An index is built once per
artifact version (artifacts are immutable) and shared by every conversation on that version.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
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
_STOPWORD_SET = frozenset(_STOPWORDS)
# bm25s.tokenize's default token pattern (words of two characters or more), on lower-cased text.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class Match:
    topic: dict[str, Any]
    score: float


def _tokenize(texts: list[str]) -> Any:
    return bm25s.tokenize(texts, stopwords=_STOPWORDS, stemmer=_STEMMER, show_progress=False)


def query_tokens(query: str) -> list[str]:
    """One query's tokens, as ``_tokenize`` makes the documents' (lower-cased, the same pattern,
    stop words and stemmer), without bm25s.tokenize's per-call machinery (progress bars, a
    vocabulary), which cost more than scoring the query on every turn."""
    words = [word for word in _TOKEN.findall(query.lower()) if word not in _STOPWORD_SET]
    return list(_STEMMER.stemWords(words)) if words else []


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
        # Words the index has never seen score nothing: they are dropped.
        token_ids = self._retriever.get_tokens_ids(query_tokens(query))
        if not token_ids:
            return []
        scores = self._retriever.get_scores_from_ids(token_ids)
        # Best first; equal scores in topic order, so that ties always resolve the same way.
        best = np.argsort(-scores, kind="stable")[:top_k]
        return [Match(self.topics[int(i)], float(scores[i])) for i in best if float(scores[i]) >= threshold]


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
