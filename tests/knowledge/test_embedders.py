import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from django.test import override_settings

from knowledge.embedders import (
    EmbedderError,
    HashingEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    current_signature,
    get_embedder,
)


def _cosine(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- hashing ---------------------------------------------------------------------------------------


def test_hashing__is_deterministic_normalised_and_sized():
    embedder = HashingEmbedder(dimensions=1536)
    first, second = embedder.embed(["How do I block my card?", "How do I block my card?"])
    assert first == second
    assert len(first) == 1536
    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)
    assert HashingEmbedder(dimensions=1536).embed_one("How do I block my card?") == first, "same across instances"


def test_hashing__ranks_lexically_related_text_closer():
    embedder = HashingEmbedder(dimensions=1536)
    query = embedder.embed_one("block my credit card")
    related = embedder.embed_one("How can I block a lost credit card?")
    unrelated = embedder.embed_one("Rotate the server logs every week with logrotate")
    assert _cosine(query, related) > _cosine(query, unrelated) + 0.3


def test_hashing__is_accent_and_case_insensitive_and_tolerates_word_forms():
    embedder = HashingEmbedder(dimensions=1536)
    assert _cosine(embedder.embed_one("Cartão BLOQUEADO"), embedder.embed_one("cartao bloqueado")) == pytest.approx(1.0)
    # character n-grams: plural and verb forms share most pieces
    assert _cosine(embedder.embed_one("cartões"), embedder.embed_one("cartão")) > 0.15
    assert abs(_cosine(embedder.embed_one("cartões"), embedder.embed_one("pix"))) < 0.05


def test_hashing__text_without_words_is_the_zero_vector():
    assert not any(HashingEmbedder(dimensions=64).embed_one("?!  ..."))


def test_hashing__signature_names_version_and_size():
    assert HashingEmbedder(dimensions=1536).signature == "hashing-v1/1536"


# --- choosing --------------------------------------------------------------------------------------


def test_get_embedder__follows_settings_and_is_reused():
    with override_settings(HIVE_EMBEDDER="hashing"):
        embedder = get_embedder()
        assert isinstance(embedder, HashingEmbedder)
        assert get_embedder() is embedder
        assert current_signature() == embedder.signature
    with override_settings(HIVE_EMBEDDER="openai", HIVE_EMBEDDING_BASE_URL="http://127.0.0.1:9/v1"):
        embedder = get_embedder()
        assert isinstance(embedder, OpenAIEmbedder)
        assert current_signature() == embedder.signature == "openai:text-embedding-3-small/1536"


# --- OpenAI-compatible, against a local fake server ------------------------------------------------


class FakeEmbeddingsServer:
    """A tiny OpenAI-compatible /v1/embeddings server on a free loopback port.

    ``script`` is a list of (status, body or None, headers) answered in order; after it, every request
    succeeds with vectors derived from the input texts.
    """

    def __init__(self, *, dimensions=8, script=None, delay=0.0):
        self.dimensions = dimensions
        self.script = list(script or [])
        self.requests = []
        self.delay = delay
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if owner.delay:
                    threading.Event().wait(owner.delay)
                if owner.script:
                    status, payload, headers = owner.script.pop(0)
                else:
                    status, headers = 200, {}
                    payload = {
                        "object": "list",
                        # answered out of order on purpose: clients must sort by index
                        "data": [
                            {"object": "embedding", "index": i, "embedding": owner.vector_for(text)}
                            for i, text in reversed(list(enumerate(body["input"])))
                        ],
                        "model": body["model"],
                    }
                raw = json.dumps(payload).encode() if payload is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left, as the timeout test intends

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def vector_for(self, text):
        return [float(len(text) % 7 + 1)] + [0.5] * (self.dimensions - 1)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _client(server, **kwargs):
    sleeps = []
    options = {
        "dimensions": server.dimensions,
        "base_url": server.base_url,
        "api_key": "sk-test",
        "sleep": sleeps.append,
    }
    options.update(kwargs)
    return OpenAIEmbedder(**options), sleeps


def test_openai__sends_model_dimensions_and_key_and_orders_by_index():
    with FakeEmbeddingsServer() as server:
        embedder, _ = _client(server)
        vectors = embedder.embed(["a", "bb", "ccc"])
    assert vectors == [server.vector_for("a"), server.vector_for("bb"), server.vector_for("ccc")]
    (request,) = server.requests
    assert request["path"] == "/v1/embeddings"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"]["model"] == "text-embedding-3-small"
    assert request["body"]["dimensions"] == 8
    assert request["body"]["input"] == ["a", "bb", "ccc"]


