import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from hive_portal import job_worker

NOT_RUNNING_EXIT_CODE = 3  # as embedded_db status


class Command(BaseCommand):
    help = (
        "Stop or show the job worker that `make run` starts beside gunicorn (its pid is in the data folder). "
        "`status` exits with 3 when it is not running. To run a worker in the foreground: manage.py procrastinate worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["stop", "status"])

    def handle(self, *args, action, **options):
        pid = job_worker.running_pid(settings.DATA_DIR)
        if action == "status":
            if pid is None:
                self.stdout.write("The job worker is not running.")
                sys.exit(NOT_RUNNING_EXIT_CODE)
            self.stdout.write(f"The job worker is running (pid {pid}).")
        else:
            self.stdout.write(
                "Stopped the job worker." if job_worker.stop(settings.DATA_DIR) else "No job worker was running."
            )
