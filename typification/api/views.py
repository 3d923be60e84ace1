from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import key_environment
from common.api.schema import error_responses
from typification.api.serializers import (
    ClassifyRequestSerializer,
    ClassifyResponseSerializer,
    TreeResponseSerializer,
)
from typification.classifier import classify
from typification.selectors import published_routing, typification_tree_document

CLASSIFY_EXAMPLE = {
    "text": "quero fazer a antecipacao das minhas vendas",
    "results": [
        {
            "id": "1f0c3a52-5d7e-4b43-9a4f-0d6b0f3c2a11",
            "path": [
                "Adquirência Web",
                "Antecipação de Vendas",
                "Cliente deseja fazer a Antecipação de Vendas",
                "Cliente orientado a fazer o processo via máquina",
            ],
            "business_unit": "Adquirência Web",
            "score": 0.62,
            "keyword_score": 0.6,
            "knowledge_score": 0.66,
            "matched_keywords": [{"term": "antecipação", "source": "keyword", "weight": 1.0}],
            "knowledge_matches": [
                {
                    "id": "a3e1…",
                    "question": "Como faço a antecipação de vendas?",
                    "business_unit": "Adquirência Web",
                    "distance": 0.34,
                    "similarity": 0.66,
                }
            ],
            "handler": {"type": "agent", "id": "adquirencia-specialist", "name": "Adquirência Specialist"},
        }
    ],
    "route": {"type": "agent", "id": "adquirencia-specialist", "name": "Adquirência Specialist"},
    "knowledge_available": True,
    "routing_version": 3,
}


class ClassifyView(APIView):
    """Rank typification paths for a customer message."""

    required_scope = "typification:read"

    @extend_schema(
        operation_id="typification_classify",
        summary="Classify a customer message",
        description=(
            "Ranked typification paths for a message, with scores and why: the routing keywords and label "
            "words found (accent- and case-insensitive), the most similar knowledge entries of each "
            "business unit, and the agent or team that handles the path's business unit — all from the "
            "published routing version (unpublished edits of paths and routes are not used). Scope `typification:read`."
        ),
        request=ClassifyRequestSerializer,
        responses={
            200: ClassifyResponseSerializer,
            **error_responses(
                e400="Invalid request; `error.fields` names the field.",
                e401="Missing or invalid API key.",
                e403="The key lacks the typification:read scope.",
            ),
        },
        examples=[
            OpenApiExample(
                "Request", value={"text": "quero fazer a antecipacao das minhas vendas", "limit": 3}, request_only=True
            ),
            OpenApiExample("Response", value=CLASSIFY_EXAMPLE, response_only=True),
        ],
        tags=["typification"],
    )
    def post(self, request):
        serializer = ClassifyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = classify(
            serializer.validated_data["text"],
            limit=serializer.validated_data["limit"],
            routing=published_routing(key_environment(request)),
        )
        return Response(result.as_dict())


class TreeView(APIView):
    """The whole typification hierarchy as a tree."""

    required_scope = "typification:read"

    @extend_schema(
        operation_id="typification_tree",
        summary="The typification tree",
        description=(
            "Every path of the published routing version as nested nodes with counts, and the handler of "
            "each business unit. Scope `typification:read`."
        ),
        responses={
            200: TreeResponseSerializer,
            **error_responses(e401="Missing or invalid API key.", e403="The key lacks the typification:read scope."),
        },
        tags=["typification"],
    )
    def get(self, request):
        return Response(typification_tree_document(key_environment(request)))
