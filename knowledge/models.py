import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from pgvector.django import VectorField

from hive_portal.db import json_object_constraint


class KnowledgeEntry(models.Model):
    """A question and its answer for one business unit, with the embedding the runtime searches."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    business_unit = models.CharField(
        max_length=50,
        verbose_name="business unit",
        help_text="The business unit whose agents use this entry.",
    )
    category = models.CharField(max_length=255)
    subcategory = models.CharField(max_length=255, blank=True, default="")
    question = models.TextField()
    answer = models.TextField()
    embedding = VectorField(
        dimensions=settings.HIVE_EMBEDDING_DIMENSIONS,
        null=True,
        blank=True,
        editable=False,
        help_text="Filled by the configured embedder.",
    )
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "knowledge_base"
        ordering = ["business_unit", "category", "question"]
        verbose_name = "knowledge entry"
        verbose_name_plural = "knowledge base"
        indexes = [models.Index(fields=["business_unit"], name="knowledge_base_bu_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(business_unit=""),
                name="%(app_label)s_%(class)s_business_unit_set",
                violation_error_message="Business unit is required.",
            ),
            models.CheckConstraint(
                condition=~Q(category=""),
                name="%(app_label)s_%(class)s_category_set",
                violation_error_message="Category is required.",
            ),
            models.CheckConstraint(
                condition=~Q(question=""),
                name="%(app_label)s_%(class)s_question_set",
                violation_error_message="Question is required.",
            ),
            models.CheckConstraint(
                condition=~Q(answer=""),
                name="%(app_label)s_%(class)s_answer_set",
                violation_error_message="Answer is required.",
            ),
            json_object_constraint("metadata"),
        ]

    def __str__(self):
        return self.question if len(self.question) <= 80 else self.question[:79] + "…"
