"""Embedders: turn texts into vectors of ``HIVE_EMBEDDING_DIMENSIONS`` floats, chosen by ``HIVE_EMBEDDER``.

- ``hashing`` (default without an API key): lexical, not semantic. Normalised words, word pairs and
  character n-grams are hashed into the vector (the "hashing trick"), so texts sharing words and word
  pieces are close. Deterministic, offline, accent- and case-insensitive.
- ``openai``: any OpenAI-compatible ``POST {base}/embeddings`` endpoint, in batches, with retries and
  backoff on 429 and 5xx, and timeouts.
- ``sentence-transformers``: a local model, when that package is installed (it is not a requirement).

Every embedder has a ``signature`` (name, model, size) stored with each embedding: an entry embedded
with another signature is stale and ``embed_knowledge`` computes it again.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import re
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)


class EmbedderError(Exception):
    """The embedder could not produce vectors (service down, bad answer, misconfiguration)."""


class Embedder(ABC):
    name: str = ""

    def __init__(self, *, dimensions: int):
        self.dimensions = dimensions

    @property
    def signature(self) -> str:
        return f"{self.name}/{self.dimensions}"

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order, each of ``self.dimensions`` floats."""

    def embed_one(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _checked(self, vectors: list[list[float]], count: int) -> list[list[float]]:
        if len(vectors) != count:
            raise EmbedderError(f"{self.name} returned {len(vectors)} vectors for {count} texts.")
        for vector in vectors:
            if len(vector) != self.dimensions:
                raise EmbedderError(
                    f"{self.name} returned vectors of {len(vector)} dimensions; the knowledge base stores "
                    f"{self.dimensions} (HIVE_EMBEDDING_DIMENSIONS)."
                )
        return vectors


# --- hashing -----------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
# Function words in English and Portuguese (the portal's two languages): they match everything and so
# carry no signal for a lexical embedder. Dropped only when the text has other words.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "uns",
        "umas",
        "e",
        "de",
        "do",
        "da",
        "dos",
        "das",
        "em",
        "no",
        "na",
        "nos",
        "nas",
        "por",
        "para",
        "com",
        "sem",
        "que",
        "se",
        "ao",
        "aos",
        "meu",
        "minha",
        "eu",
        "voce",
        "ele",
        "ela",
        "isso",
        "este",
        "esta",
        "qual",
        "quais",
        "como",
        "quando",
        "onde",
        "porque",
        "ser",
        "sao",
        "foi",
        "tem",
        "ter",
        "nao",
        "mais",
        "muito",
    ]
)


