"""The knowledge search's fast path: a runtime's well-formed vector search answered without DRF.

The runtime calls ``POST /api/v1/knowledge/search`` with an embedding on every message. DRF's request
parsing, serializer and response rendering cost as much as the index scan (bench/knowledge_api.py), so, as the
config endpoints do (``RuntimeDocumentView.fast_path``), a request that is plainly valid is answered here:
a key this worker already validated with the ``knowledge:search`` scope, a JSON object with an ``embedding``
and only the documented keys of the documented types, and a database not known to be down. Anything else —
a text ``query``, a bad value, an outage — goes to the DRF view unchanged, which explains itself in the shared
error shape. The selector, and so the statement and the results, are the same. The composition root calls it
before the middleware it does not need (``hive_portal.middleware.KnowledgeSearchFastPathMiddleware``).
"""

from __future__ import annotations

import math
from typing import cast

import orjson
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError
from django.http import HttpResponse
from rest_framework import serializers

from common.database_gate import database_gate
from common.json_limits import text_problem
from knowledge.api.serializers import KnowledgeSearchRequestSerializer, search_response_body
from knowledge.selectors import search_by_vector, validate_embedding
from runtime.authentication import key_cache, warm_key
from runtime.watcher import watcher

SCOPE = "knowledge:search"
# The keys and limits of the DRF serializer itself, so the two can never disagree; ``query`` (text to embed)
# always takes the DRF path.
_FIELDS = KnowledgeSearchRequestSerializer().fields


def _limit(value: float | None) -> float:
    if value is None:  # the fast path only takes what the serializer bounds
        raise ImproperlyConfigured("The knowledge search serializer must bound limit, max_distance and the texts.")
    return value


TEXT_LIMITS = {
    name: _limit(cast(serializers.CharField, _FIELDS[name]).max_length) for name in ("business_unit", "category")
}
_LIMIT = cast(serializers.IntegerField, _FIELDS["limit"])
_LIMIT_RANGE = (_limit(_LIMIT.min_value), _limit(_LIMIT.max_value))
_MAX_DISTANCE = cast(serializers.FloatField, _FIELDS["max_distance"])
_DISTANCE_RANGE = (_limit(_MAX_DISTANCE.min_value), _limit(_MAX_DISTANCE.max_value))
KEYS = set(_FIELDS) - {"query"}


def _plain_request(data) -> dict | None:
    """The search's arguments when ``data`` is plainly valid, else None (the DRF view decides)."""
    if not isinstance(data, dict) or "embedding" not in data or not set(data) <= KEYS:
        return None
    limit = data.get("limit", _LIMIT.default)
    if type(limit) is not int or not _LIMIT_RANGE[0] <= limit <= _LIMIT_RANGE[1]:
        return None
    max_distance = data.get("max_distance")
    if max_distance is not None and (
        type(max_distance) not in (int, float)
        or not math.isfinite(max_distance)
        or not _DISTANCE_RANGE[0] <= max_distance <= _DISTANCE_RANGE[1]
    ):
        return None
    texts = {}
    for name, max_length in TEXT_LIMITS.items():
        value = data.get(name)
        if value is not None:
            # DRF trims; a value that changes when trimmed, or is empty, is left to it.
            if (
                type(value) is not str
                or not value
                or value != value.strip()
                or len(value) > max_length
                or text_problem(value)
            ):
                return None
        texts[name] = value
    try:
        vector = validate_embedding(data["embedding"])
    except ValidationError:
        return None
    return {"vector": vector, "limit": limit, "max_distance": max_distance, **texts}


def fast_search_response(request) -> HttpResponse | None:
    if request.method != "POST" or request.content_type != "application/json":
        return None
    generations = watcher.current()
    if generations is None:
        return None
    info = warm_key(request, SCOPE, generations.keys)
    if info is None or database_gate.down:
        return None
    try:
        arguments = _plain_request(orjson.loads(request.body))
    except orjson.JSONDecodeError:
        return None
    if arguments is None:
        return None
    try:
        results = search_by_vector(
            arguments["vector"],
            business_unit=arguments["business_unit"],
            category=arguments["category"],
            limit=arguments["limit"],
            max_distance=arguments["max_distance"],
        )
    except DatabaseError:
        return None  # the DRF view meets the same error and answers it (503 when the database is down)
    key_cache.touch(info)
    body = search_response_body(results, embedder=None)
    response = HttpResponse(orjson.dumps(body), content_type="application/json")
    response["Vary"] = "Accept"
    response["Allow"] = "POST, OPTIONS"
    return response
