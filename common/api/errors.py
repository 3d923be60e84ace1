"""One JSON error shape for the whole API: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "service_unavailable"

    def __init__(self, detail=None, retry_after: int = 5):
        super().__init__(detail)
        self.retry_after = retry_after


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def _flatten(detail):
    if isinstance(detail, list):
        return [str(item) if not isinstance(item, (dict, list)) else _flatten(item) for item in detail]
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    return [str(detail)]


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _from_validation(detail) -> tuple[str, dict]:
    if isinstance(detail, dict):
        fields = {k: v for k, v in _flatten(detail).items() if k != "non_field_errors"}
        non_field = detail.get("non_field_errors")
        if non_field:
            message = " ".join(str(m) for m in non_field)
        elif fields:
            first = next(iter(fields))
            value = fields[first]
            text = value[0] if isinstance(value, list) and value and isinstance(value[0], str) else "is invalid"
            message = f"{first}: {text}"
        else:
            message = "Invalid input."
        return message, fields
    if isinstance(detail, list):
        return " ".join(str(d) for d in detail) or "Invalid input.", {}
    return str(detail), {}


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: handler500 answers with the same JSON shape

    if isinstance(exc, exceptions.ValidationError):
        message, fields = _from_validation(exc.detail)
        code = "invalid"
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        message = str(detail) if not isinstance(detail, (list, dict)) else _from_validation(detail)[0]
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if not isinstance(code, str):
            code = getattr(exc, "default_code", "error")
        fields = {}
    response.data = error_body(code, message, fields)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def json_error_response(code: str, message: str, status_code: int, **headers) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status_code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def handler404(request, exception=None):
    if _wants_json(request):
        return json_error_response("not_found", f"No API endpoint at {request.path}.", 404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if _wants_json(request):
        return json_error_response("server_error", "The server failed to answer; the error was logged.", 500)
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request, exception=None):
    if _wants_json(request):
        return json_error_response("bad_request", str(exception) or "Bad request.", 400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def response_too_large() -> Response:  # pragma: no cover - helper for views that stream
    return Response(error_body("too_large", "The request body is too large."), status=413)
