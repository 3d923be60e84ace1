import uuid

from django.db import models
from django.db.models import Q

from common.agno_spec import MODEL_PROVIDER_CHOICES, MODEL_PROVIDERS
from common.db import TimeStampedModel, json_array_constraint, json_object_constraint
from common.validators import SLUG_PATTERN, slug_validator


class Agent(TimeStampedModel):
    """An agent's working configuration, as business users edit it.

    The runtime never reads this row: it reads the agent's published version (see ``versioning``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent_id = models.CharField(
        max_length=255,
        unique=True,
        validators=[slug_validator],
        verbose_name="agent ID",
        help_text="Stable identifier the runtime asks for, e.g. “pagbank-specialist”. Cannot change once published.",
    )
    name = models.CharField(max_length=255, help_text="Display name shown to people, e.g. “PagBank Specialist”.")
    version = models.CharField(
        max_length=50,
        blank=True,
        default="",
        editable=False,
        help_text="Label of the published version, e.g. “v27”; empty until first published.",
    )
    model_provider = models.CharField(
        max_length=50,
        choices=MODEL_PROVIDER_CHOICES,
        default="openai",
        verbose_name="model provider",
        help_text="Agno provider key, e.g. openai (Responses API), openai-chat, anthropic.",
    )
    model_name = models.CharField(
        max_length=255,
        verbose_name="model",
        help_text="The provider's model id, e.g. gpt-4o or claude-sonnet-4-20250514.",
    )
    model_settings = models.JSONField(
        default=dict,
        blank=True,
        verbose_name="model settings",
        help_text="Temperature, max_tokens and other settings passed to the model.",
    )
    role = models.CharField(
        max_length=500,
        blank=True,
        default="",
        help_text="What this agent does when it is a team member; the team leader reads it to route.",
    )
    description = models.TextField(blank=True, default="", help_text="A short description added to the prompt.")
    system_prompt = models.TextField(
        blank=True,
        default="",
        verbose_name="system prompt",
        help_text="Replaces the whole generated prompt when set (Agno's system_message): "
        "description and instructions are then ignored. Leave empty to use them.",
    )
    instructions = models.JSONField(
        default=list,
        blank=True,
        help_text="The instructions the agent follows, one item each.",
    )
    tools = models.JSONField(
        default=list,
        blank=True,
        help_text="Tool names, or objects with a name, description and parameters.",
    )
    parameters = models.JSONField(
        default=dict,
        blank=True,
        verbose_name="Agno parameters",
        help_text="Further Agno agent parameters (markdown, add_history_to_context, num_history_runs, ...).",
    )
    is_active = models.BooleanField(
        default=True,
        verbose_name="active",
        help_text="Inactive agents are not served to the runtime.",
    )
    revision = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Bumped on every save; a save must name the revision it started from (no lost updates).",
    )

    class Meta:
        db_table = "agents"
        ordering = ["name", "agent_id"]
        verbose_name = "agent"
        verbose_name_plural = "agents"
        constraints = [
            models.CheckConstraint(
                condition=Q(agent_id__regex=SLUG_PATTERN),
                name="%(app_label)s_%(class)s_agent_id_slug",
                violation_error_message="Agent ID must be lowercase letters, digits, hyphens and underscores.",
            ),
            models.CheckConstraint(
                condition=Q(model_provider__in=MODEL_PROVIDERS),
                name="%(app_label)s_%(class)s_model_provider_known",
                violation_error_message="Unknown model provider.",
            ),
            models.CheckConstraint(
                condition=~Q(model_name=""),
                name="%(app_label)s_%(class)s_model_name_set",
                violation_error_message="Choose a model.",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_set",
                violation_error_message="Give the agent a name.",
            ),
            json_object_constraint("model_settings"),
            json_array_constraint("instructions"),
            json_array_constraint("tools"),
            json_object_constraint("parameters"),
        ]

    def __str__(self):
        return f"{self.name} ({self.agent_id})"

    @property
    def model_string(self) -> str:
        """Agno's ``provider:model_id`` form."""
        return f"{self.model_provider}:{self.model_name}"
