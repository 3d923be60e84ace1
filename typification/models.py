import uuid

from django.db import models
from django.db.models import Q

from hive_portal.db import json_array_constraint

LEVELS = ("level1", "level2", "level3", "level4", "level5")


class TypificationHierarchy(models.Model):
    """One path of the conversation typification: business unit → product → motive → sub-motive (→ detail).

    Deeper levels may stay empty, but a level cannot be set when the one above it is empty.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    level1 = models.CharField(max_length=255, verbose_name="level 1", help_text="Usually the business unit.")
    level2 = models.CharField(max_length=255, blank=True, default="", verbose_name="level 2", help_text="Product.")
    level3 = models.CharField(max_length=255, blank=True, default="", verbose_name="level 3", help_text="Motive.")
    level4 = models.CharField(max_length=255, blank=True, default="", verbose_name="level 4", help_text="Sub-motive.")
    level5 = models.CharField(max_length=255, blank=True, default="", verbose_name="level 5")
    business_unit = models.CharField(
        max_length=50,
        db_index=True,
        verbose_name="business unit",
        help_text="Code of the business unit whose specialist handles this path.",
    )
    routing_keywords = models.JSONField(
        default=list,
        blank=True,
        verbose_name="routing keywords",
        help_text="Words that point a customer message to this path.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "typification_hierarchy"
        ordering = list(LEVELS)
        verbose_name = "typification path"
        verbose_name_plural = "typification hierarchy"
        constraints = [
            models.UniqueConstraint(
                fields=list(LEVELS),
                name="%(app_label)s_%(class)s_unique_path",
                violation_error_message="This typification path already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(level1=""),
                name="%(app_label)s_%(class)s_level1_set",
                violation_error_message="Level 1 is required.",
            ),
            models.CheckConstraint(
                condition=(Q(level3="") | ~Q(level2=""))
                & (Q(level4="") | ~Q(level3=""))
                & (Q(level5="") | ~Q(level4="")),
                name="%(app_label)s_%(class)s_no_gaps",
                violation_error_message="A level cannot be filled while the level above it is empty.",
            ),
            models.CheckConstraint(
                condition=~Q(business_unit=""),
                name="%(app_label)s_%(class)s_business_unit_set",
                violation_error_message="Business unit is required.",
            ),
            json_array_constraint("routing_keywords"),
        ]

    def __str__(self):
        return " › ".join(self.path)

    @property
    def path(self) -> list[str]:
        return [getattr(self, level) for level in LEVELS if getattr(self, level)]
