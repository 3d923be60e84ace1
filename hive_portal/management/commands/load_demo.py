from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.commands import PortalCommand
from hive_portal.demo import ensure_admin, load_demo


class Command(PortalCommand):
    help = gettext_lazy("Load the demo configuration (idempotent) and create the admin user if it does not exist.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--only-embedded",
            action="store_true",
            help=_(
                "What `make run` uses: load the demo only into the embedded database (or with HIVE_LOAD_DEMO=true); "
                "with a database URL only create the admin user."
            ),
        )

    def handle(self, *args, only_embedded=False, **options):
        if only_embedded and not settings.HIVE_EMBEDDED_DATABASE and not settings.HIVE_LOAD_DEMO:
            ensure_admin(self.stdout)
            self.stdout.write(
                _(
                    "Demo not loaded: the database is yours, not the embedded one "
                    "(set HIVE_LOAD_DEMO=true or run `manage.py load_demo` to load it)."
                )
                + "\n"
            )
            return
        load_demo(self.stdout)
