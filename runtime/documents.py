"""The runtime path's per-worker cache of precomputed documents.

A document is built once per config generation (see ``runtime.state``) and kept as bytes with its
ETag. A warm request therefore costs one primary-key read (the generation) and no serialisation. When
the database is down, the last document built is served, marked stale; a publish is seen on the
next request because the generation moved.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder

MAX_ENTRIES = 2000


@dataclass(frozen=True)
class Document:
    generation: int
    body: bytes
    etag: str
    headers: dict[str, str]
    status: int = 200


def render(data, *, generation: int, headers: dict[str, str] | None = None, status: int = 200) -> Document:
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    return Document(generation=generation, body=body, etag=etag, headers=dict(headers or {}), status=status)


class DocumentCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, Document] = OrderedDict()
        self._max = max_entries

    def get(self, key: tuple) -> Document | None:
        with self._lock:
            doc = self._entries.get(key)
            if doc is not None:
                self._entries.move_to_end(key)
            return doc

    def put(self, key: tuple, doc: Document) -> None:
        with self._lock:
            current = self._entries.get(key)
            if current is not None and current.generation > doc.generation:
                return  # a concurrent request already stored a newer state
            self._entries[key] = doc
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def get_or_build(self, key: tuple, generation: int, build: Callable[[], Document]) -> Document:
        doc = self.get(key)
        if doc is not None and doc.generation == generation:
            return doc
        doc = build()
        self.put(key, doc)
        return doc

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


document_cache = DocumentCache()
