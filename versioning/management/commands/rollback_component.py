"""``manage.py rollback_component {agent|team|routing} ID --to VERSION --message TEXT``."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import CommandError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import cli_actor
from common.commands import PortalCommand
from versioning.components import get_kind
from versioning.services import component_rollback


def _version_number(value: str) -> int:
    return int(value[1:] if value.lower().startswith("v") else value)


class Command(PortalCommand):
    help = gettext_lazy("Publish a new version whose configuration equals version VERSION's (history is kept).")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["agent", "team", "routing"])
        parser.add_argument("component_id", metavar="ID")
        parser.add_argument(
            "--to",
            dest="to_version",
            required=True,
            type=_version_number,
            metavar="VERSION",
            help=_("The version to go back to, e.g. 3 or v3."),
        )
        parser.add_argument("--message", "-m", required=True, help=_("Why (recorded in the audit trail)."))

    def handle(self, *args, **options):
        kind, component_id, target = options["kind"], options["component_id"], options["to_version"]
        noun = get_kind(kind).model._meta.verbose_name
        try:
            version = component_rollback(
                kind=get_kind(kind),
                component_id=component_id,
                to_version=target,
                actor=cli_actor(),
                note=options["message"],
            )
        except ObjectDoesNotExist:
            raise CommandError(_("There is no %(kind)s “%(id)s”.") % {"kind": noun, "id": component_id}) from None
        except ValidationError as exc:
            raise CommandError(
                capfirst(
                    _("%(kind)s %(id)s was not rolled back: %(reasons)s")
                    % {"kind": noun, "id": component_id, "reasons": " ".join(exc.messages)}
                )
            ) from None
        message = _("Rolled %(kind)s %(id)s back to v%(target)s's configuration: now v%(version)s.") % {
            "kind": noun,
            "id": component_id,
            "target": target,
            "version": version.version,
        }
        self.stdout.write(self.style.SUCCESS(message))
