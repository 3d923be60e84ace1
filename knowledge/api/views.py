"""The knowledge search endpoint the agent runtime calls."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.errors import ServiceUnavailable
from common.api.schema import error_responses
from knowledge.api.serializers import (
    KnowledgeSearchRequestSerializer,
    KnowledgeSearchResponseSerializer,
    search_response_body,
)
from knowledge.embedders import EmbedderError, get_embedder
from knowledge.selectors import query_vector, search_by_vector


class KnowledgeSearchView(APIView):
    """Nearest knowledge entries to a text or a vector, optionally within a business unit and category."""

    required_scope = "knowledge:search"

    @extend_schema(
        operation_id="knowledge_search",
        summary="Search the knowledge base by similarity",
        description=(
            "Give `query` (text, embedded with the portal's embedder) or `embedding` (a vector of "
            "HIVE_EMBEDDING_DIMENSIONS numbers). With a `business_unit` or `category` filter the page is "
            "still full (`limit` results) whenever that many entries match. Results are ordered by cosine "
            "distance and never include embeddings. Needs the `knowledge:search` scope."
        ),
        request=KnowledgeSearchRequestSerializer,
        responses={
            200: KnowledgeSearchResponseSerializer,
            **error_responses(
                e400="Invalid request; `error.fields` names the field.",
                e401="Missing or invalid API key.",
                e403="The key lacks the knowledge:search scope.",
                e503="The embeddings service is unavailable.",
            ),
        },
        examples=[
            OpenApiExample(
                "Text query within a business unit",
                value={"query": "How do I block my card?", "business_unit": "pagbank", "limit": 5},
                request_only=True,
            ),
            OpenApiExample(
                "Answer",
                value={
                    "results": [
                        {
                            "id": "0b6f7c1e-7d0e-4c55-9f43-0a8d1a6a2f10",
                            "question": "How do I block a lost card?",
                            "answer": "Open the app, go to Cards and tap Block card.",
                            "business_unit": "pagbank",
                            "category": "Cards",
                            "subcategory": "",
                            "distance": 0.18,
                        }
                    ],
                    "count": 1,
                    "embedder": "hashing-v1/1536",
                },
                response_only=True,
                status_codes=["200"],
            ),
            OpenApiExample(
                "Limit too large",
                value={
                    "error": {
                        "code": "invalid",
                        "message": "limit: Ensure this value is less than or equal to 50.",
                        "fields": {"limit": ["Ensure this value is less than or equal to 50."]},
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        serializer = KnowledgeSearchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        signature = None
        try:
            if "query" in data:
                embedder = get_embedder()
                signature = embedder.signature
                vector = query_vector(query=data["query"], embedder=embedder)
            else:
                vector = data["embedding"]
        except EmbedderError as exc:
            raise ServiceUnavailable(f"The query could not be embedded: {exc}") from exc
        results = search_by_vector(
            vector,
            business_unit=data.get("business_unit"),
            category=data.get("category"),
            limit=data["limit"],
            max_distance=data.get("max_distance"),
        )
        return Response(search_response_body(results, embedder=signature))
