"""The stack's limit for knowledge search (bench/knowledge_api.py), not part of the portal.

A bare WSGI endpoint, ``POST /bench/knowledge-bare``, served by the same gunicorn beside the portal: it
parses the same JSON body with the portal's parser (orjson), sends the same query vector (the unit vector the
API searches with, in float32), runs the selector's single statement with the same parameters over one
persistent psycopg connection per worker (the same session settings, the vector bound in binary) and answers
the same bytes with the same headers (the API's security headers, written out once here: gunicorn checks and
sends every header of both). No Django, no DRF, no authentication, no validation: what any Python endpoint must
pay.
Every other path goes to the portal (``hive_portal.wsgi``).
"""

from __future__ import annotations

import math
import os

import numpy as np
import orjson

from hive_portal.wsgi import application as portal

_connection = None
_headers: list[tuple[str, str]] = []


def _response_headers() -> list[tuple[str, str]]:
    """What the API answers a search with besides Content-Length (bench/knowledge_api.py checks they match)."""
    if not _headers:
        from django.conf import settings

        from hive_portal.middleware import CONTENT_SECURITY_POLICY

        _headers.extend(
            [
                ("Content-Type", "application/json"),
                ("Vary", "Accept"),
                ("Allow", "POST, OPTIONS"),
                ("X-Frame-Options", settings.X_FRAME_OPTIONS),
                ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
                ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
            ]
        )
    return _headers


def _connect():
    global _connection
    if _connection is None:
        import psycopg
        from django.conf import settings

        from knowledge.selectors import PgVector, PgVectorBinaryDumper

        # The portal's own session settings (search path, planner and HNSW scan options).
        _connection = psycopg.connect(
            os.environ["HIVE_DATABASE_URL"],
            options=settings.DATABASES["default"]["OPTIONS"]["options"],
            autocommit=True,
        )
        _connection.adapters.register_dumper(PgVector, PgVectorBinaryDumper)
    return _connection


def bare_search(environ, start_response):
    from knowledge.selectors import PgVector, search_params, search_sql

    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = orjson.loads(environ["wsgi.input"].read(length))
    # The API searches with the unit vector (cosine distance ignores length): the same parameter bytes.
    exact = np.asarray(body["embedding"], dtype=np.float64)
    vector = (exact / np.linalg.norm(exact)).astype(np.float32)
    unit, category, limit = body.get("business_unit"), body.get("category"), body.get("limit", 10)
    params = search_params(PgVector(vector), business_unit=unit, category=category, limit=limit)
    rows = (
        _connect().execute(search_sql(business_unit=unit is not None, category=category is not None), params).fetchall()
    )
    results = [
        {
            "id": str(row[0]),
            "question": row[1],
            "answer": row[2],
            "business_unit": row[3],
            "category": row[4],
            "subcategory": row[5],
            "distance": float(row[6]),
        }
        for row in rows
        if row[6] is not None and not math.isnan(row[6])
    ]
    payload = orjson.dumps({"results": results, "count": len(results), "embedder": None})
    start_response("200 OK", [*_response_headers(), ("Content-Length", str(len(payload)))])
    return [payload]


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/bench/knowledge-bare" and environ.get("REQUEST_METHOD") == "POST":
        return bare_search(environ, start_response)
    return portal(environ, start_response)
