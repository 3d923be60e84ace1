"""Recording the audit trail: every service that changes audited data calls ``audit_record`` once per
changed row, inside the transaction that made the change."""

from __future__ import annotations

import getpass
import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, User

from audit.models import AuditRecord
from common.batches import current_batch

SYSTEM_ACTOR = "system"


def actor_parts(actor: Any) -> tuple[User | None, str]:
    """(user or None, display name) for a Django user, an API-key user, a name, or None (system). The portal
    uses Django's own ``User`` model (AUTH_USER_MODEL is not swapped)."""
    if actor is None:
        return None, SYSTEM_ACTOR
    if isinstance(actor, str):
        return None, actor or SYSTEM_ACTOR
    if isinstance(actor, User):
        return (actor if actor.pk else None), actor.get_username() or SYSTEM_ACTOR
    if isinstance(actor, AbstractBaseUser):  # not stored as a user: only its name is recorded
        return None, actor.get_username() or SYSTEM_ACTOR
    return None, str(getattr(actor, "username", None) or actor)


def json_diff(before: Any, after: Any, *, prefix: str = "") -> dict:
    """Key-level diff of two JSON documents: ``{"added": {...}, "removed": {...}, "changed": {k: {from, to}}}``.

    Nested objects are compared key by key with dotted paths; lists and scalars are compared whole.
    """
    added: dict = {}
    removed: dict = {}
    changed: dict = {}
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            path = f"{prefix}{key}"
            if key not in before:
                added[path] = after[key]
            elif key not in after:
                removed[path] = before[key]
            elif before[key] != after[key]:
                if isinstance(before[key], dict) and isinstance(after[key], dict):
                    inner = json_diff(before[key], after[key], prefix=f"{path}.")
                    added.update(inner.get("added", {}))
                    removed.update(inner.get("removed", {}))
                    changed.update(inner.get("changed", {}))
                else:
                    changed[path] = {"from": before[key], "to": after[key]}
    elif before != after:
        changed[prefix.rstrip(".") or "value"] = {"from": before, "to": after}
    return {k: v for k, v in (("added", added), ("removed", removed), ("changed", changed)) if v}


def audit_record(
    *,
    action: str,
    subject_type: str,
    subject_id: Any,
    actor: Any = None,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
    diff: dict | None = None,
    from_version: int | None = None,
    to_version: int | None = None,
    batch: uuid.UUID | None = None,
    keep_snapshots: bool = True,
    environment: str | None = None,
) -> AuditRecord:
    """Append one audit row about ``subject_type``/``subject_id`` (a component's id, or the row's primary
    key). Call it inside the transaction that made the change, so both land or neither.

    ``before``/``after`` are JSON snapshots of the changed row (omit large blobs such as embeddings); the
    diff is computed from them unless given; ``keep_snapshots=False`` stores the diff alone (large configurations). ``batch`` defaults to the batch being run
    (``common.batches.batch``), so every row of a multi-row operation shares one id.
    """
    user, name = actor_parts(actor)
    if diff is None:
        diff = json_diff(before or {}, after or {}) if (before is not None or after is not None) else {}
    return AuditRecord.objects.create(
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id)[:255],
        from_version=from_version,
        to_version=to_version,
        actor=user,
        actor_name=name[:150],
        reason=reason or "",
        diff=diff,
        before=before if keep_snapshots else None,
        after=after if keep_snapshots else None,
        batch_id=batch if batch is not None else current_batch(),
        environment=environment or None,
    )


def cli_actor() -> str:
    """Who the audit trail names for a command: ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "unknown"
    return f"cli:{user}"
