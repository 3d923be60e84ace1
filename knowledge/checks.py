"""System checks for the knowledge base's configuration."""

from django.conf import settings
from django.core.checks import Error, register

HNSW_MAX_DIMENSIONS = 4000  # pgvector's HNSW indexes `halfvec` (what the search index holds) up to 4,000 dimensions


def dimension_errors(dimensions: int, engine: str) -> list[Error]:
    if engine.endswith("postgresql") and dimensions > HNSW_MAX_DIMENSIONS:
        return [
            Error(
                f"HIVE_EMBEDDING_DIMENSIONS is {dimensions}, but pgvector's HNSW index (knowledge search) "
                f"handles at most {HNSW_MAX_DIMENSIONS} dimensions.",
                hint=f"Choose an embedding size of {HNSW_MAX_DIMENSIONS} or less (text-embedding-3 models shorten their vectors "
                "when asked), then run makemigrations knowledge and embed_knowledge --force.",
                id="knowledge.E001",
            )
        ]
    return []


@register()
def embedding_dimensions_indexable(app_configs, **kwargs):
    return dimension_errors(settings.HIVE_EMBEDDING_DIMENSIONS, settings.DATABASES["default"]["ENGINE"])
