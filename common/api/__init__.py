"""What every API view shares: the error body, the JSON parser with the portal's limits, strict serializers
and the OpenAPI post-processing that documents them."""
