"""Prompt fragments (named, versioned text blocks that agents and teams include) and the catalogue of the
variables prompts may use."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.db import TimeStampedModel

FRAGMENT_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
VARIABLE_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class PromptFragment(TimeStampedModel):
    """A fragment's working copy, as business users edit it; what agents and teams include is its published
    version (see ``versioning``), never this row."""

    name = models.CharField(
        max_length=100,
        unique=True,
        verbose_name=_("name"),
        help_text=_(
            "What prompts include it by, as {{> name }}, e.g. “tone-of-voice”: lowercase letters, digits, "
            "hyphens and underscores. Cannot change once published."
        ),
    )
    title = models.CharField(
        max_length=255, verbose_name=_("title"), help_text=_("What people call it, e.g. “Tone of voice”.")
    )
    description = models.TextField(
        blank=True,
        default="",
        verbose_name=_("description"),
        help_text=_("When to include it (for the people who edit prompts; never sent)."),
    )
    text = models.TextField(
        verbose_name=_("text"),
        help_text=_(
            "The text included. It may include other fragments ({{> name }}) and use variables "
            "({{ name }}) declared under Prompts › Variables."
        ),
    )
    version = models.CharField(max_length=50, blank=True, default="", editable=False, verbose_name=_("version"))
    is_active = models.BooleanField(
        default=True, verbose_name=_("active"), help_text=_("An inactive fragment cannot be included by anything new.")
    )
    revision = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("revision"))

    class Meta:
        db_table = "prompt_fragments"
        ordering = ["name"]
        verbose_name = _("prompt fragment")
        verbose_name_plural = _("prompt fragments")
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=FRAGMENT_NAME_PATTERN),
                name="%(app_label)s_%(class)s_name_format",
                violation_error_message=_("A fragment name is lowercase letters, digits, hyphens and underscores."),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="%(app_label)s_%(class)s_text_set",
                violation_error_message=_("A fragment has text."),
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="%(app_label)s_%(class)s_title_set",
                violation_error_message=_("Give the fragment a title."),
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.name})"


class VariableType(models.TextChoices):
    STRING = "string", pgettext_lazy("variable type", "Text")
    INTEGER = "integer", _("Whole number")
    NUMBER = "number", _("Number")
    BOOLEAN = "boolean", _("Yes / no")
    DATE = "date", _("Date")


class PromptVariable(TimeStampedModel):
    """A value the runtime supplies to prompts when it runs (Agno fills ``{name}`` from the run's session state,
    dependencies or metadata). A prompt may use only declared variables; publishing refuses any other."""

    name = models.CharField(
        max_length=100,
        unique=True,
        verbose_name=_("name"),
        help_text=_("As prompts write it, {{ name }}: letters, digits and underscores, e.g. “customer_name”."),
    )
    type = models.CharField(
        max_length=10, choices=VariableType.choices, default=VariableType.STRING, verbose_name=_("type")
    )
    required = models.BooleanField(
        default=True,
        verbose_name=_("the runtime must supply it"),
        help_text=_(
            "Required: a runtime that runs a prompt using it without a value is in error. Optional: the "
            "placeholder may stay unfilled."
        ),
    )
    description = models.TextField(
        blank=True,
        default="",
        verbose_name=_("description"),
        help_text=_("What it holds, for the people who write prompts."),
    )
    example = models.CharField(
        max_length=255, blank=True, default="", verbose_name=_("example"), help_text=_("A value, e.g. “Maria”.")
    )

    class Meta:
        db_table = "prompt_variables"
        ordering = ["name"]
        verbose_name = _("prompt variable")
        verbose_name_plural = _("prompt variables")
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=VARIABLE_NAME_PATTERN),
                name="%(app_label)s_%(class)s_name_format",
                violation_error_message=_(
                    "A variable name is letters, digits and underscores, not starting with a digit."
                ),
            ),
            models.CheckConstraint(
                condition=Q(type__in=VariableType.values),
                name="%(app_label)s_%(class)s_type_known",
                violation_error_message=_("Unknown variable type."),
            ),
        ]

    def __str__(self):
        return self.name

    def declaration(self) -> dict:
        return {"type": self.type, "required": self.required}
