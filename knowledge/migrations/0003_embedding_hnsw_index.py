"""HNSW index for cosine search, built CONCURRENTLY so a live portal keeps serving while it builds.

Parameters are explained in knowledge/models.py. On SQLite nothing is built (search is exact there),
but the index is part of the migration state on both databases. A large table builds faster with a
generous ``maintenance_work_mem`` (the graph should fit in it) and ``max_parallel_maintenance_workers``
set for the session or the role before migrating.
"""

import pgvector.django.indexes
from django.db import migrations

from knowledge.db import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY refuses to run inside a transaction

    dependencies = [
        ("knowledge", "0002_content_hash_and_embedding_provenance"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="knowledgeentry",
            index=pgvector.django.indexes.HnswIndex(
                ef_construction=64,
                fields=["embedding"],
                m=16,
                name="knowledge_base_embedding_hnsw",
                opclasses=["vector_cosine_ops"],
            ),
        ),
    ]
