"""The runtime's plain vector searches answered at the WSGI boundary, before Django's request handler.

``KnowledgeSearchFastPathMiddleware`` already answers them above the session, CSRF, authentication and URL layers.
What it cannot skip is the handler around every middleware: the ``request_started`` and ``request_finished``
signals, whose ``close_old_connections`` hands the worker's database connection back to the pool after each request
and takes one again for the next, and the middleware calls above it. For a runtime searching on every message that
costs about as much as the Python of the search itself (bench/knowledge_api.py). This wrapper answers the same
requests the middleware would, with the same bytes and headers, and keeps the worker's connection between them, as
any single-purpose endpoint does; everything else (and any search it does not take) goes to Django unchanged.

What the layers above the middleware would do is done here or sent to Django:
* ``SecurityMiddleware``: a request it would redirect to HTTPS goes to Django; its response headers are added.
* ``ContentSecurityPolicyMiddleware``: the header is added.
* ``ApiBodySizeLimitMiddleware``: a body over the limit (or without a plain length) goes to Django (413/400).
* ``NulCharacterGuardMiddleware``: a request with a query string goes to Django; the path is the search's own.
* WhiteNoise serves nothing under /api/.
The connection kept between fast answers is released by the next request Django handles (``request_started``
closes it as usual); a database error sends the request to Django, which answers it and drops a broken connection.
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest

from hive_portal.middleware import CONTENT_SECURITY_POLICY

_logger = logging.getLogger(__name__)


class KnowledgeSearchWSGIFastPath:
    def __init__(self, application):
        self.application = application
        self._middleware = None
        self._security = None

    def _parts(self):
        if self._middleware is None:
            from django.middleware.security import SecurityMiddleware

            from hive_portal.middleware import KnowledgeSearchFastPathMiddleware

            self._security = SecurityMiddleware(_never)
            self._middleware = KnowledgeSearchFastPathMiddleware(_never)
        return self._middleware, self._security

    def _candidate(self, environ) -> bool:
        if environ.get("REQUEST_METHOD") != "POST" or "HTTP_COOKIE" in environ or environ.get("QUERY_STRING"):
            return False
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return False
        if not 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return False
        middleware, _ = self._parts()
        path = middleware.path_info()
        return bool(path) and environ.get("PATH_INFO") == path

    def __call__(self, environ, start_response):
        if self._candidate(environ):
            request = WSGIRequest(environ)
            response = None
            try:
                response = self._answer(request)
            except Exception:  # noqa: BLE001 - Django answers it (and reports whatever it is) the usual way
                _logger.debug("Knowledge search fast path declined a request", exc_info=True)
            if response is not None:
                status = f"{response.status_code} {response.reason_phrase}"
                start_response(status, list(response.items()))
                # The content, not the response: closing a Django response sends request_finished.
                return [response.content]
            if hasattr(request, "_body"):  # the body was read: Django reads it again
                environ["wsgi.input"] = io.BytesIO(request._body)
        return self.application(environ, start_response)

    def _answer(self, request):
        middleware, security = self._parts()
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None  # SecurityMiddleware redirects it
        if not middleware._below_does_nothing(request):
            return None
        response = middleware._fast(request)
        if response is None:
            return None
        # The layers' headers in the order the stack adds them on the way out: below the middleware, then the
        # Content-Security-Policy, then the security headers (SecurityMiddleware is the outermost).
        for layer in middleware.response_headers:
            response = layer.process_response(request, response)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return security.process_response(request, response)


def _never(request):  # the wrapped layers' get_response: the fast path never calls down
    raise AssertionError("the knowledge search fast path does not call down the stack")