def normalize_for_hashing(text: str) -> str:
    """Lower case without accents: "Cartão" and "cartao" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


class HashingEmbedder(Embedder):
    """Signed feature hashing of words (weight 1), word pairs (0.5) and character 3-5-grams (together as
    heavy as their word), so inflected forms ("cartão", "cartões") still meet.

    Term counts are damped (1 + log n) and the vector is L2-normalised, so cosine distance compares
    word overlap regardless of text length. Version 1: changing the features changes the version so
    stored embeddings become stale.
    """

    name = "hashing"
    version = 1

    def __init__(self, *, dimensions: int):
        super().__init__(dimensions=dimensions)
        self._cache: dict[str, tuple[int, float]] = {}

    @property
    def signature(self) -> str:
        return f"hashing-v{self.version}/{self.dimensions}"

    def _slot(self, feature: str) -> tuple[int, float]:
        cached = self._cache.get(feature)
        if cached is None:
            digest = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little")
            cached = (digest % self.dimensions, -1.0 if digest >> 63 else 1.0)
            if len(self._cache) < 200_000:
                self._cache[feature] = cached
        return cached

    def features(self, text: str) -> dict[str, float]:
        words = _WORD.findall(normalize_for_hashing(text))
        content = [w for w in words if w not in _STOPWORDS] or words
        weights: defaultdict[str, float] = defaultdict(float)
        for word in content:
            weights["w:" + word] += 1.0
        for first, second in zip(content, content[1:]):
            weights[f"b:{first} {second}"] += 0.5
        for word in content:
            padded = f"<{word}>"
            grams = [padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
            if grams:
                # The pieces of a word weigh as much as the word itself (in L2 terms).
                share = 1.0 / math.sqrt(len(grams))
                for gram in grams:
                    weights["c:" + gram] += share
        return weights

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            vector = np.zeros(self.dimensions, dtype=np.float64)
            for feature, weight in self.features(text or "").items():
                index, sign = self._slot(feature)
                vector[index] += sign * (1.0 + math.log(weight) if weight > 1.0 else weight)
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                vector /= norm
            vectors.append(vector.astype(np.float32).tolist())
        return vectors


# --- OpenAI-compatible ---------------------------------------------------------------------------------


class OpenAIEmbedder(Embedder):
    """``POST {base_url}/embeddings`` with ``{"model", "input": [...]}`` (and ``dimensions`` when asked).

    httpx keeps one connection open across batches and separates connect and read timeouts. A 429 or
    5xx answer, a timeout or a dropped connection is retried with exponential backoff and jitter
    (``Retry-After`` is honoured, up to 60 s); any other 4xx fails at once with the service's message.
    """

    name = "openai"

    def __init__(
        self,
        *,
        dimensions: int,
        base_url: str,
        api_key: str = "",
        model: str = "text-embedding-3-small",
        send_dimensions: bool = True,
        batch_size: int = 100,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import httpx

        super().__init__(dimensions=dimensions)
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.send_dimensions = send_dimensions
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        headers = {"Content-Type": "application/json", "User-Agent": "hive-portal"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._httpx = httpx
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))
        self._lock = threading.Lock()

    @property
    def signature(self) -> str:
        return f"openai:{self.model}/{self.dimensions}"

    def close(self) -> None:
        self._client.close()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[start : start + self.batch_size]]
            vectors.extend(self._embed_batch(batch))
        return self._checked(vectors, len(texts))

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        payload: dict = {"model": self.model, "input": batch, "encoding_format": "float"}
        if self.send_dimensions:
            payload["dimensions"] = self.dimensions
        url = f"{self.base_url}/embeddings"
        attempt = 0
        while True:
            retry_after = None
            try:
                with self._lock:  # one httpx client per process; requests are sequential anyway
                    response = self._client.post(url, json=payload)
            except self._httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                if response.status_code == 200:
                    return self._parse(response, len(batch))
                problem = f"HTTP {response.status_code}: {self._error_message(response)}"
                if response.status_code != 429 and response.status_code < 500:
                    raise EmbedderError(f"The embeddings service refused the request ({problem}).")
                retry_after = self._retry_after(response)
            if attempt >= self.max_retries:
                raise EmbedderError(
                    f"The embeddings service at {self.base_url} failed {attempt + 1} times; last: {problem}."
                )
            delay = retry_after if retry_after is not None else self.backoff * (2**attempt) * (0.5 + random.random())
            logger.warning("Embeddings request failed (%s); retrying in %.2fs", problem, delay)
            self.sleep(delay)
            attempt += 1

    @staticmethod
    def _retry_after(response) -> float | None:
        value = response.headers.get("Retry-After", "").strip()
        try:
            return min(max(float(value), 0.0), 60.0) if value else None
        except ValueError:
            return None

    @staticmethod
    def _error_message(response) -> str:
        try:
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and error.get("message"):
                return str(error["message"])[:300]
            if isinstance(error, str):
                return error[:300]
        except ValueError:
            pass
        return (response.text or response.reason_phrase or "")[:300]

    def _parse(self, response, count: int) -> list[list[float]]:
        try:
            data = response.json()["data"]
            ordered = sorted(data, key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in ordered]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbedderError(f"The embeddings service answered in an unexpected format ({exc!r}).") from exc
        return self._checked(vectors, count)


# --- sentence-transformers -----------------------------------------------------------------------------


class SentenceTransformerEmbedder(Embedder):
    """A local sentence-transformers model; its output size must equal the column's."""

    name = "sentence-transformers"

    def __init__(self, *, dimensions: int, model: str, batch_size: int = 64):
        super().__init__(dimensions=dimensions)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "HIVE_EMBEDDER=sentence-transformers needs the sentence-transformers package "
                "(pip install sentence-transformers); it is not installed."
            ) from exc
        self.model_name = model
        self.batch_size = batch_size
        try:
            self._model = SentenceTransformer(model)
        except Exception as exc:  # the library raises OSError, ValueError, HTTP errors...
            raise EmbedderError(f"The sentence-transformers model {model!r} could not be loaded ({exc}).") from exc
        size = self._model.get_sentence_embedding_dimension()
        if size != dimensions:
            raise EmbedderError(
                f"The sentence-transformers model {model!r} makes {size}-dimension vectors, but the knowledge "
                f"base stores {dimensions} (HIVE_EMBEDDING_DIMENSIONS): set HIVE_EMBEDDING_DIMENSIONS={size} "
                "and migrate, or choose another model."
            )

    @property
    def signature(self) -> str:
        return f"sentence-transformers:{self.model_name}/{self.dimensions}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        array = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return self._checked([row.astype(np.float32).tolist() for row in array], len(texts))


