"""The page django-axes shows a locked-out login (``AXES_LOCKOUT_CALLABLE``): the admin's own look, and
when to try again, instead of axes' plain-text message."""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": "Account locked",
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        # Rounded up: "try again in 0 minutes" would be wrong for a 30-second cool-off.
        "cooloff_minutes": -(-int(cool_off.total_seconds()) // 60) if cool_off else None,
    }
    return render(request, "admin/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
