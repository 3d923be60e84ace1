"""Request guards: what must be refused before any view runs; which database a request's reads may use."""

import logging
import re

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponseBadRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext

from common.api.errors import json_error_response

_logger = logging.getLogger(__name__)


class NulCharacterGuardMiddleware:
    """Refuse a URL or query string with a NUL character (400): PostgreSQL cannot store or compare one in
    text, so it would otherwise surface as a database error in whichever view passes it on. Form and
    API bodies are checked by Django's and DRF's own field validators."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query_string = request.META.get("QUERY_STRING", "")
        if (
            "\x00" in request.path
            or "\x00" in query_string
            # Percent-encoded (%00): only in a query string, so none is parsed when there is none.
            or (query_string and any("\x00" in value for values in request.GET.lists() for value in values[1]))
        ):
            if request.path.startswith("/api/"):
                return json_error_response("bad_request", "The address contains a NUL character.", 400)
            # A page: the person's language from the cookie or the browser (this runs before PageLocaleMiddleware).
            with translation.override(translation.get_language_from_request(request)):
                return HttpResponseBadRequest(gettext("The address contains a NUL character."))
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


class KnowledgeSearchFastPathMiddleware:
    """Answer the runtime's plain vector searches (``runtime.api.fast_search``) before the layers they do not use.

    A runtime calls ``POST /api/v1/knowledge/search`` on every message, with an API key and without cookies. For
    such a request the middleware below this one does nothing: with no session, CSRF, messages or read-your-writes
    cookie, sessions, CSRF, authentication, messages and django-axes leave it and its answer alone, and the URL
    resolver would only find the search. Their work and the resolver's cost about as much as the search's Python
    (bench/knowledge_api.py), so the fast path answers here: after the security headers, the body size limit and
    the NUL guard above, with the headers the layers below add (X-Frame-Options, Content-Length), its reads where
    ``ReplicaReadMiddleware`` would send them. Everything it does not take (a text query, a key this worker has not
    validated, a body that is not plainly valid, a cookie, an unusual host, the database down, a database error)
    goes down the whole stack to the DRF view, as before.
    """

    view_name = "api:v1:knowledge:search"

    def __init__(self, get_response):
        from django.contrib.messages.storage.cookie import CookieStorage
        from django.middleware.clickjacking import XFrameOptionsMiddleware
        from django.middleware.common import CommonMiddleware

        from runtime.api.fast_search import fast_search_response

        self.get_response = get_response
        self.answer = fast_search_response
        # Their answers' headers, added as they would add them (both only add what is not set yet).
        self.response_headers = (XFrameOptionsMiddleware(get_response), CommonMiddleware(get_response))
        self.cookies = frozenset(
            {
                settings.SESSION_COOKIE_NAME,
                settings.CSRF_COOKIE_NAME,
                CookieStorage.cookie_name,
                READ_YOUR_WRITES_COOKIE,
            }
        )
        self.replica_methods = frozenset(
            method for pattern, methods in REPLICA_READ_VIEWS if pattern.fullmatch(self.view_name) for method in methods
        )
        self._path_info: str | None = None

    def path_info(self) -> str:
        if self._path_info is None:  # the URLconf is loaded by the first request
            from django.urls import NoReverseMatch, get_script_prefix, reverse

            try:
                self._path_info = "/" + reverse(self.view_name)[len(get_script_prefix()) :]
            except NoReverseMatch:  # a URLconf without the search (a test's): nothing to answer here
                self._path_info = ""
        return self._path_info

    def __call__(self, request):
        if request.method == "POST" and request.path_info == self.path_info() and self._below_does_nothing(request):
            response = self._fast(request)
            if response is not None:
                for middleware in self.response_headers:
                    response = middleware.process_response(request, response)
                return response
        return self.get_response(request)

    def _below_does_nothing(self, request) -> bool:
        if "HTTP_COOKIE" in request.META and not self.cookies.isdisjoint(request.COOKIES):
            return False  # a browser's session or state: the layers below read and may write it
        if settings.DISALLOWED_USER_AGENTS or settings.PREPEND_WWW:
            return False  # CommonMiddleware may refuse or redirect
        try:
            request.get_host()
        except DisallowedHost:
            return False  # CommonMiddleware refuses it (400)
        return True

    def _fast(self, request):
        if not settings.HIVE_REPLICA_ALIASES:
            return self.answer(request)
        from django.db import DEFAULT_DB_ALIAS, connections

        from common.read_routing import request_reads

        # As ReplicaReadMiddleware: the search's reads may go to a replica (no read-your-writes cookie was sent,
        # and no person is logged in to be remembered as a writer).
        with request_reads(outer_transactions=len(connections[DEFAULT_DB_ALIAS].atomic_blocks)) as state:
            state.replica_allowed = request.method in self.replica_methods
            return self.answer(request)


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

    # No request context: the user, the session and the messages all live in the database. The language comes
    # from the cookie or the browser (no database needed): this runs before PageLocaleMiddleware.
    with translation.override(translation.get_language_from_request(request)):
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


# --- Read replicas -------------------------------------------------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD"})
# The pages whose reads may go to a read replica, by URL name, with the methods that only read. Chosen one by one:
# heavy reads whose answer may be a few seconds old. Everything else reads the primary — every write, the login, the
# change forms, and the runtime's configuration API (agents/teams/bundle: a runtime must never be handed a
# configuration older than one it already received).
REPLICA_READ_VIEWS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern), methods)
    for pattern, methods in (
        (r"admin:monitoring_agentmetric_(dashboard|compare)", SAFE_METHODS),  # agent dashboard, version comparison
        (r"admin:monitoring_routingdecision_dashboard", SAFE_METHODS),  # routing dashboard
        (r"admin:typification_typificationhierarchy_(console|tree)", SAFE_METHODS),  # routing console, tree
        (
            r"admin:audit_auditrecord_export",
            SAFE_METHODS,
        ),  # the audit log as CSV (streamed: the view fixes its database)
        (r"admin:versioning_live_at", SAFE_METHODS),  # what was live at a moment
        (r"admin:\w+_(history|versions|compare)", SAFE_METHODS),  # history and version pages of every model
        (r"admin:\w+_changelist", SAFE_METHODS),  # every list (a POST there runs an action: primary)
        (r"api:v1:knowledge:search", frozenset({"POST"})),  # reads only, though a POST
        (r"api:v1:typification:classify", frozenset({"POST"})),  # likewise; the routing itself from the primary
        (r"api:v1:typification:tree", SAFE_METHODS),
    )
)
READ_YOUR_WRITES_COOKIE = "hive_wrote"
_COOKIE_SALT = "hive_portal.read_your_writes"


def replica_eligible(request) -> bool:
    """May this request's reads go to a replica (its page is on REPLICA_READ_VIEWS for its method)?"""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.view_name:
        return False
    return any(
        request.method in methods and pattern.fullmatch(match.view_name) for pattern, methods in REPLICA_READ_VIEWS
    )


