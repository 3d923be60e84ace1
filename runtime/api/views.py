"""The runtime's configuration endpoints: precomputed documents, ETags, and a stale copy when the
database is down."""

from __future__ import annotations

import json

from django.db import DatabaseError, InterfaceError
from django.http import HttpResponse
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from hive_portal.api.errors import ServiceUnavailable, error_body
from runtime.api.serializers import (
    AgentConfigSerializer,
    AgentIndexSerializer,
    BundleSerializer,
    ErrorSerializer,
    TeamConfigSerializer,
    TeamIndexSerializer,
)
from runtime.documents import Document, document_cache, render
from runtime.selectors import (
    NotServed,
    agent_document,
    agent_index,
    bundle_document,
    consistent_snapshot,
    snapshot_generation,
    team_document,
    team_index,
)
from runtime.state import DatabaseUnavailable, request_generations

RETRY_AFTER_SECONDS = 5
STALE_WARNING = '110 - "Response is Stale: the configuration database is unavailable"'

ERRORS = {
    304: OpenApiResponse(description="Not modified: the If-None-Match ETag is current."),
    401: OpenApiResponse(ErrorSerializer, description="Missing, invalid, revoked or expired API key."),
    403: OpenApiResponse(ErrorSerializer, description="The key lacks the config:read scope."),
    404: OpenApiResponse(ErrorSerializer, description="Unknown, inactive or unpublished component."),
    503: OpenApiResponse(ErrorSerializer, description="Database down and nothing cached yet; retry after Retry-After."),
}
CACHING_DOC = (
    "Responses carry an `ETag` (hash of the document); send it back in `If-None-Match` to get `304`. "
    "While the database is unavailable the last known document is served with `X-Hive-Stale: true` and a "
    "`Warning` header."
)

AGENT_EXAMPLE = {
    "id": "cards-specialist",
    "name": "Especialista em Cartões",
    "description": "Especialista da unidade de Cartões do atendimento.",
    "role": "Resolve dúvidas sobre cartões.",
    "instructions": ["Nunca peça o CVV.", "Explique prazos de fatura com datas concretas."],
    "system_message": None,
    "expected_output": None,
    "markdown": True,
    "add_history_to_context": True,
    "num_history_runs": 5,
    "tools": ["card_lookup"],
    "model": {"provider": "openai", "id": "gpt-4o", "params": {"temperature": 0.2}},
    "knowledge": None,
    "metadata": {"hive": {"version": 7, "published_at": "2026-11-20T14:03:11+00:00", "content_hash": "9f2c…", "live": True}},
}


class RuntimeDocumentView(APIView):
    """Serve a document from the per-worker cache, rebuilding it when the config generation moved."""

    required_scope = "config:read"
    version_header = "X-Hive-Version"

    def cache_key(self, request, **kwargs) -> tuple:
        raise NotImplementedError

    def build(self, request, generation: int, **kwargs) -> tuple[dict, dict[str, str]]:
        raise NotImplementedError

    def get(self, request, **kwargs):
        key = self.cache_key(request, **kwargs)
        try:
            generation = request_generations(request).config
        except DatabaseUnavailable:
            return self._stale(request, key)
        doc = document_cache.get(key)
        if doc is None or doc.generation != generation:
            try:
                doc = self._build(request, key, **kwargs)
            except (DatabaseError, InterfaceError):
                return self._stale(request, key)
        return self._respond(request, doc)

    def _build(self, request, key, **kwargs) -> Document:
        with consistent_snapshot():
            generation = snapshot_generation()
            try:
                data, headers = self.build(request, generation, **kwargs)
                headers = {"X-Hive-Generation": str(generation), **headers}
                doc = render(data, generation=generation, headers=headers)
            except NotServed as exc:
                doc = render(error_body("not_found", str(exc)), generation=generation, status=404)
        document_cache.put(key, doc)
        return doc

    def _stale(self, request, key):
        doc = document_cache.get(key)
        if doc is None:
            raise ServiceUnavailable(
                "The configuration database is unavailable and this worker has no copy of this document yet.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        return self._respond(request, doc, stale=True)

    def _respond(self, request, doc: Document, *, stale: bool = False):
        headers = dict(doc.headers)
        if stale:
            headers["Warning"] = STALE_WARNING
            headers["X-Hive-Stale"] = "true"
        if doc.status == 200:
            headers["ETag"] = doc.etag
            if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
            if if_none_match and (doc.etag in parse_etags(if_none_match) or if_none_match.strip() == "*"):
                response = HttpResponse(status=304)
                for name, value in headers.items():
                    response[name] = value
                return response
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "api":  # a person browsing the API
            return Response(json.loads(doc.body), status=doc.status, headers=headers)
        response = HttpResponse(doc.body, content_type="application/json", status=doc.status)
        for name, value in headers.items():
            response[name] = value
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-cache"  # may be stored, must be revalidated (ETag)
        response["Vary"] = "Authorization, X-API-Key, Accept"
        return response


class VersionQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="An older published version.")


@extend_schema(
    tags=["runtime"],
    summary="An agent's published configuration",
    description="Agno parameter names, ready for `agno.agent.Agent(**config)` once `model` is resolved. " + CACHING_DOC,
    parameters=[OpenApiParameter("version", OpenApiTypes.INT, description="An older published (immutable) version.")],
    responses={200: AgentConfigSerializer, **ERRORS},
    examples=[OpenApiExample("Cards specialist", value=AGENT_EXAMPLE, response_only=True)],
)
class AgentConfigView(RuntimeDocumentView):
    def cache_key(self, request, agent_id):
        query = VersionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self.version = query.validated_data.get("version")
        return ("agent", agent_id, self.version)

    def build(self, request, generation, agent_id):
        data = agent_document(agent_id, version=self.version)
        return data, {self.version_header: str(data["metadata"]["hive"]["version"])}


@extend_schema(
    tags=["runtime"],
    summary="A team's published configuration with its members inline",
    description="`members` lists each member's currently published configuration in position order; "
    "`metadata.hive.members` says which versions were combined. " + CACHING_DOC,
    responses={200: TeamConfigSerializer, **ERRORS},
)
class TeamConfigView(RuntimeDocumentView):
    def cache_key(self, request, team_id):
        return ("team", team_id)

    def build(self, request, generation, team_id):
        data = team_document(team_id)
        return data, {self.version_header: str(data["metadata"]["hive"]["version"])}


@extend_schema(tags=["runtime"], summary="Published agents", responses={200: AgentIndexSerializer, **ERRORS})
class AgentIndexView(RuntimeDocumentView):
    def cache_key(self, request):
        return ("agents",)

    def build(self, request, generation):
        return {"agents": agent_index()}, {}


@extend_schema(tags=["runtime"], summary="Published teams", responses={200: TeamIndexSerializer, **ERRORS})
class TeamIndexView(RuntimeDocumentView):
    def cache_key(self, request):
        return ("teams",)

    def build(self, request, generation):
        return {"teams": team_index()}, {}


@extend_schema(
    tags=["runtime"],
    summary="Everything a runtime needs in one document",
    description="Every published, active agent and team and the typification tree, taken from one state. "
    "`bundle_version` (also in `X-Hive-Bundle-Version`) moves on every change the runtime should see. " + CACHING_DOC,
    responses={200: BundleSerializer, **ERRORS},
)
class BundleView(RuntimeDocumentView):
    def cache_key(self, request):
        return ("bundle",)

    def build(self, request, generation):
        return bundle_document(generation), {"X-Hive-Bundle-Version": str(generation)}
