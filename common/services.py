"""Helpers every app's services share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError


def apply_fields(
    obj: Any,
    fields: dict[str, Any],
    *,
    editable: Iterable[str],
    label: str,
    clean: Callable[[str, Any], Any] | None = None,
) -> None:
    """Set ``fields`` on ``obj`` (not saved). A name outside ``editable`` is refused with a ``ValidationError``
    naming it — the same error type from every service, whatever the caller (form, API, import)."""
    unknown = sorted(set(fields) - set(editable))
    if unknown:
        raise ValidationError({name: f"{label} has no editable field “{name}”." for name in unknown})
    for name, value in fields.items():
        setattr(obj, name, clean(name, value) if clean else value)
