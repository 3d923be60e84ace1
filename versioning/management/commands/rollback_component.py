"""``manage.py rollback_component {agent|team|routing} ID --to VERSION --message TEXT``."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.services import cli_actor
from versioning.components import get_kind
from versioning.services import component_rollback


def _version_number(value: str) -> int:
    return int(value[1:] if value.lower().startswith("v") else value)


class Command(BaseCommand):
    help = "Publish a new version whose configuration equals version VERSION's (history is kept)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["agent", "team", "routing"])
        parser.add_argument("component_id", metavar="ID")
        parser.add_argument(
            "--to",
            dest="to_version",
            required=True,
            type=_version_number,
            metavar="VERSION",
            help="The version to go back to, e.g. 3 or v3.",
        )
        parser.add_argument("--message", "-m", required=True, help="Why (recorded in the audit trail).")

    def handle(self, *args, **options):
        kind, component_id, target = options["kind"], options["component_id"], options["to_version"]
        try:
            version = component_rollback(
                kind=get_kind(kind),
                component_id=component_id,
                to_version=target,
                actor=cli_actor(),
                note=options["message"],
            )
        except ObjectDoesNotExist:
            raise CommandError(f"There is no {kind} “{component_id}”.") from None
        except ValidationError as exc:
            raise CommandError(f"{kind} {component_id} was not rolled back: {' '.join(exc.messages)}") from None
        message = f"Rolled {kind} {component_id} back to v{target}'s configuration: now v{version.version}."
        self.stdout.write(self.style.SUCCESS(message))