# --- choosing ------------------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cached: tuple[tuple, Embedder] | None = None


def _settings_key() -> tuple:
    return (
        settings.HIVE_EMBEDDER,
        settings.HIVE_EMBEDDING_DIMENSIONS,
        settings.HIVE_EMBEDDING_MODEL,
        settings.HIVE_EMBEDDING_BASE_URL,
        settings.HIVE_EMBEDDING_API_KEY,
        settings.HIVE_EMBEDDING_SEND_DIMENSIONS,
        settings.HIVE_EMBEDDING_BATCH_SIZE,
        settings.HIVE_EMBEDDING_TIMEOUT,
        settings.HIVE_EMBEDDING_MAX_RETRIES,
    )


DEFAULT_MODELS = {"openai": "text-embedding-3-small", "sentence-transformers": "sentence-transformers/all-MiniLM-L6-v2"}


def _model_setting(kind: str) -> str:
    return settings.HIVE_EMBEDDING_MODEL or DEFAULT_MODELS.get(kind, "")


def build_embedder() -> Embedder:
    """A new embedder from the settings. Raises ``EmbedderError`` when it cannot be built."""
    kind = settings.HIVE_EMBEDDER
    dimensions = settings.HIVE_EMBEDDING_DIMENSIONS
    if kind == "hashing":
        return HashingEmbedder(dimensions=dimensions)
    if kind == "openai":
        return OpenAIEmbedder(
            dimensions=dimensions,
            base_url=settings.HIVE_EMBEDDING_BASE_URL,
            api_key=settings.HIVE_EMBEDDING_API_KEY,
            model=_model_setting("openai"),
            send_dimensions=settings.HIVE_EMBEDDING_SEND_DIMENSIONS,
            batch_size=settings.HIVE_EMBEDDING_BATCH_SIZE,
            timeout=float(settings.HIVE_EMBEDDING_TIMEOUT),
            max_retries=settings.HIVE_EMBEDDING_MAX_RETRIES,
        )
    if kind == "sentence-transformers":
        return SentenceTransformerEmbedder(
            dimensions=dimensions, model=_model_setting(kind), batch_size=settings.HIVE_EMBEDDING_BATCH_SIZE
        )
    raise EmbedderError(f"Unknown embedder {kind!r} (HIVE_EMBEDDER).")


def get_embedder() -> Embedder:
    """The configured embedder, built once per process (again if the settings change, as in tests)."""
    global _cached
    key = _settings_key()
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    embedder = build_embedder()
    with _cache_lock:
        _cached = (key, embedder)
    return embedder


def current_signature() -> str:
    """The configured embedder's signature, without loading a model or opening a connection."""
    kind = settings.HIVE_EMBEDDER
    dimensions = settings.HIVE_EMBEDDING_DIMENSIONS
    if kind == "hashing":
        return f"hashing-v{HashingEmbedder.version}/{dimensions}"
    if kind == "openai":
        return f"openai:{_model_setting('openai')}/{dimensions}"
    return f"{kind}:{_model_setting(kind)}/{dimensions}"
