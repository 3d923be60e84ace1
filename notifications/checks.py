"""System checks of the notifications settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def public_url_check(app_configs, **kwargs):
    """E-mails link to the portal: with a real mail server, the links must not point at this machine's loopback."""
    if settings.HIVE_EMAIL_SMTP and not settings.HIVE_PUBLIC_URL_SET:
        return [
            Warning(
                f"Notification e-mails link to {settings.HIVE_PUBLIC_URL}, an address made from HIVE_BIND.",
                hint="Set HIVE_PUBLIC_URL to the address people open the portal at (https://hive.example.com).",
                id="notifications.W001",
            )
        ]
    return []
