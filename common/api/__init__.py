"""What every API view shares: the error body, the JSON parser with the portal's limits, strict serializers
and the OpenAPI post-processing that documents them."""


def key_environment(request) -> str | None:
    """The environment of the API key a runtime request came with (None for people: the first one)."""
    return getattr(getattr(request.user, "key", None), "environment", None) or None
