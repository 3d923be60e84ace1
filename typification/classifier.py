"""Classifying a customer message against the typification hierarchy.

Two kinds of evidence, kept apart so each can be tested and explained on its own:

* **keywords** (``keyword_evidence``): a path's routing keywords and the words of its level labels
  found in the message, accent-, case- and plural-insensitive. A routing keyword is a deliberate
  signal and counts fully; a label word counts by how rare it is across the hierarchy (a word every
  path shares tells nothing apart);
* **knowledge** (``knowledge_evidence``): the knowledge entries most similar to the message, grouped
  by business unit; the best similarity of a business unit lifts all of its paths.

The score of a path is ``KEYWORD_WEIGHT × keyword score + KNOWLEDGE_WEIGHT × knowledge score`` when
knowledge search is available, the keyword score alone when it is not; both parts lie in [0, 1].
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from typification.models import LEVELS
from typification.selectors import PublishedRouting, RouteTarget, published_routing, routing_targets
from typification.text import content_tokens, fold, tokens

logger = logging.getLogger(__name__)

KEYWORD_WEIGHT = 0.7
KNOWLEDGE_WEIGHT = 0.3
LABEL_WORD_WEIGHT = 0.5
KNOWLEDGE_CANDIDATES = 20  # entries fetched from knowledge search per message
MAX_LIMIT = 50


@dataclass(frozen=True)
class KeywordMatch:
    term: str  # as the hierarchy spells it
    source: str  # "keyword" or "level1".."level5"
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {"term": self.term, "source": self.source, "weight": round(self.weight, 4)}


@dataclass(frozen=True)
class KnowledgeMatch:
    id: str
    question: str
    business_unit: str
    distance: float

    @property
    def similarity(self) -> float:
        return max(0.0, min(1.0, 1.0 - self.distance))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "business_unit": self.business_unit,
            "distance": round(self.distance, 4),
            "similarity": round(self.similarity, 4),
        }


@dataclass
class Candidate:
    path: list[str]
    business_unit: str
    typification_id: Any = None
    keyword_matches: list[KeywordMatch] = field(default_factory=list)
    knowledge_matches: list[KnowledgeMatch] = field(default_factory=list)
    keyword_score: float = 0.0
    knowledge_score: float = 0.0
    score: float = 0.0
    handler: RouteTarget | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.typification_id) if self.typification_id else None,
            "path": self.path,
            "business_unit": self.business_unit,
            "score": round(self.score, 4),
            "keyword_score": round(self.keyword_score, 4),
            "knowledge_score": round(self.knowledge_score, 4),
            "matched_keywords": [m.as_dict() for m in self.keyword_matches],
            "knowledge_matches": [m.as_dict() for m in self.knowledge_matches],
            "handler": self.handler.as_dict() if self.handler else None,
        }


@dataclass
class Classification:
    text: str
    results: list[Candidate]
    knowledge_available: bool
    routing_version: int | None = None

    @property
    def route(self) -> RouteTarget | None:
        return self.results[0].handler if self.results else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "results": [c.as_dict() for c in self.results],
            "route": self.route.as_dict() if self.route else None,
            "knowledge_available": self.knowledge_available,
            "routing_version": self.routing_version,
        }


# --- Keyword evidence ----------------------------------------------------------------------------


def _contains_phrase(message: list[str], phrase: list[str]) -> bool:
    if not phrase or len(phrase) > len(message):
        return False
    first = phrase[0]
    for start, token in enumerate(message[: len(message) - len(phrase) + 1]):
        if token == first and message[start : start + len(phrase)] == phrase:
            return True
    return False


@dataclass(frozen=True)
class KeywordIndex:
    """What keyword evidence needs from a hierarchy, tokenised once: each path's keyword phrases and label
    words, and how rare each label word is across paths (idf scaled to [0, 1]; 1 = only one path has it)."""

    phrases: list[list[tuple[str, list[str]]]]  # per row: (keyword as written, its tokens)
    label_words: list[dict[str, set[str]]]  # per row: level -> content tokens of its label
    rarity: dict[str, float]

    @classmethod
    def of(cls, rows: list[dict]) -> KeywordIndex:
        label_words = [{level: content_tokens(row[level]) for level in LEVELS if row[level]} for row in rows]
        document_frequency: dict[str, int] = {}
        for by_level in label_words:
            for word in set().union(*by_level.values()) if by_level else ():
                document_frequency[word] = document_frequency.get(word, 0) + 1
        total = len(rows)
        rarity = {
            word: 1.0 if total <= 1 else math.log(total / count) / math.log(total)
            for word, count in document_frequency.items()
        }
        phrases = [[(keyword, tokens(keyword)) for keyword in row["routing_keywords"]] for row in rows]
        return cls(phrases=phrases, label_words=label_words, rarity=rarity)


def keyword_evidence(text: str, rows: list[dict], index: KeywordIndex | None = None) -> dict[int, list[KeywordMatch]]:
    """For each row index with evidence, the keywords and label words of that path found in ``text``.
    ``index``: ``KeywordIndex.of(rows)``, when the caller keeps it for the same rows."""
    message = tokens(text)
    message_set = set(message)
    if not message_set:
        return {}
    index = index or KeywordIndex.of(rows)
    rarity = index.rarity

    evidence: dict[int, list[KeywordMatch]] = {}
    for position, row in enumerate(rows):
        matches: list[KeywordMatch] = []
        for keyword, phrase in index.phrases[position]:
            if _contains_phrase(message, phrase):
                matches.append(KeywordMatch(keyword, "keyword", 1.0 + 0.25 * (len(phrase) - 1)))
        counted: set[str] = set()
        for level, words in index.label_words[position].items():
            for word in sorted(words & message_set - counted):
                counted.add(word)
                weight = LABEL_WORD_WEIGHT * rarity[word]
                if weight > 0:
                    matches.append(KeywordMatch(_spelling(row[level], word), level, weight))
        if matches:
            evidence[position] = matches
    return evidence


def _spelling(label: str, folded_word: str) -> str:
    """The word of ``label`` as written (with its accents) whose folded, stemmed form is ``folded_word``."""
    for original in label.split():
        if tokens(original) == [folded_word]:
            return original.strip(".,;:!?()\"'")
    return folded_word


def squash(raw: float) -> float:
    """Map a sum of evidence weights to [0, 1): one full keyword gives 0.5, two 0.67, three 0.75."""
    return raw / (raw + 1.0) if raw > 0 else 0.0


# --- Knowledge evidence --------------------------------------------------------------------------


def knowledge_search_function():
    """The knowledge app's search selector, or None while the knowledge app does not provide it."""
    try:
        from knowledge.selectors import knowledge_search
    except ImportError:
        return None
    return knowledge_search


