"""What the admin's export views share: the changelist's rows, or a 400 when its filters are invalid."""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest


def changelist_queryset(modeladmin, request):
    """The queryset the changelist shows for ``request`` (filters, search), or an ``HttpResponseBadRequest``
    naming the problem: the changelist page redirects to ``?e=1`` on a bad filter, an export must not
    answer 500 (or fail half-way through a streamed file)."""
    try:
        changelist = modeladmin.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        queryset.exists()  # a value the database refuses (a date like "bad") fails here, not mid-stream
    except (IncorrectLookupParameters, ValidationError, ValueError, TypeError, OverflowError) as exc:
        return HttpResponseBadRequest(
            f"The export's filters are invalid ({exc}); change them on the list page and export again.",
            content_type="text/plain; charset=utf-8",
        )
    return queryset
