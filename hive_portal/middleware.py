"""Request guards: what must be refused before any view runs."""

from django.conf import settings
from django.http import HttpResponseBadRequest

from hive_portal.api.errors import json_error_response


class NulCharacterGuardMiddleware:
    """Refuse a URL or query string with a NUL character (400): PostgreSQL cannot store or compare one in
    text, so it would otherwise surface as a database error in whichever view passes it on. Form and
    API bodies are checked by Django's and DRF's own field validators."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in value for values in request.GET.lists() for value in values[1]
        ):
            message = "The address contains a NUL character."
            if request.path.startswith("/api/"):
                return json_error_response("bad_request", message, 400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


class ApiBodySizeLimitMiddleware:
    """Refuse an API request body larger than HIVE_MAX_BODY_BYTES with 413 and the JSON error shape.

    Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when ``request.body`` is read; DRF's parsers read
    the stream, so the limit is checked here, before any view runs, from the declared length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return json_error_response("bad_request", "Content-Length must be a number.", 400)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if length > limit:
                return json_error_response(
                    "too_large", f"The request body is {length} bytes; the limit is {limit} bytes.", 413
                )
        return self.get_response(request)


# Scripts only from this site (no inline scripts or eval): the admin, the dashboards (vendored Chart.js),
# Swagger UI (its init script served as a file) all load theirs as files. Inline ``style`` attributes
# stay allowed: Django's admin and the portal's templates use them, and styles cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Send ``Content-Security-Policy`` on every response that does not set its own (Django 5.2 has no
    built-in CSP; 6.0's ``ContentSecurityPolicyMiddleware`` does the same job)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
