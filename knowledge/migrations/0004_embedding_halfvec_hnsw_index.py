"""The HNSW index holds half-precision vectors: ``(embedding::halfvec(1536)) halfvec_cosine_ops``.

About half the size of the full-precision index at the same recall@10 (bench/knowledge_search.py
measures both), and HNSW can index up to 4,000 half-precision dimensions instead of 2,000. The column
keeps full precision, which re-ranks the candidates. The new index is built CONCURRENTLY before the old
one is dropped CONCURRENTLY, so searches always have an index while this runs. Nothing happens on SQLite.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.comparison
import pgvector.django.halfvec
import pgvector.django.indexes
from django.db import migrations

from knowledge.db import AddIndexConcurrentlyOnPostgres, RemoveIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY refuse to run inside a transaction

    dependencies = [
        ("knowledge", "0003_embedding_hnsw_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="knowledgeentry",
            index=pgvector.django.indexes.HnswIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.comparison.Cast(
                        "embedding", output_field=pgvector.django.halfvec.HalfVectorField(dimensions=1536)
                    ),
                    name="halfvec_cosine_ops",
                ),
                ef_construction=64,
                m=16,
                name="knowledge_base_halfvec_hnsw",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(
            model_name="knowledgeentry",
            name="knowledge_base_embedding_hnsw",
        ),
    ]
