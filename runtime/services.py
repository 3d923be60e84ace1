"""Writes for runtime access: API keys."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction, AuditSubject
from audit.services import audit_record
from runtime.models import SCOPES, ApiKey, RuntimeReport
from runtime.state import bump_keys_generation
from versioning.selectors import environments

KEY_PREFIX = "hive_"


def hash_key(raw_key: str) -> str:
    # The secret has 256 bits of entropy: a fast hash is as safe as a slow one and costs nothing per request.
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def api_key_snapshot(key: ApiKey) -> dict:
    """What the audit keeps of a key: never its hash (nor, of course, its secret)."""
    return {
        "id": key.pk,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": list(key.scopes),
        "environment": key.environment,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def _audit(key: ApiKey, action: str, *, actor, reason: str, before: dict | None) -> None:
    audit_record(
        action=action,
        subject_type=AuditSubject.API_KEY,
        subject_id=key.pk,
        actor=actor,
        reason=reason,
        before=before,
        after=api_key_snapshot(key),
    )


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError(
            {
                "scopes": _("Unknown scope(s): %(unknown)s. Known: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(SCOPES)}
            }
        )
    if not scopes:
        raise ValidationError({"scopes": _("Give the key at least one scope.")})
    return sorted(set(scopes))


def validate_environment(environment: str) -> str:
    names = environments()
    if environment not in names:
        raise ValidationError(
            {
                "environment": _("Unknown environment “%(environment)s”; expected one of %(names)s.")
                % {"environment": environment, "names": ", ".join(names)}
            }
        )
    return environment


@transaction.atomic
def api_key_create(
    *,
    name: str,
    scopes: list[str],
    created_by=None,
    expires_at: datetime | None = None,
    environment: str | None = None,
    actor=None,
    reason: str = "",
) -> tuple[ApiKey, str]:
    """Create a key for ``environment`` (default: the first of ``HIVE_ENVIRONMENTS``) and return it with its
    secret, which is shown once and never stored. Audited as "created" by ``actor`` (default: ``created_by``)."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        prefix=raw_key[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(raw_key),
        scopes=validate_scopes(list(scopes)),
        environment=validate_environment(environment if environment is not None else environments()[0]),
        created_by=created_by,
        expires_at=expires_at,
    )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    key.full_clean()
    key.save()
    _audit(key, AuditAction.CREATED, actor=actor if actor is not None else created_by, reason=reason, before=None)
    bump_keys_generation()
    return key, raw_key


@transaction.atomic
def api_key_update(
    *,
    key: ApiKey,
    scopes: list[str] | None = None,
    expires_at=None,
    name: str | None = None,
    environment: str | None = None,
    actor=None,
    reason: str = "",
) -> ApiKey:
    """Change a key's name, scopes, environment or expiry; audited as "updated" when anything changed."""
    before = api_key_snapshot(ApiKey.objects.get(pk=key.pk))
    if scopes is not None:
        key.scopes = validate_scopes(list(scopes))
    if name is not None:
        key.name = name.strip()
    if environment is not None:
        key.environment = validate_environment(environment)
    key.expires_at = expires_at
    key.full_clean()
    key.save()
    if api_key_snapshot(key) != before:
        _audit(key, AuditAction.UPDATED, actor=actor, reason=reason, before=before)
    bump_keys_generation()
    return key


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor=None, reason: str = "") -> ApiKey:
    """Revoke a key (refused from the next request on); audited as "deactivated". Revoking twice is a no-op."""
    if key.revoked_at is None:
        before = api_key_snapshot(key)
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        _audit(key, AuditAction.DEACTIVATED, actor=actor, reason=reason or "API key revoked", before=before)
        bump_keys_generation()
    return key


# --- What runtimes report they provide -------------------------------------------------------------------


@transaction.atomic
def runtime_report_record(
    *, api_key_id: int, environment: str, runtime: str, version: str, tools: list[str]
) -> RuntimeReport:
    """Record the tool names a runtime's registry provides (validated by the API's serializer), replacing what
    the same key and runtime name reported before, and when it was seen."""
    report, _ = RuntimeReport.objects.update_or_create(
        api_key_id=api_key_id,
        runtime=runtime,
        defaults={
            "runtime_version": version,
            "environment": environment,
            "tools": sorted(set(tools)),
            "last_seen": timezone.now(),
        },
    )
    return report
