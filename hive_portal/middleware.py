"""Request guards: what must be refused before any view runs."""

from django.conf import settings
from django.http import HttpResponseBadRequest

from common.api.errors import json_error_response


class NulCharacterGuardMiddleware:
    """Refuse a URL or query string with a NUL character (400): PostgreSQL cannot store or compare one in
    text, so it would otherwise surface as a database error in whichever view passes it on. Form and
    API bodies are checked by Django's and DRF's own field validators."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or "\x00" in request.META.get("QUERY_STRING", "")
            or any("\x00" in value for values in request.GET.lists() for value in values[1])
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


def serves_without_database(view_func) -> bool:
    """Views that answer with the database down themselves (the runtime's cached documents, /health/)."""
    return bool(
        getattr(view_func, "serves_without_database", False)
        or getattr(getattr(view_func, "cls", None), "serves_without_database", False)
    )


def database_unavailable_response(request):
    """503 with Retry-After: the API's shared error body, or a page a person understands."""
    from common.database_gate import RETRY_AFTER_SECONDS

    if request.path.startswith("/api/"):
        return json_error_response(
            "service_unavailable",
            "The database is unavailable; nothing was read or written. Try again shortly.",
            503,
            Retry_After=str(RETRY_AFTER_SECONDS),
        )
    from django.http import HttpResponse
    from django.template.loader import render_to_string

    # No request context: the user, the session and the messages all live in the database.
    html = render_to_string("database_unavailable.html", {"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 + Retry-After, at once, for every view that needs the database while it is down
    (``common.database_gate``), and turn an outage met inside a view into the same 503 instead of a
    500. The runtime's configuration views are left alone: they serve their last documents stale."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from common.database_gate import database_gate

        if serves_without_database(view_func):
            return None
        if database_gate.refuses():
            return database_unavailable_response(request)
        match = request.resolver_match
        if match is not None and match.view_name == "admin:login" and database_gate.confirm_down():
            # The login form itself needs no query: check, rather than let people type a password in vain.
            return database_unavailable_response(request)
        return None

    def process_exception(self, request, exception):
        from common.database_gate import database_gate, is_outage

        if not is_outage(exception):
            return None
        # The request could not be served by the database (connection refused or lost, terminated by a
        # shutdown, pool timeout, deadlock): 503, "try again". The shared back-off is engaged only when a
        # fresh connection fails too — a shutdown may still accept one for a moment, a deadlock always does.
        database_gate.confirm_down()
        return database_unavailable_response(request)
