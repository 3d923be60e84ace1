from django.conf import settings
from django.core.management.base import BaseCommand

from hive_portal.demo import ensure_admin, load_demo


class Command(BaseCommand):
    help = "Load the demo configuration (idempotent) and create the admin user if it does not exist."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only-embedded",
            action="store_true",
            help=(
                "What `make run` uses: load the demo only into the embedded database (or with HIVE_LOAD_DEMO=true); "
                "with a database URL only create the admin user."
            ),
        )

    def handle(self, *args, only_embedded=False, **options):
        if only_embedded and not settings.HIVE_EMBEDDED_DATABASE and not settings.HIVE_LOAD_DEMO:
            ensure_admin(self.stdout)
            self.stdout.write(
                "Demo not loaded: the database is yours, not the embedded one "
                "(set HIVE_LOAD_DEMO=true or run `manage.py load_demo` to load it).\n"
            )
            return
        load_demo(self.stdout)