def knowledge_evidence(text: str, *, limit: int = KNOWLEDGE_CANDIDATES) -> tuple[bool, dict[str, list[KnowledgeMatch]]]:
    """(available, business unit → its knowledge entries most similar to ``text``, nearest first).

    Not available when the knowledge app has no search, or when the message cannot be embedded right
    now (the embedder is down, or the text has nothing to embed): classification then rests on keywords
    alone and says so, instead of failing.
    """
    search = knowledge_search_function()
    if search is None:
        return False, {}
    from django.core.exceptions import ValidationError

    from knowledge.embedders import EmbedderError

    try:
        results = search(query=text, limit=limit)
    except (EmbedderError, ValidationError) as exc:
        logger.warning("Knowledge search unavailable for classification: %s", exc)
        return False, {}
    grouped: dict[str, list[KnowledgeMatch]] = {}
    for result in results:
        match = KnowledgeMatch(
            id=str(result.id),
            question=result.question,
            business_unit=result.business_unit,
            distance=float(result.distance),
        )
        grouped.setdefault(match.business_unit, []).append(match)
    for matches in grouped.values():
        matches.sort(key=lambda m: m.distance)
    return True, grouped


# --- Combining -----------------------------------------------------------------------------------


def classify(
    text: str, *, limit: int = 5, use_knowledge: bool = True, routing: PublishedRouting | None = None
) -> Classification:
    """Rank typification paths for a customer message, best first, each with its evidence and handler.

    Against the published routing (what production routes by), unless ``routing`` says otherwise."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    routing = published_routing() if routing is None else routing
    rows = routing.rows
    keyword_index = routing.derived.get("keyword_index")
    if keyword_index is None:  # once per published version (kept on it), or per call for a draft routing
        keyword_index = routing.derived["keyword_index"] = KeywordIndex.of(rows)
    evidence = keyword_evidence(text, rows, keyword_index)
    available, knowledge = knowledge_evidence(text) if use_knowledge and fold(text) else (False, {})
    targets = routing_targets(routing.routes)

    candidates: list[Candidate] = []
    units_with_paths: set[str] = set()
    for index, matches in evidence.items():
        row = rows[index]
        units_with_paths.add(row["business_unit"])
        candidates.append(
            Candidate(
                path=[row[level] for level in LEVELS if row[level]],
                business_unit=row["business_unit"],
                typification_id=row["id"],
                keyword_matches=sorted(matches, key=lambda m: -m.weight),
            )
        )
    # A business unit that only knowledge points to is offered at its own level.
    for unit in knowledge:
        if unit in units_with_paths:
            continue
        level1 = next((row["level1"] for row in rows if row["business_unit"] == unit), unit)
        candidates.append(Candidate(path=[level1], business_unit=unit))

    for candidate in candidates:
        candidate.keyword_score = squash(sum(m.weight for m in candidate.keyword_matches))
        candidate.knowledge_matches = knowledge.get(candidate.business_unit, [])[:3]
        candidate.knowledge_score = candidate.knowledge_matches[0].similarity if candidate.knowledge_matches else 0.0
        if available:
            candidate.score = KEYWORD_WEIGHT * candidate.keyword_score + KNOWLEDGE_WEIGHT * candidate.knowledge_score
        else:
            candidate.score = candidate.keyword_score
        candidate.handler = targets.get(candidate.business_unit)
    candidates = [c for c in candidates if c.score > 0]
    # Best score first; on a tie the more specific path, then the hierarchy's order.
    candidates.sort(key=lambda c: (-round(c.score, 9), -len(c.path), c.path))
    return Classification(
        text=text, results=candidates[:limit], knowledge_available=available, routing_version=routing.version
    )
