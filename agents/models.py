import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.agno_spec import MODEL_PROVIDER_CHOICES, MODEL_PROVIDERS
from common.db import TimeStampedModel, json_array_constraint, json_object_constraint
from common.validators import SLUG_PATTERN, slug_validator


class ToolUser:
    """A component whose tools are its ordered links to the catalogue (``tool_links``: ``AgentTool`` rows, or
    ``teams.TeamTool``). Services, forms and imports speak of them as a list in the portal's tool format (a name,
    or ``{name, description?, parameters?, ...settings}``): setting ``tools`` holds such a list until a service
    writes it into links (``agents.services.tool_links_set``); reading it gives that list, or what the links say.
    """

    _pending_tools: list | None = None

    @property
    def tools(self) -> list:
        if self._pending_tools is not None:
            return self._pending_tools
        if self._state.adding:  # type: ignore[attr-defined]
            return []
        prefetched = "tool_links" in getattr(self, "_prefetched_objects_cache", {})
        links = self.tool_links.all() if prefetched else self.tool_links.select_related("tool")  # type: ignore[attr-defined]
        return [link.portal_tool() for link in links]

    @tools.setter
    def tools(self, value: list) -> None:
        self._pending_tools = value


class ToolLinkMixin:
    """What every link to a catalogue tool (``tool``, ``description``, ``config``) reads as."""

    def portal_tool(self) -> str | dict:
        """This use of the tool in the portal's tool format, as agents were configured before the catalogue:
        a bare name when it declares nothing, else ``{name, description?, parameters?, ...settings}``."""
        catalogue = self.tool  # type: ignore[attr-defined]
        config = self.config  # type: ignore[attr-defined]
        tool: dict = {"name": catalogue.name}
        description = self.description or catalogue.description  # type: ignore[attr-defined]
        if description:
            tool["description"] = description
        parameters = config.get("parameters", catalogue.parameters)
        if parameters and parameters != EMPTY_PARAMETERS:
            tool["parameters"] = parameters
        tool.update({key: value for key, value in config.items() if key != "parameters"})
        return tool["name"] if set(tool) == {"name"} else tool


class CapabilityUser:
    """An agent's capabilities and knowledge domains (``capability_rows``: ``AgentCapability``,
    ``knowledge_domain_rows``: ``AgentKnowledgeDomain``), spoken of as lists like its tools: setting
    ``capabilities`` / ``knowledge_domains`` holds a list until a service writes it into rows
    (``agents.services.agent_rows_set``); reading gives that list, or what the rows say, in the versioned
    configuration's shape (``{name, description, parameters}`` in order; ``{domain, priority, description}``
    by priority)."""

    _pending_capabilities: list | None = None
    _pending_knowledge_domains: list | None = None

    def _rows(self, relation: str) -> list:
        if self._state.adding:  # type: ignore[attr-defined]
            return []
        return [row.spec() for row in getattr(self, relation).all()]

    @property
    def capabilities(self) -> list:
        if self._pending_capabilities is not None:
            return self._pending_capabilities
        return self._rows("capability_rows")

    @capabilities.setter
    def capabilities(self, value: list) -> None:
        self._pending_capabilities = value

    @property
    def knowledge_domains(self) -> list:
        if self._pending_knowledge_domains is not None:
            return self._pending_knowledge_domains
        return self._rows("knowledge_domain_rows")

    @knowledge_domains.setter
    def knowledge_domains(self, value: list) -> None:
        self._pending_knowledge_domains = value


