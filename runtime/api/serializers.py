"""Output shapes of the runtime API, for the OpenAPI document.

Documents are assembled once per config generation from published snapshots (``runtime.selectors``);
these serializers describe them (and the schema test checks every response against them). The shapes
are Agno 3's own ``to_dict()`` shapes (see ``common.agno_documents``); other Agno parameters travel
alongside, so the schemas allow additional keys.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.agno_spec import TEAM_MODES, TOOL_NAME
from common.api.serializers import StrictCharField, StrictFieldsMixin


class ModelSpecSerializer(serializers.Serializer):
    """`Model.to_dict()`'s flat shape; every model setting the portal holds sits beside these keys."""

    provider = serializers.CharField(help_text="The model class's provider as Agno writes it, e.g. OpenAI, Anthropic.")
    name = serializers.CharField(help_text="The model class's name, e.g. OpenAIChat, OpenAIResponses, Claude.")
    id = serializers.CharField(help_text="The provider's model id.")
    temperature = serializers.FloatField(
        required=False, help_text="Example of a setting: any other (max_tokens, top_p, ...) may follow."
    )


class FunctionSerializer(serializers.Serializer):
    """`Function.to_dict()`: Agno's Registry binds it to the runtime's function of the same name."""

    name = serializers.CharField()
    description = serializers.CharField(required=False)
    parameters = serializers.DictField(help_text="JSON Schema of the arguments.")


class KnowledgeReferenceSerializer(serializers.Serializer):
    name = serializers.CharField(
        help_text="Resolved by the runtime (e.g. a HivePortalKnowledge registered under this name)."
    )


class MemberReferenceSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["agent", "team"])
    agent_id = serializers.CharField(required=False)
    team_id = serializers.CharField(required=False)


class KnowledgeBindingSerializer(serializers.Serializer):
    name = serializers.CharField()
    business_unit = serializers.CharField(required=False, help_text="Searches stay within this business unit.")
    category = serializers.CharField(required=False)
    max_results = serializers.IntegerField(required=False)
    max_distance = serializers.FloatField(required=False)


@extend_schema_field({"type": "object", "additionalProperties": {"$ref": "#/components/schemas/AgentConfig"}})
class AgentMapField(serializers.DictField):
    pass


class ComponentsSerializer(serializers.Serializer):
    agents = AgentMapField(help_text="Member agent id → its document, from the same published state.")


class CapabilitySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="A lowercase identifier, e.g. `refunds`.")
    description = serializers.CharField(allow_blank=True)
    parameters = serializers.DictField(help_text='The capability\'s settings, e.g. `{"max_amount": 500}`.')


class KnowledgeDomainSerializer(serializers.Serializer):
    domain = serializers.CharField(help_text="A lowercase identifier, e.g. `credit-cards`.")
    priority = serializers.IntegerField(min_value=1, help_text="1 first; unique per agent.")
    description = serializers.CharField(allow_blank=True)


class HiveMetadataSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The portal's version number of this configuration.")
    published_at = serializers.DateTimeField(allow_null=True)
    content_hash = serializers.CharField(help_text="SHA-256 of the canonical configuration.")
    live = serializers.BooleanField(required=False, help_text="False for an older version fetched with ?version=.")
    members = serializers.DictField(
        child=serializers.IntegerField(), required=False, help_text="Teams: agent id → the version combined."
    )
    missing_members = serializers.ListField(child=serializers.CharField(), required=False)
    rollout = serializers.DictField(
        required=False, help_text="A rollout's candidate: `{id, percent, variant, baseline_version}`."
    )
    components = ComponentsSerializer(required=False, help_text="Teams: the members' documents.")
    knowledge = KnowledgeBindingSerializer(required=False, help_text="The binding behind `knowledge.name`.")
    tools = serializers.DictField(
        required=False, help_text="Tool name → portal-only settings (e.g. toolkit instructions)."
    )
    db = serializers.DictField(
        required=False, help_text="Storage settings from an import; the runtime supplies the db."
    )
    parameters = serializers.DictField(
        required=False, help_text="Keys that are not Agno 3 parameters, kept as they were."
    )
    mode_flags = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Teams: flags present only because the mode sets them."
    )
    capabilities = CapabilitySerializer(
        many=True, required=False, help_text="Agents: what the agent can do, in order (absent when none)."
    )
    knowledge_domains = KnowledgeDomainSerializer(
        many=True, required=False, help_text="Agents: the knowledge domains it covers, by priority (1 first)."
    )


class MetadataSerializer(serializers.Serializer):
    hive = HiveMetadataSerializer()


