"""The page django-axes shows a locked-out login (``AXES_LOCKOUT_CALLABLE``): the admin's own look, and
when to try again, instead of axes' plain-text message."""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Account locked"),
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        # Rounded up: "try again in 0 minutes" would be wrong for a 30-second cool-off.
        "cooloff_minutes": -(-int(cool_off.total_seconds()) // 60) if cool_off else None,
    }
    return render(request, "admin/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def client_ip(request) -> str | None:
    """The client address lockouts are counted against (``AXES_CLIENT_IP_CALLABLE``).

    With no trusted proxy, the socket's address: an X-Forwarded-For header is then anyone's invention.
    Behind N trusted proxies that each append the address they received the request from, the client is
    the N-th address from the right of X-Forwarded-For (what a client wrote itself stays further left
    and is ignored). django-ipware counts proxies differently (it finds nothing when a single proxy
    appended the only address), hence these few lines.
    """
    trusted = settings.HIVE_TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if not trusted:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < trusted:
        return remote
    return forwarded[-trusted]
