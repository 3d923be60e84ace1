"""``manage.py publish_component {agent|team|routing} ID --message TEXT``."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import CommandError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import cli_actor
from common.commands import PortalCommand
from versioning.components import get_kind
from versioning.services import component_publish


class Command(PortalCommand):
    help = gettext_lazy("Publish a component's open draft (the previous published version is archived).")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["agent", "team", "routing"])
        parser.add_argument("component_id", metavar="ID")
        parser.add_argument("--message", "-m", required=True, help=_("Why (recorded in the audit trail)."))

    def handle(self, *args, **options):
        kind, component_id = options["kind"], options["component_id"]
        noun = get_kind(kind).model._meta.verbose_name
        try:
            version = component_publish(
                kind=get_kind(kind), component_id=component_id, actor=cli_actor(), note=options["message"]
            )
        except ObjectDoesNotExist:
            raise CommandError(_("There is no %(kind)s “%(id)s”.") % {"kind": noun, "id": component_id}) from None
        except ValidationError as exc:
            raise CommandError(
                capfirst(
                    _("%(kind)s %(id)s was not published: %(reasons)s")
                    % {"kind": noun, "id": component_id, "reasons": " ".join(exc.messages)}
                )
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Published %(kind)s %(id)s as v%(version)s.")
                % {"kind": noun, "id": component_id, "version": version.version}
            )
        )
