"""Which URLs a webhook may call: http(s), and — unless HIVE_WEBHOOK_ALLOW_PRIVATE — no host that resolves to a
private, loopback, link-local or otherwise non-public address (the portal must not become a way into its own
network). Checked when an endpoint is saved and again before every attempt, since DNS may answer differently later."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def validate_webhook_url(url: str) -> list[str]:
    """Raise ``ValidationError`` (one sentence for the form, in the active language) when ``url`` may not be called; return the public
    addresses its host resolved to (none when HIVE_WEBHOOK_ALLOW_PRIVATE skips the check), so the caller can
    connect to one of them rather than resolve the name a second time (DNS rebinding)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError(_("A webhook URL must start with http:// or https://."), code="scheme")
    if not parts.hostname:
        raise ValidationError(_("A webhook URL needs a host name."), code="no_host")
    if parts.username or parts.password:
        raise ValidationError(
            _("Put no user name or password in a webhook URL: requests are signed instead."), code="credentials"
        )
    if settings.HIVE_WEBHOOK_ALLOW_PRIVATE:
        return []
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError, UnicodeError):
        raise ValidationError(
            _("The host %(host)s does not resolve."), code="unresolved", params={"host": repr(parts.hostname)}
        ) from None
    refused = sorted(address for address in addresses if _refused(address))
    if refused:
        raise ValidationError(
            _(
                "The host %(host)s resolves to a private, loopback or link-local address (%(address)s): "
                "webhooks call public addresses only (HIVE_WEBHOOK_ALLOW_PRIVATE=true allows private ones)."
            ),
            code="private_address",
            params={"host": repr(parts.hostname), "address": refused[0]},
        )
    return sorted(addresses)


def pinned_request(url: str, addresses: list[str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """(URL, extra headers, httpx extensions) that reach ``url``'s host at the checked ``addresses[0]``: the IP in
    the URL, the name in ``Host`` and, for https, in the TLS server name (SNI, and the certificate is checked
    against it). With no addresses, ``url`` as it is."""
    if not addresses:
        return url, {}, {}
    parts = urlsplit(url)
    hostname = parts.hostname or ""  # validate_webhook_url refused a URL without one
    address = addresses[0].split("%", 1)[0]
    host = f"[{address}]" if ":" in address else address
    netloc = host + (f":{parts.port}" if parts.port else "")
    host_header = hostname + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": hostname} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": host_header}, extensions
