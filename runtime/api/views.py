"""The runtime's configuration endpoints: precomputed documents, ETags, and a stale copy when the
database is down."""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection
from django.http import HttpResponse
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import key_environment
from common.api.errors import ServiceUnavailable, error_body
from common.api.schema import error_responses
from common.validators import SLUG_PATTERN
from runtime.api.serializers import (
    AgentConfigSerializer,
    AgentIndexSerializer,
    BundleSerializer,
    TeamConfigSerializer,
    TeamIndexSerializer,
)
from runtime.authentication import key_cache, warm_key
from runtime.bundle import bundle_builder
from runtime.documents import Document, document_cache, render
from runtime.rollouts import rollout_cache, variant
from runtime.selectors import (
    NotServed,
    agent_document,
    agent_index,
    consistent_snapshot,
    snapshot_generation,
    team_document,
    team_index,
)
from runtime.state import DatabaseUnavailable, request_generations
from runtime.watcher import watcher
from versioning.models import first_environment

RETRY_AFTER_SECONDS = 5
MAX_WAIT_SECONDS = 30
STALE_WARNING = '110 - "Response is Stale: the configuration database is unavailable"'

ERRORS = {
    304: OpenApiResponse(description="Not modified: the If-None-Match ETag is current."),
    **error_responses(
        e401="Missing, invalid, revoked or expired API key.",
        e403="The key lacks the config:read scope.",
        e404="Unknown, inactive or unpublished component.",
        e503="Database down and nothing cached yet; retry after Retry-After.",
    ),
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
    "markdown": True,
    "add_history_to_context": True,
    "num_history_runs": 5,
    "tools": [{"name": "card_lookup", "parameters": {"type": "object", "properties": {}, "required": []}}],
    "model": {"provider": "OpenAI", "name": "OpenAIResponses", "id": "gpt-4o", "temperature": 0.2},
    "knowledge": {"name": "hive-portal:cards"},
    "search_knowledge": True,
    "metadata": {
        "hive": {
            "version": 7,
            "published_at": "2026-11-20T14:03:11+00:00",
            "content_hash": "9f2c…",
            "live": True,
            "knowledge": {"name": "hive-portal:cards", "business_unit": "cards", "max_results": 5},
        }
    },
}
CONTRACT_DOC = (
    "The document is what Agno 3's `Agent.to_dict()` writes, so `Agent.from_dict(doc, registry=..., strict=True)` "
    "accepts it: `model` flat as `Model.to_dict()` writes it plus every model setting, `tools` as "
    "`Function.to_dict()` (bound by name through Agno's `Registry`), `knowledge` as a `{name}` reference, portal "
    "data under `metadata.hive`. "
)


class RuntimeDocumentView(APIView):
    """Serve a document from the per-worker cache, rebuilding it when the config generation moved."""

    required_scope = "config:read"
    serves_without_database = True  # answers stale from its cache (hive_portal.middleware lets it through)
    version_header = "X-Hive-Version"
    # Agents and teams: the component type and the URL keyword of its id, for rollouts' session variants.
    rollout_type: str | None = None
    rollout_id_kwarg = ""
    variant: str | None = None

    @classmethod
    def variant_of(cls, rollouts, environment: str, query, kwargs) -> str | None:
        if cls.rollout_type is None or not rollouts:
            return None
        return variant(rollouts, environment, cls.rollout_type, kwargs[cls.rollout_id_kwarg], query)

    @classmethod
    def document_key(cls, query, kwargs) -> tuple:
        """The cache key of the document a request asks for (raises ValidationError for bad input)."""
        raise NotImplementedError

    def build(self, request, generation: int, environment: str, **kwargs) -> tuple[dict, dict[str, str]]:
        raise NotImplementedError

    def get(self, request, **kwargs):
        environment = key_environment(request) or first_environment()
        key = (environment, *self.document_key(request.query_params, kwargs))
        try:
            generation = request_generations(request).config
        except DatabaseUnavailable:
            return self._stale(request, self._with_variant(key, rollout_cache.last(), environment, kwargs))
        if self.rollout_type is not None:
            try:
                rollouts = rollout_cache.load(generation)
            except (DatabaseError, InterfaceError):
                return self._stale(request, self._with_variant(key, rollout_cache.last(), environment, kwargs))
            key = self._with_variant(key, rollouts, environment, kwargs)
        doc = document_cache.get(key)
        if doc is None or doc.generation != generation:
            try:
                doc = self._build(request, key, environment, **kwargs)
            except (DatabaseError, InterfaceError):
                return self._stale(request, key)
        return self._respond(request, doc)

    def _with_variant(self, key: tuple, rollouts, environment: str, kwargs) -> tuple:
        self.variant = self.variant_of(rollouts, environment, self.request.query_params, kwargs)
        return (*key, self.variant) if self.variant else key

    def _build(self, request, key, environment: str, **kwargs) -> Document:
        with consistent_snapshot():
            generation = snapshot_generation()
            try:
                data, headers = self.build(request, generation, environment, **kwargs)
                headers = {"X-Hive-Generation": str(generation), "X-Hive-Environment": environment, **headers}
                if self.variant:
                    headers["X-Hive-Variant"] = self.variant
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
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "api" and doc.body:  # a person browsing the API
            headers = document_headers(doc, stale=stale)
            return Response(json.loads(doc.body), status=doc.status, headers=headers)
        return document_response(request, doc, stale=stale)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response.setdefault("Cache-Control", "no-cache")
        response.setdefault("Vary", VARY)
        return response

    @classmethod
    def fast_path(cls, drf_view):
        """Wrap the DRF view: a warm GET from a known key is answered from the cache before DRF runs."""

        @functools.wraps(drf_view)
        def view(request, *args, **kwargs):
            if request.method == "GET":
                response = fast_response(cls, request, kwargs)
                if response is not None:
                    return response
            return drf_view(request, *args, **kwargs)

        return view


