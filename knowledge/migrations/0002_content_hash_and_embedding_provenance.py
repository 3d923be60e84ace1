"""Content hash (idempotent imports, stale-embedding detection) and where each embedding came from."""

from django.db import migrations, models

from knowledge.content import content_hash

DUPLICATE_MESSAGE = "An entry with the same business unit, category, question and answer already exists."


def fill_content_hashes(apps, schema_editor):
    KnowledgeEntry = apps.get_model("knowledge", "KnowledgeEntry")
    seen: dict[str, str] = {}
    for entry in KnowledgeEntry.objects.using(schema_editor.connection.alias).only(
        "id", "business_unit", "category", "question", "answer"
    ).iterator(chunk_size=2000):
        digest = content_hash(
            business_unit=entry.business_unit, category=entry.category, question=entry.question, answer=entry.answer
        )
        if digest in seen:
            raise RuntimeError(
                f"Knowledge entries {seen[digest]} and {entry.pk} are identical (business unit, category, "
                "question and answer): delete one of them, then migrate again."
            )
        seen[digest] = str(entry.pk)
        # Embeddings computed before this migration have unknown provenance: they count as stale.
        KnowledgeEntry.objects.using(schema_editor.connection.alias).filter(pk=entry.pk).update(
            content_hash=digest, embedding=None
        )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="knowledgeentry",
            name="content_hash",
            field=models.CharField(
                default="",
                editable=False,
                help_text="SHA-256 of business unit, category, question and answer.",
                max_length=64,
                verbose_name="content hash",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="knowledgeentry",
            name="embedded_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="embedded"),
        ),
        migrations.AddField(
            model_name="knowledgeentry",
            name="embedding_hash",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="The content hash the embedding was computed from.",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="knowledgeentry",
            name="embedding_model",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="The embedder (and model) that computed the embedding.",
                max_length=200,
                verbose_name="embedded with",
            ),
        ),
        migrations.AlterField(
            model_name="knowledgeentry",
            name="answer",
            field=models.TextField(help_text="The answer agents give."),
        ),
        migrations.AlterField(
            model_name="knowledgeentry",
            name="category",
            field=models.CharField(
                help_text="Topic used to group and filter entries, e.g. “Cards” or “Operations”.", max_length=255
            ),
        ),
        migrations.AlterField(
            model_name="knowledgeentry",
            name="metadata",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Optional JSON object, e.g. {"tags": ["cards", "beginner"]}.',
                verbose_name="extra data",
            ),
        ),
        migrations.AlterField(
            model_name="knowledgeentry",
            name="question",
            field=models.TextField(help_text="The question as a customer would ask it."),
        ),
        migrations.RunPython(fill_content_hashes, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="knowledgeentry",
            constraint=models.UniqueConstraint(
                fields=("content_hash",),
                name="knowledge_knowledgeentry_unique_content",
                violation_error_message=DUPLICATE_MESSAGE,
            ),
        ),
        migrations.AddConstraint(
            model_name="knowledgeentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("content_hash__regex", "^[0-9a-f]{64}$")),
                name="knowledge_knowledgeentry_hash_format",
            ),
        ),
        migrations.AddConstraint(
            model_name="knowledgeentry",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("embedded_at__isnull", True),
                        ("embedding__isnull", True),
                        ("embedding_hash", ""),
                        ("embedding_model", ""),
                    ),
                    models.Q(
                        ("embedded_at__isnull", False),
                        ("embedding__isnull", False),
                        models.Q(("embedding_hash", ""), _negated=True),
                        models.Q(("embedding_model", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="knowledge_knowledgeentry_embedding_provenance",
                violation_error_message="An embedding must record its content hash, embedder and time.",
            ),
        ),
    ]
