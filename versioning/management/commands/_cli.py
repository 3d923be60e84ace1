"""Shared bits of the versioning commands."""

from __future__ import annotations

import getpass


def cli_actor() -> str:
    """Who the audit trail names for a command: ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "unknown"
    return f"cli:{user}"