class Agent(CapabilityUser, ToolUser, TimeStampedModel):
    """An agent's working configuration, as business users edit it.

    The runtime never reads this row: it reads the agent's published version (see ``versioning``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent_id = models.CharField(
        max_length=255,
        unique=True,
        validators=[slug_validator],
        verbose_name=_("agent ID"),
        help_text=_("Stable identifier the runtime asks for, e.g. “pagbank-specialist”. Cannot change once published."),
    )
    name = models.CharField(
        max_length=255,
        verbose_name=_("name"),
        help_text=_("Display name shown to people, e.g. “PagBank Specialist”."),
    )
    version = models.CharField(
        max_length=50,
        blank=True,
        default="",
        editable=False,
        verbose_name=_("version"),
        help_text=_("Label of the published version, e.g. “v27”; empty until first published."),
    )
    model_provider = models.CharField(
        max_length=50,
        choices=MODEL_PROVIDER_CHOICES,
        default="openai",
        verbose_name=_("model provider"),
        help_text=_("Agno provider key, e.g. openai (Responses API), openai-chat, anthropic."),
    )
    model_name = models.CharField(
        max_length=255,
        verbose_name=_("model"),
        help_text=_("The provider's model id, e.g. gpt-4o or claude-sonnet-4-20250514."),
    )
    model_settings = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("model settings"),
        help_text=_("Temperature, max_tokens and other settings passed to the model."),
    )
    role = models.CharField(
        max_length=500,
        blank=True,
        default="",
        verbose_name=_("role"),
        help_text=_("What this agent does when it is a team member; the team leader reads it to route."),
    )
    description = models.TextField(
        blank=True,
        default="",
        verbose_name=_("description"),
        help_text=_("A short description added to the prompt."),
    )
    system_prompt = models.TextField(
        blank=True,
        default="",
        verbose_name=_("system prompt"),
        help_text=_(
            "Replaces the whole generated prompt when set (Agno's system_message): "
            "description and instructions are then ignored. Leave empty to use them."
        ),
    )
    instructions = models.JSONField(
        default=list,
        blank=True,
        verbose_name=_("instructions"),
        help_text=_("The instructions the agent follows, one item each."),
    )
    parameters = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("Agno parameters"),
        help_text=_("Further Agno agent parameters (markdown, add_history_to_context, num_history_runs, ...)."),
    )
    is_active = models.BooleanField(
        default=True,
        verbose_name=_("active"),
        help_text=_("Inactive agents are not served to the runtime."),
    )
    revision = models.PositiveIntegerField(
        default=1,
        editable=False,
        verbose_name=_("revision"),
        help_text=_("Bumped on every save; a save must name the revision it started from (no lost updates)."),
    )

    class Meta:
        db_table = "agents"
        ordering = ["name", "agent_id"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        constraints = [
            models.CheckConstraint(
                condition=Q(agent_id__regex=SLUG_PATTERN),
                name="%(app_label)s_%(class)s_agent_id_slug",
                violation_error_message=_("Agent ID must be lowercase letters, digits, hyphens and underscores."),
            ),
            models.CheckConstraint(
                condition=Q(model_provider__in=MODEL_PROVIDERS),
                name="%(app_label)s_%(class)s_model_provider_known",
                violation_error_message=_("Unknown model provider."),
            ),
            models.CheckConstraint(
                condition=~Q(model_name=""),
                name="%(app_label)s_%(class)s_model_name_set",
                violation_error_message=_("Choose a model."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_set",
                violation_error_message=_("Give the agent a name."),
            ),
            json_object_constraint("model_settings"),
            json_array_constraint("instructions"),
            json_object_constraint("parameters"),
        ]

    def __str__(self):
        return f"{self.name} ({self.agent_id})"

    @property
    def model_string(self) -> str:
        """Agno's ``provider:model_id`` form."""
        return f"{self.model_provider}:{self.model_name}"


# --- The tool catalogue -----------------------------------------------------------------------------------


# A function without declared parameters, as Agno's ``Function`` defaults it.
EMPTY_PARAMETERS = {"type": "object", "properties": {}, "required": []}


def empty_parameters() -> dict:
    return {"type": "object", "properties": {}, "required": []}


class ToolSource(models.TextChoices):
    FUNCTION = "function", _("A function of the runtime")
    TOOLKIT = "toolkit", _("An Agno toolkit")
    MCP = "mcp", _("An MCP server")
    OTHER = "other", pgettext_lazy("tool source", "Other")


