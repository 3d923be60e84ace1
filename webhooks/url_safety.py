"""Which URLs a webhook may call: http(s), and — unless HIVE_WEBHOOK_ALLOW_PRIVATE — no host that resolves to a
private, loopback, link-local or otherwise non-public address (the portal must not become a way into its own
network). Checked when an endpoint is saved and again before every attempt, since DNS may answer differently later."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def validate_webhook_url(url: str) -> None:
    """Raise ``ValidationError`` (one sentence for the form) when ``url`` may not be called."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError("A webhook URL must start with http:// or https://.")
    if not parts.hostname:
        raise ValidationError("A webhook URL needs a host name.")
    if parts.username or parts.password:
        raise ValidationError("Put no user name or password in a webhook URL: requests are signed instead.")
    if settings.HIVE_WEBHOOK_ALLOW_PRIVATE:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError, UnicodeError):
        raise ValidationError(f"The host {parts.hostname!r} does not resolve.") from None
    refused = sorted(address for address in addresses if _refused(address))
    if refused:
        raise ValidationError(
            f"The host {parts.hostname!r} resolves to a private, loopback or link-local address ({refused[0]}): "
            "webhooks call public addresses only (HIVE_WEBHOOK_ALLOW_PRIVATE=true allows private ones)."
        )
