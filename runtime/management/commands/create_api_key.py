from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.commands import PortalCommand
from runtime.models import SCOPES
from runtime.services import api_key_create


class Command(PortalCommand):
    help = gettext_lazy("Create an API key for an agent runtime. The key is printed once, as the last line.")

    def add_arguments(self, parser):
        parser.add_argument("name", help=_("Who uses the key, e.g. prod-runtime."))
        parser.add_argument(
            "--scopes",
            default="config:read",
            help=_("Comma-separated scopes: %(scopes)s (default: config:read).") % {"scopes": ", ".join(SCOPES)},
        )
        parser.add_argument(
            "--environment",
            default=None,
            help=_("The environment the key is served (default: the first of HIVE_ENVIRONMENTS)."),
        )
        parser.add_argument("--expires-in-days", type=int, default=None, help=_("Expire the key after N days."))

    def handle(self, *args, name, scopes, environment, expires_in_days, **options):
        scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
        expires_at = None
        if expires_in_days is not None:
            if expires_in_days < 1:
                raise CommandError(_("--expires-in-days must be 1 or more."))
            expires_at = timezone.now() + timedelta(days=expires_in_days)
        try:
            key, raw = api_key_create(
                name=name,
                scopes=scope_list,
                expires_at=expires_at,
                environment=environment,
                actor="manage.py create_api_key",
            )
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in exc.message_dict.items())
            raise CommandError(messages) from None
        self.stderr.write(
            _(
                "Created API key “%(name)s” for %(environment)s with scopes %(scopes)s. Store it now: it is not shown "
                "again."
            )
            % {"name": key.name, "environment": key.environment, "scopes": ", ".join(key.scopes)}
        )
        self.stdout.write(raw)