class AgentConfigSerializer(serializers.Serializer):
    """`Agent.to_dict()`'s shape. Keys holding Agno's default may be absent; other Agno parameters may follow."""

    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(required=False)
    role = serializers.CharField(required=False)
    instructions = serializers.ListField(child=serializers.CharField(), required=False)
    system_message = serializers.CharField(required=False, help_text="Replaces the generated prompt when set.")
    expected_output = serializers.CharField(required=False)
    markdown = serializers.BooleanField(required=False)
    add_history_to_context = serializers.BooleanField(required=False)
    num_history_runs = serializers.IntegerField(required=False)
    tools = FunctionSerializer(many=True, required=False)
    model = ModelSpecSerializer()
    knowledge = KnowledgeReferenceSerializer(required=False)
    metadata = MetadataSerializer()


class TeamConfigSerializer(serializers.Serializer):
    """`Team.to_dict()`'s shape: members are references, their documents under `metadata.hive.components`."""

    id = serializers.CharField()
    name = serializers.CharField()
    mode = serializers.ChoiceField(choices=TEAM_MODES, help_text="agno.team.TeamMode value.")
    respond_directly = serializers.BooleanField(help_text="As the mode sets it in Agno.")
    delegate_to_all_members = serializers.BooleanField(help_text="As the mode sets it in Agno.")
    description = serializers.CharField(required=False)
    instructions = serializers.ListField(child=serializers.CharField(), required=False)
    model = ModelSpecSerializer(required=False)
    members = MemberReferenceSerializer(many=True, help_text="In position order.")
    expected_output = serializers.CharField(required=False)
    markdown = serializers.BooleanField(required=False)
    add_history_to_context = serializers.BooleanField(required=False)
    num_history_runs = serializers.IntegerField(required=False)
    metadata = MetadataSerializer()


class IndexItemSerializer(serializers.Serializer):
    id = serializers.CharField()
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    content_hash = serializers.CharField()


class AgentIndexSerializer(serializers.Serializer):
    agents = IndexItemSerializer(many=True)


class TeamIndexSerializer(serializers.Serializer):
    teams = IndexItemSerializer(many=True)


@extend_schema_field({"type": "object", "additionalProperties": {"$ref": "#/components/schemas/TeamConfig"}})
class TeamMapField(serializers.DictField):
    pass


class BundleSerializer(serializers.Serializer):
    bundle_version = serializers.IntegerField(
        help_text="Moves on every publish, rollback, activation or typification change."
    )
    environment = serializers.CharField(help_text="The environment served: the API key's (HIVE_ENVIRONMENTS).")
    agents = AgentMapField(help_text="Agent id → configuration.")
    teams = TeamMapField(help_text="Team id → configuration with members inline.")
    typification = serializers.DictField(
        required=False,
        help_text="The typification tree and the business-unit routes (in a delta: only when it changed).",
    )
    delta = serializers.BooleanField(
        required=False, help_text="Present and true when the answer to `?since=` holds only what changed."
    )
    since = serializers.IntegerField(required=False, help_text="A delta's base: the `bundle_version` it applies to.")
    removed = serializers.DictField(
        required=False, help_text="In a delta: `{agents: [id, ...], teams: [id, ...]}` no longer served."
    )
    rollouts = serializers.DictField(
        help_text="Rollouts running in the environment: `{agents: {id: {...}}, teams: {id: {...}}}`, each with `id`, "
        "`percent`, `salt`, `baseline_version`, `candidate_version` and the `candidate` document. A session gets "
        "the candidate when `int(sha256(f'{salt}:{session_key}')[:8 bytes]) % 10000 < percent * 100`."
    )


class RuntimeReportSerializer(StrictFieldsMixin, serializers.Serializer):
    """What a runtime says its Agno registry provides."""

    runtime = StrictCharField(
        max_length=100,
        help_text="The runtime's name, e.g. “pix-bot” (processes of one deployment may share it).",
    )
    version = StrictCharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="The runtime's version."
    )
    tools = serializers.ListField(
        child=serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", max_length=64),
        max_length=5000,
        help_text="The tool names its registry provides: functions, toolkits and each toolkit's functions.",
    )

    def validate_tools(self, value: list[str]) -> list[str]:
        bad = [name for name in value if not TOOL_NAME.fullmatch(name)]
        if bad:  # the child's pattern refuses them first; kept for callers that skip it
            raise serializers.ValidationError(f"Not a tool name: {', '.join(repr(name) for name in bad[:5])}.")
        return value


class RuntimeReportResultSerializer(serializers.Serializer):
    runtime = serializers.CharField()
    environment = serializers.CharField()
    tools = serializers.IntegerField(help_text="How many distinct tool names were recorded.")
    not_in_catalogue = serializers.ListField(
        child=serializers.CharField(), help_text="Reported names the portal's tool catalogue does not have."
    )