VARY = "Authorization, X-API-Key, Accept"


def document_headers(doc: Document, *, stale: bool = False) -> dict[str, str]:
    headers = dict(doc.headers)
    if stale:
        headers["Warning"] = STALE_WARNING
        headers["X-Hive-Stale"] = "true"
    if doc.status == 200:
        headers["ETag"] = doc.etag
    headers["Cache-Control"] = "no-cache"  # may be stored, must be revalidated (ETag)
    headers["Vary"] = VARY
    return headers


def document_response(request, doc: Document, *, stale: bool = False) -> HttpResponse:
    """The document's bytes, or 304 when the client's If-None-Match names its ETag."""
    headers = document_headers(doc, stale=stale)
    if doc.status == 200:
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
        if if_none_match and (if_none_match.strip() == "*" or doc.etag in parse_etags(if_none_match)):
            response = HttpResponse(status=304)
            for name, value in headers.items():
                response[name] = value
            return response
    response = HttpResponse(doc.body, content_type="application/json", status=doc.status)
    for name, value in headers.items():
        response[name] = value
    return response


def fast_response(view_class, request, kwargs) -> HttpResponse | None:
    """Answer a warm request with no query and without DRF, or return None to take the full path.

    Only when the worker's listener vouches for the current generation, the key was validated at that
    generation and is live with the right scope, and the document is cached for that generation.
    Everything else (errors included) goes through the DRF view, which explains itself properly.
    """
    generations = watcher.current()
    if generations is None:
        return None
    info = warm_key(request, view_class.required_scope, generations.keys)
    if info is None:
        return None
    environment = info.environment or first_environment()
    try:
        key = (environment, *view_class.document_key(request.GET, kwargs))
    except serializers.ValidationError:
        return None
    if view_class.rollout_type is not None:
        rollouts = rollout_cache.peek(generations.config)
        if rollouts is None:
            return None  # not read for this generation yet: the full path reads them
        chosen = view_class.variant_of(rollouts, environment, request.GET, kwargs)
        if chosen:
            key = (*key, chosen)
    doc = document_cache.get(key)
    if doc is None or doc.generation != generations.config:
        return None
    key_cache.touch(info)
    return document_response(request, doc)


ROLLOUT_PARAMETERS = [
    OpenApiParameter(
        name,
        str,
        description=f"The runtime's {what}: while a rollout of this component runs in the key's environment, the "
        "session gets the candidate (`X-Hive-Variant: candidate`, `metadata.hive.rollout`) when "
        "`sha256(salt:key)` falls in the rollout's share — the same pick the client makes from the bundle"
        + (" (`session_id` wins when both are sent)." if name == "user_id" else "."),
    )
    for name, what in (("session_id", "session id"), ("user_id", "user id"))
]


class VersionQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text="An older published version.")


