"""Writes for runtime access: API keys."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from runtime.models import SCOPES, ApiKey
from runtime.state import bump_keys_generation

KEY_PREFIX = "hive_"


def hash_key(raw_key: str) -> str:
    # The secret has 256 bits of entropy: a fast hash is as safe as a slow one and costs nothing per request.
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError({"scopes": f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(SCOPES)}."})
    if not scopes:
        raise ValidationError({"scopes": "Give the key at least one scope."})
    return sorted(set(scopes))


@transaction.atomic
def api_key_create(
    *, name: str, scopes: list[str], created_by=None, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is shown once and never stored."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        prefix=raw_key[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(raw_key),
        scopes=validate_scopes(list(scopes)),
        created_by=created_by,
        expires_at=expires_at,
    )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    key.full_clean()
    key.save()
    bump_keys_generation()
    return key, raw_key


@transaction.atomic
def api_key_update(*, key: ApiKey, scopes: list[str] | None = None, expires_at=None, name: str | None = None) -> ApiKey:
    if scopes is not None:
        key.scopes = validate_scopes(list(scopes))
    if name is not None:
        key.name = name.strip()
    key.expires_at = expires_at
    key.full_clean()
    key.save()
    bump_keys_generation()
    return key


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        bump_keys_generation()
    return key
