"""Request and response shapes of the knowledge search API."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.serializers import StrictCharField, StrictFieldsMixin
from knowledge.selectors import FLOAT32_MAX, MAX_QUERY_LENGTH, MAX_SEARCH_LIMIT, MIN_DIRECTION, validate_embedding


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "number", "format": "float", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX},
        "minItems": settings.HIVE_EMBEDDING_DIMENSIONS,
        "maxItems": settings.HIVE_EMBEDDING_DIMENSIONS,
        # An all-zero vector has no direction to compare: refused.
        "not": {"items": {"minimum": -MIN_DIRECTION, "maximum": MIN_DIRECTION}},
    }
)
class EmbeddingField(serializers.Field):
    """A list of HIVE_EMBEDDING_DIMENSIONS numbers, checked in one vectorised pass (DRF's ListField checks
    each of the 1,536 items with a FloatField, which costs more than the search itself)."""

    default_error_messages = {"invalid": "Give a list of numbers."}

    def to_internal_value(self, data):
        try:
            return validate_embedding(data, field="embedding")
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["embedding"]) from None

    def to_representation(self, value):  # pragma: no cover - never sent back
        return list(value)


class KnowledgeSearchRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    """Give `query` or `embedding` (exactly one); a key not listed here is refused with 400."""

    openapi_required_one_of = ("query", "embedding")
    query = StrictCharField(
        required=False,
        max_length=MAX_QUERY_LENGTH,
        trim_whitespace=True,
        help_text="Text to search for, with at least one word (a letter or digit); embedded with the portal's configured embedder.",
    )
    embedding = EmbeddingField(
        required=False,
        help_text=f"Instead of `query`: a vector of {settings.HIVE_EMBEDDING_DIMENSIONS} numbers from the same embedder.",
    )
    business_unit = StrictCharField(required=False, max_length=50, help_text="Only entries of this business unit.")
    category = StrictCharField(required=False, max_length=255, help_text="Only entries of this category.")
    limit = serializers.IntegerField(
        required=False, default=10, min_value=1, max_value=MAX_SEARCH_LIMIT, help_text="How many results (1-50)."
    )
    max_distance = serializers.FloatField(
        required=False,
        min_value=0.0,
        max_value=2.0,
        help_text="Leave out results farther than this cosine distance (0 = identical, 2 = opposite).",
    )

    def validate(self, attrs):
        has_query, has_embedding = "query" in attrs, "embedding" in attrs
        if has_query and has_embedding:
            raise serializers.ValidationError({"embedding": ["Give either query or embedding, not both."]})
        if not has_query and not has_embedding:
            raise serializers.ValidationError({"query": ["Give a query text (or an embedding)."]})
        return attrs


class KnowledgeSearchResultSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    question = serializers.CharField()
    answer = serializers.CharField()
    business_unit = serializers.CharField()
    category = serializers.CharField()
    subcategory = serializers.CharField()
    distance = serializers.FloatField(help_text="Cosine distance to the query: smaller is closer.")


class KnowledgeSearchResponseSerializer(serializers.Serializer):
    results = KnowledgeSearchResultSerializer(many=True)
    count = serializers.IntegerField()
    embedder = serializers.CharField(
        help_text="Signature of the embedder that embedded the query, or null.", allow_null=True
    )


__all__ = ["KnowledgeSearchRequestSerializer", "KnowledgeSearchResponseSerializer", "OpenApiTypes"]


def search_response_body(results, *, embedder: str | None) -> dict:
    """The search answer in the documented shape (``KnowledgeSearchResponseSerializer``), as plain dicts:
    this is the runtime's hot path, and a serializer per result costs more than the index scan. Used by the
    DRF view and by the runtime's fast path (runtime/api/fast_search.py)."""
    return {
        "results": [
            {
                "id": str(r.id),
                "question": r.question,
                "answer": r.answer,
                "business_unit": r.business_unit,
                "category": r.category,
                "subcategory": r.subcategory,
                "distance": r.distance,
            }
            for r in results
        ],
        "count": len(results),
        "embedder": embedder,
    }