@extend_schema(
    tags=["runtime"],
    summary="An agent's published configuration",
    description=CONTRACT_DOC + CACHING_DOC,
    parameters=[
        OpenApiParameter(
            "version", {"type": "integer", "minimum": 1}, description="An older published (immutable) version."
        ),
        *ROLLOUT_PARAMETERS,
    ],
    responses={200: AgentConfigSerializer, **ERRORS, **error_responses(e400="`version` is not a positive integer.")},
    examples=[OpenApiExample("Cards specialist", value=AGENT_EXAMPLE, response_only=True)],
)
class AgentConfigView(RuntimeDocumentView):
    rollout_type = "agent"
    rollout_id_kwarg = "agent_id"

    @classmethod
    def document_key(cls, query, kwargs):
        version = None
        if "version" in query:
            checked = VersionQuerySerializer(data={"version": query.get("version")})
            checked.is_valid(raise_exception=True)
            version = checked.validated_data["version"]
        return ("agent", kwargs["agent_id"], version)

    def build(self, request, generation, environment, agent_id):
        version = self.document_key(request.query_params, {"agent_id": agent_id})[2]
        data = agent_document(agent_id, version=version, environment=environment, candidate=bool(self.variant))
        return data, {self.version_header: str(data["metadata"]["hive"]["version"])}


@extend_schema(
    tags=["runtime"],
    summary="A team's published configuration with its members' documents",
    description="What Agno 3's `Team.to_dict()` writes: `members` are references `{type: agent, agent_id}` in "
    "position order; each member's currently published document is in `metadata.hive.components.agents` (one "
    "fetch, one state) and `metadata.hive.members` says which versions were combined. " + CACHING_DOC,
    parameters=ROLLOUT_PARAMETERS,
    responses={200: TeamConfigSerializer, **ERRORS},
)
class TeamConfigView(RuntimeDocumentView):
    rollout_type = "team"
    rollout_id_kwarg = "team_id"

    @classmethod
    def document_key(cls, query, kwargs):
        return ("team", kwargs["team_id"])

    def build(self, request, generation, environment, team_id):
        data = team_document(team_id, environment=environment, candidate=bool(self.variant))
        return data, {self.version_header: str(data["metadata"]["hive"]["version"])}


class AgentIndexQuerySerializer(serializers.Serializer):
    capability = serializers.RegexField(
        SLUG_PATTERN, max_length=100, required=False, help_text="Only agents that have this capability."
    )
    knowledge_domain = serializers.RegexField(
        SLUG_PATTERN, max_length=100, required=False, help_text="Only agents that list this knowledge domain."
    )


@extend_schema(
    tags=["runtime"],
    summary="Published agents",
    description="Every agent served in the key's environment; `capability` and `knowledge_domain` keep the ones "
    "whose served configuration has that capability / lists that domain (both: both). " + CACHING_DOC,
    parameters=[
        OpenApiParameter(name, {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 100}, description=description)
        for name, description in (
            ("capability", "Only agents with this capability (its name, e.g. `refunds`)."),
            ("knowledge_domain", "Only agents that list this knowledge domain (e.g. `credit-cards`)."),
        )
    ],
    responses={
        200: AgentIndexSerializer,
        **ERRORS,
        **error_responses(e400="`capability` or `knowledge_domain` is not a lowercase identifier."),
    },
)
class AgentIndexView(RuntimeDocumentView):
    @classmethod
    def document_key(cls, query, kwargs):
        names = ("capability", "knowledge_domain")
        if not any(name in query for name in names):
            return ("agents",)
        checked = AgentIndexQuerySerializer(data={name: query.get(name) for name in names if name in query})
        checked.is_valid(raise_exception=True)
        return ("agents", *(checked.validated_data.get(name) for name in names))

    def build(self, request, generation, environment):
        key = self.document_key(request.query_params, {})
        filters = dict(zip(("capability", "knowledge_domain"), key[1:]))
        return {"agents": agent_index(environment, **filters)}, {}


@extend_schema(tags=["runtime"], summary="Published teams", responses={200: TeamIndexSerializer, **ERRORS})
class TeamIndexView(RuntimeDocumentView):
    @classmethod
    def document_key(cls, query, kwargs):
        return ("teams",)

    def build(self, request, generation, environment):
        return {"teams": team_index(environment)}, {}


class SinceQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(required=False, min_value=0, help_text="The bundle_version the runtime holds.")