def test_openai__batches_inputs():
    with FakeEmbeddingsServer() as server:
        embedder, _ = _client(server, batch_size=2, send_dimensions=False)
        vectors = embedder.embed(["a", "b", "c", "d", "e"])
    assert len(vectors) == 5
    assert [len(r["body"]["input"]) for r in server.requests] == [2, 2, 1]
    assert "dimensions" not in server.requests[0]["body"]


def test_openai__429_then_success_retries_with_backoff():
    script = [(429, {"error": {"message": "Rate limit reached"}}, {})]
    with FakeEmbeddingsServer(script=script) as server:
        embedder, sleeps = _client(server, backoff=0.25)
        vectors = embedder.embed(["hello"])
    assert vectors == [server.vector_for("hello")]
    assert len(server.requests) == 2
    assert len(sleeps) == 1 and 0.125 <= sleeps[0] <= 0.375


def test_openai__honours_retry_after_and_retries_5xx():
    script = [(503, None, {"Retry-After": "2"}), (500, {"error": "boom"}, {})]
    with FakeEmbeddingsServer(script=script) as server:
        embedder, sleeps = _client(server, backoff=0.1)
        embedder.embed(["x"])
    assert len(server.requests) == 3
    assert sleeps[0] == 2.0
    assert 0.1 <= sleeps[1] <= 0.3, "second retry doubles the base backoff"


def test_openai__gives_up_after_max_retries():
    script = [(429, {"error": {"message": "slow down"}}, {})] * 3
    with FakeEmbeddingsServer(script=script) as server:
        embedder, sleeps = _client(server, max_retries=2)
        with pytest.raises(EmbedderError, match="failed 3 times; last: HTTP 429: slow down"):
            embedder.embed(["x"])
    assert len(server.requests) == 3 and len(sleeps) == 2


def test_openai__client_error_fails_at_once_with_the_service_message():
    script = [(401, {"error": {"message": "Incorrect API key provided"}}, {})]
    with FakeEmbeddingsServer(script=script) as server:
        embedder, sleeps = _client(server)
        with pytest.raises(EmbedderError, match="Incorrect API key provided"):
            embedder.embed(["x"])
    assert len(server.requests) == 1 and sleeps == []


def test_openai__times_out_and_retries():
    with FakeEmbeddingsServer(delay=0.5) as server:
        embedder, sleeps = _client(server, timeout=0.1, max_retries=1)
        with pytest.raises(EmbedderError, match="ReadTimeout"):
            embedder.embed(["x"])
    assert len(sleeps) == 1


def test_openai__wrong_dimension_is_refused():
    with FakeEmbeddingsServer(dimensions=4) as server:
        embedder, _ = _client(server, dimensions=8)
        with pytest.raises(EmbedderError, match="4 dimensions; the knowledge base stores 8"):
            embedder.embed(["x"])


def test_openai__connection_refused_is_an_embedder_error():
    embedder = OpenAIEmbedder(dimensions=8, base_url="http://127.0.0.1:9/v1", max_retries=1, sleep=lambda s: None)
    with pytest.raises(EmbedderError, match="ConnectError"):
        embedder.embed(["x"])


# --- sentence-transformers ---------------------------------------------------------------------------


def test_sentence_transformers__missing_package_is_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails as if not installed
    with pytest.raises(EmbedderError, match="pip install sentence-transformers"):
        SentenceTransformerEmbedder(dimensions=384, model="all-MiniLM-L6-v2")


def test_sentence_transformers__dimension_is_checked_against_the_column(monkeypatch):
    """The adapter's own checks, with a stand-in for the library (no model weights can be downloaded here)."""
    import sys
    import types

    class StandIn:
        def __init__(self, name):
            self.name = name

        def get_sentence_embedding_dimension(self):
            return 384

        def encode(self, texts, **kwargs):
            assert kwargs["normalize_embeddings"] is True
            return np.ones((len(texts), 384), dtype=np.float32)

    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = StandIn
    monkeypatch.setitem(sys.modules, "sentence_transformers", module)
    with pytest.raises(EmbedderError, match="makes 384-dimension vectors, but the knowledge base stores 1536"):
        SentenceTransformerEmbedder(dimensions=1536, model="all-MiniLM-L6-v2")
    embedder = SentenceTransformerEmbedder(dimensions=384, model="all-MiniLM-L6-v2")
    assert embedder.signature == "sentence-transformers:all-MiniLM-L6-v2/384"
    assert len(embedder.embed(["a", "b"])) == 2
