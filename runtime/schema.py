"""OpenAPI description of the API-key authentication (loaded by drf-spectacular via runtime.apps)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "runtime.authentication.ApiKeyAuthentication"
    name = ["bearerAuth", "apiKeyHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "Authorization: Bearer <API key> (create one in the admin or with manage.py create_api_key).",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "The same key, as Automagik Hive clients send it.",
            },
        ]
