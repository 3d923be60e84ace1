"""Reads for notifications: who is told about a draft or a release, whether they want e-mail, where the links go."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from notifications.models import NotificationPreference
from versioning.components import get_kind
from versioning.selectors import component_version, draft_authors

REVIEW_PERMISSION = "versioning.review_component"
# The events that e-mail people, and to whom (see ``recipient_ids``).
NOTIFIED_EVENTS = (
    "draft.submitted",  # the publishers who may review it
    "draft.approved",  # the draft's editors
    "draft.rejected",  # the draft's editors
    "component.published",  # the editors of the version that went live
    "component.rolled_back",  # the editors of the version taken off and of the draft the rollback discarded
)


def reviewers() -> QuerySet:
    """Active staff who may approve or reject drafts: publishers, admins (by role or their own permission) and
    superusers."""
    User = get_user_model()
    return User.objects.with_perm(
        REVIEW_PERMISSION, include_superusers=True, backend="django.contrib.auth.backends.ModelBackend"
    ).filter(is_staff=True)


def _editors(component_type: str, component_id: str, number: int | None) -> set[int]:
    """The users who wrote into version ``number`` while it was a draft (its creator, every saver)."""
    if not number:
        return set()
    version = component_version(component_type, component_id, number)
    return draft_authors(version)[0] if version is not None else set()


def recipient_ids(
    *, event: str, payload: dict, actor_id: int | None = None, discarded_version: int | None = None
) -> list[int]:
    """Who is told about ``event``: never the person who did it, each person once."""
    component_type, component_id = payload["component_type"], payload["component_id"]
    if event == "draft.submitted":
        # Whoever edited the draft may not review it (four eyes), so is not asked to.
        ids = set(reviewers().values_list("pk", flat=True)) - _editors(component_type, component_id, payload["version"])
    elif event in ("draft.approved", "draft.rejected", "component.published"):
        ids = _editors(component_type, component_id, payload["version"])
    elif event == "component.rolled_back":
        ids = _editors(component_type, component_id, payload.get("previous_version")) | _editors(
            component_type, component_id, discarded_version
        )
    else:
        return []
    ids.discard(actor_id)
    return sorted(ids)


def email_recipients(user_ids) -> QuerySet:
    """Of ``user_ids``, the users an e-mail can go to and who want it: active, with an address, not opted out."""
    User = get_user_model()
    return (
        User.objects.filter(pk__in=list(user_ids), is_active=True)
        .exclude(email="")
        .exclude(notification_preference__email_enabled=False)
        .select_related("notification_preference")
        .order_by("pk")
    )


def email_enabled(user) -> bool:
    """The user's own choice (no preference saved: on)."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference is None or preference.email_enabled


def preferred_language(user) -> str:
    """The language the user last chose (the switcher, the settings page; at the first login, the browser's): their
    e-mails', and the pages' when they log in on a browser with no language cookie. "": the portal's default."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.language if preference is not None else ""


def absolute_url(path: str) -> str:
    """``path`` on the portal's public address (``HIVE_PUBLIC_URL``): a job has no request to take a host from."""
    return settings.HIVE_PUBLIC_URL + path


def component_url(component_type: str, component_id: str) -> str:
    """The component's admin page (its status panel: review, publish, history), as an absolute URL; its admin list
    filtered to it when the component is gone."""
    kind = get_kind(component_type)
    opts = kind.model._meta
    pk = kind.model._default_manager.filter(**{kind.id_field: component_id}).values_list("pk", flat=True).first()
    try:
        if pk is not None:
            return absolute_url(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
        return absolute_url(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    except NoReverseMatch:
        return absolute_url(reverse("admin:index"))


def settings_url() -> str:
    return absolute_url(reverse("admin:notification_settings"))