@extend_schema(
    tags=["runtime"],
    summary="Everything a runtime needs in one document",
    description="Every published, active agent and team and the typification tree, taken from one state. "
    "`bundle_version` (also in `X-Hive-Bundle-Version`) moves on every change the runtime should see. "
    "With `?since=N` (the `bundle_version` the runtime holds) the answer is `304` when nothing changed, else "
    "only what changed: `delta: true`, the changed agents and teams (a team whose only change is a member's new "
    "version is not resent: put the member's new document into the team's `metadata.hive.components.agents` and "
    "its version into `metadata.hive.members`), `removed` ids, `typification` when it changed, and `rollouts`. "
    "A portal worker that does not know bundle N answers with the whole bundle (`delta` absent). " + CACHING_DOC,
    parameters=[
        OpenApiParameter(
            "since", {"type": "integer", "minimum": 0}, description="The `bundle_version` the runtime holds."
        )
    ],
    responses={200: BundleSerializer, **ERRORS, **error_responses(e400="`since` is not a whole number ≥ 0.")},
)
class BundleView(RuntimeDocumentView):
    @classmethod
    def document_key(cls, query, kwargs):
        since = None
        if "since" in query:
            checked = SinceQuerySerializer(data={"since": query.get("since")})
            checked.is_valid(raise_exception=True)
            since = checked.validated_data["since"]
        return ("bundle", since)

    def _build(self, request, key, environment: str, **kwargs) -> Document:
        """The whole bundle from the worker's parts (``runtime.bundle``), or the delta since ``key``'s version."""
        since = key[-1]
        with consistent_snapshot():
            generation = snapshot_generation()
            built = bundle_builder.build(generation, environment)
        headers = {
            "X-Hive-Generation": str(generation),
            "X-Hive-Environment": environment,
            "X-Hive-Bundle-Version": str(generation),
        }
        full = Document(generation=generation, body=built.body, etag=built.etag, headers=headers)
        document_cache.put((environment, "bundle", None), full)
        if since is None:
            return full
        if since == generation:
            doc = Document(generation=generation, body=b"", etag=built.etag, headers=headers, status=304)
        else:
            body = bundle_builder.delta(built, since)
            if body is None:  # this worker did not build bundle ``since``: the whole bundle is always right
                document_cache.put(key, full)
                return full
            etag = quote_etag(f"{built.etag.strip(chr(34))}-since-{since}")
            doc = Document(generation=generation, body=body, etag=etag, headers=headers)
        document_cache.put(key, doc)
        return doc

    def _stale(self, request, key):
        """Database down: the delta this worker holds for ``since``, else its last whole bundle."""
        if document_cache.get(key) is None:
            key = (*key[:-1], None)
        return super()._stale(request, key)


class BundleWaitQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, help_text="The bundle_version the runtime holds.")
    timeout = serializers.IntegerField(
        required=False, default=25, min_value=0, max_value=MAX_WAIT_SECONDS, help_text="Seconds to wait at most."
    )


class BundleWaitSerializer(serializers.Serializer):
    bundle_version = serializers.IntegerField(help_text="The current bundle_version.")
    changed = serializers.BooleanField(help_text="True when it differs from `after`: fetch the bundle (with its ETag).")
    waited = serializers.BooleanField(help_text="False on a server that does not hold long-polls (answers at once).")


@extend_schema(
    tags=["runtime"],
    summary="Long-poll: wait until the bundle changes",
    description="Answers as soon as `bundle_version` differs from `after`, or after `timeout` seconds. Only a "
    "server started with `HIVE_LONG_POLL=true` (threaded gunicorn, see the README) holds the request; the sync "
    "workers that serve the configuration documents answer at once (`waited: false`), so a waiting runtime never "
    "holds one of them.",
    parameters=[BundleWaitQuerySerializer],
    responses={
        200: BundleWaitSerializer,
        **error_responses(
            e400="`after` missing or not a whole number ≥ 0, or `timeout` outside 0–30.",
            e401="Missing, invalid, revoked or expired API key.",
            e403="The key lacks the config:read scope.",
            e503="The configuration database is unavailable; retry after Retry-After.",
        ),
    },
)
class BundleWaitView(APIView):
    required_scope = "config:read"

    def get(self, request):
        query = BundleWaitQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, timeout = query.validated_data["after"], query.validated_data["timeout"]
        try:
            current = request_generations(request).config
        except DatabaseUnavailable:
            raise ServiceUnavailable(
                "The configuration database is unavailable.", retry_after=RETRY_AFTER_SECONDS
            ) from None
        waited = bool(settings.HIVE_LONG_POLL and timeout)
        if waited and current == after:
            connection.close()  # give the pooled connection back while this thread only waits
            state = watcher.wait(after, timeout)
            if state is not None:
                current = state.config
        response = Response({"bundle_version": current, "changed": current != after, "waited": waited})
        response["Cache-Control"] = "no-store"
        return response