class Tool(TimeStampedModel):
    """A tool the agents may use, as Agno's ``Registry`` knows it: the runtime binds a tool to its own
    function, toolkit or MCP tool by ``name``; ``description`` and ``parameters`` (a JSON Schema) are what
    the model is told. Every change writes a ``ToolVersion``; the agents that use the tool get a draft."""

    name = models.CharField(
        max_length=64,
        unique=True,
        verbose_name=_("name"),
        help_text=_(
            "The name the runtime's Agno registry knows the tool by, e.g. “card_lookup” or “ShellTools”: "
            "letters, digits, underscores and hyphens."
        ),
    )
    description = models.TextField(
        blank=True,
        default="",
        verbose_name=_("description"),
        help_text=_("What the tool does, as the model reads it when it decides to call it."),
    )
    parameters = models.JSONField(
        default=empty_parameters,
        blank=True,
        verbose_name=_("parameters"),
        help_text=_("The arguments the tool takes, as a JSON Schema object."),
    )
    source = models.CharField(
        max_length=20,
        choices=ToolSource.choices,
        default=ToolSource.FUNCTION,
        verbose_name=_("source"),
        help_text=_("Where the runtime's implementation comes from."),
    )
    category = models.CharField(
        max_length=100,
        blank=True,
        default="",
        verbose_name=_("category"),
        help_text=_("A group to find it by, e.g. “Cards” or “Pix”."),
    )
    owner = models.CharField(
        max_length=255,
        blank=True,
        default="",
        verbose_name=_("owner"),
        help_text=_("Who to ask about this tool (a person or a team)."),
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        verbose_name=_("version"),
        help_text=_("The number of the tool's current version; every change adds one."),
    )

    class Meta:
        db_table = "agent_tools_catalogue"
        ordering = ["name"]
        verbose_name = _("tool")
        verbose_name_plural = _("tools")
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"^[A-Za-z0-9_-]{1,64}$"),
                name="%(app_label)s_%(class)s_name_format",
                violation_error_message=_("A tool name is letters, digits, underscores and hyphens, at most 64."),
            ),
            models.CheckConstraint(
                condition=Q(source__in=ToolSource.values),
                name="%(app_label)s_%(class)s_source_known",
                violation_error_message=_("Unknown tool source."),
            ),
            json_object_constraint("parameters"),
            models.CheckConstraint(
                condition=Q(parameters__has_key="type", parameters__type="object"),
                name="%(app_label)s_%(class)s_parameters_of_an_object",
                violation_error_message=_("A tool's parameters are a JSON Schema of “type”: “object”."),
            ),
        ]

    def __str__(self):
        return self.name

    def definition(self) -> dict:
        """What a version of the tool records."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "source": self.source,
            "category": self.category,
            "owner": self.owner,
        }


class ToolVersion(models.Model):
    """One version of a tool's definition. Append-only: on PostgreSQL a trigger refuses UPDATE."""

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField(help_text=_("The tool's name, description, parameters, source, category, owner."))
    change_note = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by_name = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "agent_tool_versions"
        ordering = ["tool", "-version"]
        verbose_name = _("tool version")
        constraints = [
            models.UniqueConstraint(
                fields=["tool", "version"],
                name="%(app_label)s_%(class)s_one_per_number",
                violation_error_message=_("This tool already has a version with this number."),
            ),
            json_object_constraint("definition"),
        ]

    def __str__(self):
        return f"{self.tool.name} v{self.version}"


