"""System checks for the knowledge base's configuration."""

from django.conf import settings
from django.core.checks import Error, register

HNSW_MAX_DIMENSIONS = 2000  # pgvector's HNSW indexes `vector` columns up to 2,000 dimensions


@register()
def embedding_dimensions_indexable(app_configs, **kwargs):
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("postgresql") and settings.HIVE_EMBEDDING_DIMENSIONS > HNSW_MAX_DIMENSIONS:
        return [
            Error(
                f"HIVE_EMBEDDING_DIMENSIONS is {settings.HIVE_EMBEDDING_DIMENSIONS}, but pgvector's HNSW index "
                f"(knowledge search) handles at most {HNSW_MAX_DIMENSIONS} dimensions.",
                hint="Choose an embedding size of 2000 or less (text-embedding-3 models shorten their vectors "
                "when asked), then run makemigrations knowledge and embed_knowledge --force.",
                id="knowledge.E001",
            )
        ]
    return []
