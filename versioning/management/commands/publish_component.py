"""``manage.py publish_component {agent|team|routing} ID --message TEXT``."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError

from audit.services import cli_actor
from versioning.components import get_kind
from versioning.services import component_publish


class Command(BaseCommand):
    help = "Publish a component's open draft (the previous published version is archived)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["agent", "team", "routing"])
        parser.add_argument("component_id", metavar="ID")
        parser.add_argument("--message", "-m", required=True, help="Why (recorded in the audit trail).")

    def handle(self, *args, **options):
        kind, component_id = options["kind"], options["component_id"]
        try:
            version = component_publish(
                kind=get_kind(kind), component_id=component_id, actor=cli_actor(), note=options["message"]
            )
        except ObjectDoesNotExist:
            raise CommandError(f"There is no {kind} “{component_id}”.") from None
        except ValidationError as exc:
            raise CommandError(f"{kind} {component_id} was not published: {' '.join(exc.messages)}") from None
        self.stdout.write(self.style.SUCCESS(f"Published {kind} {component_id} as v{version.version}."))
