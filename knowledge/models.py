import uuid

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from pgvector.django import HalfVectorField, HnswIndex, VectorField

from common.db import json_object_constraint
from knowledge.content import clean_text, content_hash

# HNSW parameters (pgvector defaults are m=16, ef_construction=64). m=16 links per node keeps the index
# near 1.1x the size of the vectors and reaches recall@10 >= 0.95 with ef_search 100 on 100k x 1536
# (bench/knowledge_search.py); a larger ef_construction buys little recall for a much slower build.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64


def half_precision(field: str = "embedding") -> Cast:
    """``embedding::halfvec(N)``: what the HNSW index holds. Half-precision floats halve the index (the
    graph a search must keep in memory) at the same recall; the table keeps full precision, which
    re-ranks the index's candidates (knowledge/selectors.py). The search's ORDER BY must be this very
    expression for PostgreSQL to use the index."""
    return Cast(field, HalfVectorField(dimensions=settings.HIVE_EMBEDDING_DIMENSIONS))


DUPLICATE_MESSAGE = _("An entry with the same business unit, category, question and answer already exists.")


class EmbeddingStatus(models.TextChoices):
    CURRENT = "current", _("Up to date")
    STALE = "stale", _("Needs update")
    MISSING = "missing", _("Missing")


class KnowledgeEntry(models.Model):
    """A question and its answer for one business unit, with the embedding the runtime searches.

    ``content_hash`` identifies the entry (business unit, category, question, answer): imports skip
    what is already there, and an embedding whose ``embedding_hash`` differs is stale. The embedding's
    size is ``HIVE_EMBEDDING_DIMENSIONS``; changing that setting needs a migration and a re-embed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    business_unit = models.CharField(
        max_length=50,
        verbose_name=_("business unit"),
        help_text=_("The business unit whose agents use this entry."),
    )
    category = models.CharField(
        max_length=255,
        verbose_name=_("category"),
        help_text=_("Topic used to group and filter entries, e.g. “Cards” or “Operations”."),
    )
    subcategory = models.CharField(max_length=255, blank=True, default="", verbose_name=_("subcategory"))
    question = models.TextField(verbose_name=_("question"), help_text=_("The question as a customer would ask it."))
    answer = models.TextField(verbose_name=_("answer"), help_text=_("The answer agents give."))
    embedding = VectorField(
        dimensions=settings.HIVE_EMBEDDING_DIMENSIONS,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("embedding"),
        help_text=_("Filled by the configured embedder."),
    )
    metadata = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("extra data"),
        help_text=_('Optional JSON object, e.g. {"tags": ["cards", "beginner"]}.'),
    )
    content_hash = models.CharField(
        max_length=64,
        editable=False,
        verbose_name=_("content hash"),
        help_text=_("SHA-256 of business unit, category, question and answer."),
    )
    embedding_hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        verbose_name=_("embedding hash"),
        help_text=_("The content hash the embedding was computed from."),
    )
    embedding_model = models.CharField(
        max_length=200,
        blank=True,
        default="",
        editable=False,
        verbose_name=_("embedded with"),
        help_text=_("The embedder (and model) that computed the embedding."),
    )
    embedded_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("embedded"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        db_table = "knowledge_base"
        ordering = ["business_unit", "category", "question"]
        verbose_name = _("knowledge entry")
        verbose_name_plural = _("knowledge base")
        indexes = [
            models.Index(fields=["business_unit"], name="knowledge_base_bu_idx"),
            # Created CONCURRENTLY on PostgreSQL and skipped on SQLite (migration 0004).
            HnswIndex(
                OpClass(half_precision(), name="halfvec_cosine_ops"),
                name="knowledge_base_halfvec_hnsw",
                m=HNSW_M,
                ef_construction=HNSW_EF_CONSTRUCTION,
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(business_unit=""),
                name="%(app_label)s_%(class)s_business_unit_set",
                violation_error_message=_("Business unit is required."),
            ),
            models.CheckConstraint(
                condition=~Q(category=""),
                name="%(app_label)s_%(class)s_category_set",
                violation_error_message=_("Category is required."),
            ),
            models.CheckConstraint(
                condition=~Q(question=""),
                name="%(app_label)s_%(class)s_question_set",
                violation_error_message=_("Question is required."),
            ),
            models.CheckConstraint(
                condition=~Q(answer=""),
                name="%(app_label)s_%(class)s_answer_set",
                violation_error_message=_("Answer is required."),
            ),
            json_object_constraint("metadata"),
            models.UniqueConstraint(
                fields=["content_hash"],
                name="%(app_label)s_%(class)s_unique_content",
                violation_error_message=DUPLICATE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                name="%(app_label)s_%(class)s_hash_format",
            ),
            models.CheckConstraint(
                # An embedding always says what it was computed from and with; no embedding, no provenance.
                condition=(
                    Q(embedding__isnull=True, embedding_hash="", embedding_model="", embedded_at__isnull=True)
                    | (
                        Q(embedding__isnull=False, embedded_at__isnull=False)
                        & ~Q(embedding_hash="")
                        & ~Q(embedding_model="")
                    )
                ),
                name="%(app_label)s_%(class)s_embedding_provenance",
                violation_error_message=_("An embedding must record its content hash, embedder and time."),
            ),
        ]

    #: Not a column: set by the services on the entry they return when the embedder failed (why), else None.
    embedding_error: str | None = None

    def __str__(self):
        return self.question if len(self.question) <= 80 else self.question[:79] + "…"

    def save(self, *args, **kwargs):
        # Derived from the row's own fields, like auto_now: kept right on every save path.
        self.content_hash = self.compute_content_hash()
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Trim before the field checks, so "   " is reported as a blank question, not a constraint.
        for name in ("business_unit", "category", "subcategory", "question", "answer"):
            setattr(self, name, clean_text(getattr(self, name)))
        super().clean_fields(exclude=exclude)

    def clean(self):
        self.content_hash = self.compute_content_hash()

    def compute_content_hash(self) -> str:
        return content_hash(
            business_unit=self.business_unit,
            category=self.category,
            question=self.question,
            answer=self.answer,
        )

    def embedding_status(self, signature: str) -> str:
        """``EmbeddingStatus`` of this entry for the embedder whose signature is given."""
        if not self.embedding_model:
            return EmbeddingStatus.MISSING
        if self.embedding_hash != self.content_hash or self.embedding_model != signature:
            return EmbeddingStatus.STALE
        return EmbeddingStatus.CURRENT
