from django.core.management.base import BaseCommand

from hive_portal.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo configuration (idempotent) and create the admin user if it does not exist."

    def handle(self, *args, **options):
        load_demo(self.stdout)