class AgentTool(ToolLinkMixin, models.Model):
    """An agent's use of a catalogue tool, in order, with what this agent says differently."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tool_links")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="agent_links")
    position = models.PositiveIntegerField()
    description = models.TextField(
        blank=True,
        default="",
        verbose_name=_("description for this agent"),
        help_text=_("Replaces the catalogue's description for this agent only; empty: the catalogue's."),
    )
    config = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("settings for this agent"),
        help_text=_("Portal-only settings of this tool for this agent (e.g. a toolkit's instructions)."),
    )

    class Meta:
        db_table = "agent_tool_links"
        ordering = ["position"]
        verbose_name = _("agent tool")
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "tool"],
                name="%(app_label)s_%(class)s_tool_once",
                violation_error_message=_("An agent uses a tool once."),
            ),
            models.UniqueConstraint(
                fields=["agent", "position"],
                name="%(app_label)s_%(class)s_position_unique",
                violation_error_message=_("Two tools of an agent cannot share a position."),
            ),
            models.CheckConstraint(
                condition=~Q(config__has_key="name"),
                name="%(app_label)s_%(class)s_config_no_name",
                violation_error_message=_("A tool's settings cannot rename it."),
            ),
            json_object_constraint("config"),
        ]

    def __str__(self):
        return f"{self.agent.agent_id} → {self.tool.name}"


# --- Capabilities and knowledge domains ---------------------------------------------------------------


class AgentCapability(models.Model):
    """Something the agent can do, with the settings it does it with (e.g. “refund” with a maximum amount).
    Part of the agent's versioned configuration: the runtime reads it from ``metadata.hive.capabilities``."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="capability_rows")
    name = models.CharField(
        max_length=100,
        validators=[slug_validator],
        verbose_name=_("name"),
        help_text=_(
            "A short identifier, e.g. “refunds” or “card-block”: lowercase letters, digits, hyphens, underscores."
        ),
    )
    description = models.TextField(
        blank=True,
        default="",
        verbose_name=_("description"),
        help_text=_("What the agent can do, in a sentence people and the runtime can read."),
    )
    parameters = models.JSONField(
        default=dict,
        blank=True,
        verbose_name=_("parameters"),
        help_text=_('Settings of this capability as a JSON object, e.g. {"max_amount": 500}; empty for none.'),
    )
    position = models.PositiveIntegerField()

    class Meta:
        db_table = "agent_capabilities"
        ordering = ["position"]
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "name"],
                name="%(app_label)s_%(class)s_name_once",
                violation_error_message=_("An agent has a capability once."),
            ),
            models.UniqueConstraint(
                fields=["agent", "position"],
                name="%(app_label)s_%(class)s_position_unique",
                violation_error_message=_("Two capabilities of an agent cannot share a position."),
            ),
            models.CheckConstraint(
                condition=Q(name__regex=SLUG_PATTERN),
                name="%(app_label)s_%(class)s_name_slug",
                violation_error_message=_("A capability name is lowercase letters, digits, hyphens and underscores."),
            ),
            json_object_constraint("parameters"),
        ]

    def __str__(self):
        return f"{self.agent.agent_id}: {self.name}"

    def spec(self) -> dict:
        """This capability as the agent's configuration holds it."""
        return {"name": self.name, "description": self.description, "parameters": dict(self.parameters or {})}


class AgentKnowledgeDomain(models.Model):
    """A field of knowledge the agent covers, with its priority (1 first) when the runtime picks who answers
    or what to search first. Part of the agent's versioned configuration (``metadata.hive.knowledge_domains``)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="knowledge_domain_rows")
    domain = models.CharField(
        max_length=100,
        validators=[slug_validator],
        verbose_name=_("domain"),
        help_text=_(
            "A short identifier, e.g. “credit-cards” or “pix”: lowercase letters, digits, hyphens, underscores."
        ),
    )
    priority = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        verbose_name=_("priority"),
        help_text=_("1 is the agent's main domain; each domain of an agent has its own priority."),
    )
    description = models.TextField(
        blank=True, default="", verbose_name=_("description"), help_text=_("What this domain covers.")
    )

    class Meta:
        db_table = "agent_knowledge_domains"
        ordering = ["priority"]
        verbose_name = _("knowledge domain")
        verbose_name_plural = _("knowledge domains")
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "domain"],
                name="%(app_label)s_%(class)s_domain_once",
                violation_error_message=_("An agent lists a knowledge domain once."),
            ),
            models.UniqueConstraint(
                fields=["agent", "priority"],
                name="%(app_label)s_%(class)s_priority_unique",
                violation_error_message=_("Two knowledge domains of an agent cannot share a priority."),
            ),
            models.CheckConstraint(
                condition=Q(domain__regex=SLUG_PATTERN),
                name="%(app_label)s_%(class)s_domain_slug",
                violation_error_message=_("A knowledge domain is lowercase letters, digits, hyphens and underscores."),
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1),
                name="%(app_label)s_%(class)s_priority_positive",
                violation_error_message=_("Priorities start at 1."),
            ),
        ]

    def __str__(self):
        return f"{self.agent.agent_id}: {self.domain} ({self.priority})"

    def spec(self) -> dict:
        """This domain as the agent's configuration holds it."""
        return {"domain": self.domain, "priority": self.priority, "description": self.description}
