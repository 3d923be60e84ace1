from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, Tool, ToolLinkMixin, ToolUser
from common.agno_spec import MODEL_PROVIDER_CHOICES, MODEL_PROVIDERS, TEAM_MODE_CHOICES, TEAM_MODES
from common.db import TimeStampedModel, json_array_constraint, json_object_constraint
from common.validators import SLUG_PATTERN, slug_validator


class Team(ToolUser, TimeStampedModel):
    """A team's working configuration: its leader's settings and its ordered members."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team_id = models.CharField(
        max_length=255,
        unique=True,
        validators=[slug_validator],
        verbose_name=_("team ID"),
        help_text=_("Stable identifier the runtime asks for, e.g. “routing-team”."),
    )
    name = models.CharField(max_length=255, verbose_name=_("name"))
    mode = models.CharField(
        max_length=20,
        choices=TEAM_MODE_CHOICES,
        default="route",
        verbose_name=_("mode"),
        help_text=_("How the team leader uses its members (Agno's TeamMode)."),
    )
    version = models.CharField(
        max_length=50,
        blank=True,
        default="",
        editable=False,
        verbose_name=_("version"),
        help_text=_("Label of the published version, e.g. “v3”; empty until first published."),
    )
    model_provider = models.CharField(
        max_length=50,
        choices=MODEL_PROVIDER_CHOICES,
        blank=True,
        default="",
        verbose_name=_("model provider"),
        help_text=_("The leader's model provider. Members without a model of their own inherit it."),
    )
    model_name = models.CharField(max_length=255, blank=True, default="", verbose_name=_("model"))
    model_settings = models.JSONField(default=dict, blank=True, verbose_name=_("model settings"))
    description = models.TextField(blank=True, default="", verbose_name=_("description"))
    instructions = models.JSONField(
        default=list,
        blank=True,
        verbose_name=_("instructions"),
        help_text=_("The leader's instructions, one item each."),
    )
    parameters = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("Agno parameters"),
        help_text=_("Further Agno team parameters (role, respond_directly, max_iterations, ...)."),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    revision = models.PositiveIntegerField(
        default=1,
        editable=False,
        verbose_name=_("revision"),
        help_text=_("Bumped on every save; a save must name the revision it started from (no lost updates)."),
    )
    members: models.ManyToManyField[Agent, TeamMember] = models.ManyToManyField(
        "agents.Agent",
        through="TeamMember",
        related_name="teams",
        blank=True,
        verbose_name=_("members"),
    )

    class Meta:
        db_table = "teams"
        ordering = ["name", "team_id"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(
                condition=Q(team_id__regex=SLUG_PATTERN),
                name="%(app_label)s_%(class)s_team_id_slug",
                violation_error_message=_("Team ID must be lowercase letters, digits, hyphens and underscores."),
            ),
            models.CheckConstraint(
                condition=Q(mode__in=TEAM_MODES),
                name="%(app_label)s_%(class)s_mode_known",
                violation_error_message=_("Mode must be one of route, coordinate, broadcast or tasks."),
            ),
            models.CheckConstraint(
                condition=Q(model_provider="") | Q(model_provider__in=MODEL_PROVIDERS),
                name="%(app_label)s_%(class)s_model_provider_known",
                violation_error_message=_("Unknown model provider."),
            ),
            models.CheckConstraint(
                condition=(Q(model_provider="") & Q(model_name="")) | (~Q(model_provider="") & ~Q(model_name="")),
                name="%(app_label)s_%(class)s_model_complete",
                violation_error_message=_("Set both the model provider and the model, or neither."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_set",
                violation_error_message=_("Give the team a name."),
            ),
            json_object_constraint("model_settings"),
            json_array_constraint("instructions"),
            json_object_constraint("parameters"),
        ]

    def __str__(self):
        return f"{self.name} ({self.team_id})"


class TeamMember(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(
        "agents.Agent",
        on_delete=models.PROTECT,  # an agent a team uses cannot be deleted from under it
        related_name="memberships",
        verbose_name=_("agent"),
    )
    position = models.PositiveIntegerField(verbose_name=_("position"), help_text=_("Order in the team, starting at 1."))

    class Meta:
        db_table = "team_members"
        ordering = ["team", "position"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "agent"],
                name="%(app_label)s_%(class)s_unique_agent",
                violation_error_message=_("This agent is already a member of the team."),
            ),
            models.UniqueConstraint(
                fields=["team", "position"],
                name="%(app_label)s_%(class)s_unique_position",
                # Deferred so that members can swap places in one save.
                deferrable=models.Deferrable.DEFERRED,
                violation_error_message=_("Two members cannot share a position."),
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1),
                name="%(app_label)s_%(class)s_position_positive",
                violation_error_message=_("Positions start at 1."),
            ),
        ]

    def __str__(self):
        return f"Member {self.position}"


class TeamTool(ToolLinkMixin, models.Model):
    """A team's (its leader's) use of a catalogue tool, in order, with what this team says differently."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tool_links")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="team_links")
    position = models.PositiveIntegerField()
    description = models.TextField(
        blank=True,
        default="",
        verbose_name=_("description for this team"),
        help_text=_("Replaces the catalogue's description for this team only; empty: the catalogue's."),
    )
    config = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("settings for this team"),
        help_text=_("Portal-only settings of this tool for this team (e.g. a toolkit's instructions)."),
    )

    class Meta:
        db_table = "team_tool_links"
        ordering = ["position"]
        verbose_name = _("team tool")
        constraints = [
            models.UniqueConstraint(
                fields=["team", "tool"],
                name="%(app_label)s_%(class)s_tool_once",
                violation_error_message=_("A team uses a tool once."),
            ),
            models.UniqueConstraint(
                fields=["team", "position"],
                name="%(app_label)s_%(class)s_position_unique",
                violation_error_message=_("Two tools of a team cannot share a position."),
            ),
            models.CheckConstraint(
                condition=~Q(config__has_key="name"),
                name="%(app_label)s_%(class)s_config_no_name",
                violation_error_message=_("A tool's settings cannot rename it."),
            ),
            json_object_constraint("config"),
        ]

    def __str__(self):
        return f"{self.team.team_id} → {self.tool.name}"
