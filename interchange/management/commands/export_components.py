"""``manage.py export_components DIR [--published]``."""

from django.core.management.base import BaseCommand, CommandError

from interchange.importing import components_export


class Command(BaseCommand):
    help = (
        "Write every agent and team as DIR/agents/<id>.yaml and DIR/teams/<id>.yaml in the portal's format "
        "(the open draft, else the published version), or with --format agno as Agno's own serialized "
        "components (<id>.json). import_components reads either back unchanged."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument(
            "--published", action="store_true", help="Export published versions only (skip never-published)."
        )
        parser.add_argument(
            "--format",
            choices=("yaml", "agno"),
            default="yaml",
            help="yaml: the portal's format (default); agno: Agno's own Agent/Team.to_dict() JSON, <id>.json.",
        )

    def handle(self, *args, **options):
        try:
            files = components_export(
                directory=options["directory"], published_only=options["published"], format=options["format"]
            )
        except OSError as exc:
            raise CommandError(f"{options['directory']}: cannot write ({exc.strerror or exc}).") from None
        for item in files:
            version = f"v{item.version} {item.status}" if item.version else item.status
            self.stdout.write(f"{item.kind} {item.component_id} ({version}) → {item.path}")
        self.stdout.write(self.style.SUCCESS(f"Exported {len(files)} component(s) to {options['directory']}."))
