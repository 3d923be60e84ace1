"""Output shapes of the runtime API, for the OpenAPI document.

Documents are assembled once per config generation from published snapshots (``runtime.selectors``);
these serializers describe them (and the schema test checks every response against them). Agno
parameters the portal does not model travel alongside, so the schemas allow additional keys.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hive_portal.agno_spec import MODEL_PROVIDERS, TEAM_MODES


class ModelSpecSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=MODEL_PROVIDERS, help_text="Agno provider key, as in `provider:model_id`.")
    id = serializers.CharField(help_text="The provider's model id.")
    params = serializers.DictField(help_text="Settings for the model class (temperature, max_tokens, ...).")


class HiveMetadataSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The portal's version number of this configuration.")
    published_at = serializers.DateTimeField(allow_null=True)
    content_hash = serializers.CharField(help_text="SHA-256 of the canonical configuration.")
    live = serializers.BooleanField(required=False, help_text="False for an older version fetched with ?version=.")
    members = serializers.DictField(
        child=serializers.IntegerField(), required=False, help_text="Teams: agent id → the version combined."
    )
    missing_members = serializers.ListField(child=serializers.CharField(), required=False)


class MetadataSerializer(serializers.Serializer):
    hive = HiveMetadataSerializer()


class AgentConfigSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    role = serializers.CharField(allow_null=True)
    instructions = serializers.ListField(child=serializers.CharField())
    system_message = serializers.CharField(allow_null=True, help_text="Replaces the generated prompt when set.")
    expected_output = serializers.CharField(allow_null=True)
    markdown = serializers.BooleanField()
    add_history_to_context = serializers.BooleanField()
    num_history_runs = serializers.IntegerField(allow_null=True)
    tools = serializers.ListField(child=serializers.JSONField(), help_text="Tool names or {name, description, parameters}.")
    model = ModelSpecSerializer()
    knowledge = serializers.JSONField(help_text="Knowledge settings for the runtime, or null.")
    metadata = MetadataSerializer()


class TeamMemberConfigSerializer(AgentConfigSerializer):
    position = serializers.IntegerField(min_value=1)


class TeamConfigSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    mode = serializers.ChoiceField(choices=TEAM_MODES, help_text="agno.team.TeamMode value.")
    description = serializers.CharField(allow_null=True)
    instructions = serializers.ListField(child=serializers.CharField())
    model = ModelSpecSerializer(allow_null=True)
    members = TeamMemberConfigSerializer(many=True, help_text="In position order, each member's published configuration.")
    expected_output = serializers.CharField(allow_null=True)
    markdown = serializers.BooleanField()
    add_history_to_context = serializers.BooleanField()
    num_history_runs = serializers.IntegerField(allow_null=True)
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


@extend_schema_field({"type": "object", "additionalProperties": {"$ref": "#/components/schemas/AgentConfig"}})
class AgentMapField(serializers.DictField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": {"$ref": "#/components/schemas/TeamConfig"}})
class TeamMapField(serializers.DictField):
    pass


class BundleSerializer(serializers.Serializer):
    bundle_version = serializers.IntegerField(help_text="Moves on every publish, rollback, activation or typification change.")
    agents = AgentMapField(help_text="Agent id → configuration.")
    teams = TeamMapField(help_text="Team id → configuration with members inline.")
    typification = serializers.DictField(help_text="The typification tree and the business-unit routes.")
