from rest_framework import serializers

from common.api.serializers import StrictCharField, StrictFieldsMixin
from typification.classifier import MAX_LIMIT


class ClassifyRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    text = StrictCharField(max_length=5000, trim_whitespace=True, help_text="The customer's message.")
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, default=5, help_text="How many ranked paths to return."
    )


class KeywordMatchSerializer(serializers.Serializer):
    term = serializers.CharField(help_text="The keyword or label word, as the hierarchy spells it.")
    # The response's key is "source"; as a field name DRF's own Field.source attribute is set from it.
    source = serializers.CharField(
        help_text="“keyword” for a routing keyword, or the level (“level2”) of a label word."
    )  # type: ignore[assignment]
    weight = serializers.FloatField()


class KnowledgeMatchSerializer(serializers.Serializer):
    id = serializers.CharField()
    question = serializers.CharField()
    business_unit = serializers.CharField()
    distance = serializers.FloatField()
    similarity = serializers.FloatField(help_text="1 − distance, clipped to [0, 1].")


class HandlerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["agent", "team"])
    id = serializers.CharField(help_text="The agent_id or team_id.")
    name = serializers.CharField()


class ClassificationResultSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        allow_null=True, help_text="The typification path's id; null for a business-unit-level result."
    )
    path = serializers.ListField(child=serializers.CharField())
    business_unit = serializers.CharField()
    score = serializers.FloatField(help_text="0–1; results are sorted by it.")
    keyword_score = serializers.FloatField()
    knowledge_score = serializers.FloatField()
    matched_keywords = KeywordMatchSerializer(many=True)
    knowledge_matches = KnowledgeMatchSerializer(many=True)
    handler = HandlerSerializer(allow_null=True)


class ClassifyResponseSerializer(serializers.Serializer):
    text = serializers.CharField()
    results = ClassificationResultSerializer(many=True)
    route = HandlerSerializer(allow_null=True, help_text="The handler of the best result.")
    knowledge_available = serializers.BooleanField(
        help_text="False while knowledge search is unavailable; scores are then keyword scores only."
    )
    routing_version = serializers.IntegerField(
        allow_null=True,
        help_text="The published routing version classified against; null while routing was never published.",
    )


class TreeNodeSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField(help_text="Paths at or below this node.")
    id = serializers.UUIDField(allow_null=True, help_text="Set when a path ends at this node.")
    business_unit = serializers.CharField(allow_null=True)
    routing_keywords = serializers.ListField(child=serializers.CharField())
    children = serializers.ListField(child=serializers.DictField(), help_text="Nodes of the same shape.")


class TreeResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Number of typification paths.")
    tree = TreeNodeSerializer(many=True)
    routes = serializers.DictField(child=HandlerSerializer(), help_text="Business unit → its handler.")
    routing_version = serializers.IntegerField(
        allow_null=True,
        help_text="The published routing version this tree is; null while routing was never published.",
    )