class ReplicaReadMiddleware:
    """Lets the reads of the pages in REPLICA_READ_VIEWS go to a read replica (``hive_portal.routers.ReplicaRouter``).

    Read your writes: a request that writes reads the primary from then on, and a browser whose user wrote something
    carries a signed cookie for ``HIVE_READ_YOUR_WRITES_SECONDS`` during which every page reads the primary. A page
    whose replica fails under it (the server stopped before the health check noticed, a query cancelled by a
    conflict with recovery) is served again from the primary, once, if it wrote nothing.

    Last in MIDDLEWARE: its ``process_exception`` must be the first to see a view's error (Django calls them in
    reverse order), before ``DatabaseUnavailableMiddleware`` turns an outage into a 503.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.HIVE_REPLICA_ALIASES:
            return self.get_response(request)
        from django.db import DEFAULT_DB_ALIAS, connections

        from common.read_routing import request_reads

        with request_reads(outer_transactions=len(connections[DEFAULT_DB_ALIAS].atomic_blocks)) as state:
            response = self.get_response(request)
            if self._remember_write(request, state.wrote):
                response.set_signed_cookie(
                    READ_YOUR_WRITES_COOKIE,
                    "1",
                    salt=_COOKIE_SALT,
                    max_age=settings.HIVE_READ_YOUR_WRITES_SECONDS,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        from common.read_routing import read_state

        state = read_state()
        if state is None or not replica_eligible(request) or self._wrote_recently(request):
            return None
        if request.method == "POST":
            _ = request.body  # kept in memory, so a retry on the primary can parse it again
        state.replica_allowed = True
        return None

    def process_exception(self, request, exception):
        from common.database_gate import is_outage
        from common.read_routing import read_state
        from hive_portal.replicas import replica_monitor

        state = read_state()
        match = getattr(request, "resolver_match", None)
        if state is None or state.replica is None or state.wrote or match is None or not is_outage(exception):
            return None
        replica = state.replica
        status = replica_monitor.status(replica, fresh=True)  # down: skipped from now on; merely a conflict: kept
        _logger.warning(
            "Read replica %s failed a read (%s; now %s): serving %s from the primary.",
            replica,
            exception.__class__.__name__,
            status.state if status else "unknown",
            request.path,
        )
        state.replica_allowed = False
        try:
            response = match.func(request, *match.args, **match.kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()  # Django renders no response that process_exception returns
        except Exception as again:
            if is_outage(again):
                return None  # the primary fails too: the original error goes on to DatabaseUnavailableMiddleware
            raise
        return response

    @staticmethod
    def _wrote_recently(request) -> bool:
        value = request.get_signed_cookie(
            READ_YOUR_WRITES_COOKIE, default=None, salt=_COOKIE_SALT, max_age=settings.HIVE_READ_YOUR_WRITES_SECONDS
        )
        return value is not None

    @staticmethod
    def _remember_write(request, wrote: bool) -> bool:
        """Did a person (a logged-in browser, not a runtime's key) just change something?"""
        unsafe = request.method not in SAFE_METHODS | {"OPTIONS", "TRACE"}
        if not (wrote or (unsafe and not replica_eligible(request))):
            return False
        from django.contrib.auth.base_user import AbstractBaseUser

        user = getattr(request, "user", None)
        return isinstance(user, AbstractBaseUser) and user.is_authenticated


class PreferredLanguageMiddleware:
    """A person's language follows them to another browser: when they log in on a browser with no language cookie,
    the login's response sets it to the language they last chose (the login looks it up once:
    ``notifications.receivers.on_user_logged_in``). No query on any other request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        preferred = getattr(request, "preferred_language", "")
        if (
            preferred
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and settings.LANGUAGE_COOKIE_NAME not in response.cookies
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                preferred,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's ``LocaleMiddleware`` for the pages people read (the admin): their chosen language (cookie) or
    their browser's. The runtime API and ``/health/`` are a contract in English for programs: no language is
    activated there and no ``Vary: Accept-Language`` is added to their cacheable responses."""

    ENGLISH_ONLY = ("/api/", "/health/")

    def process_request(self, request):
        if request.path.startswith(self.ENGLISH_ONLY):
            # Explicitly: the language is per thread, and this worker's last page may have been in Portuguese.
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)

    def process_response(self, request, response):
        if request.path.startswith(self.ENGLISH_ONLY):
            return response
        return super().process_response(request, response)
