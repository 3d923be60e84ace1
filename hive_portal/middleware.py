"""Request guards for the API."""

from django.conf import settings

from hive_portal.api.errors import json_error_response


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
