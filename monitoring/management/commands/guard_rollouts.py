"""``manage.py guard_rollouts``: judge every running, guarded rollout once (the job queue runs the same
check every minute and after each metrics batch)."""

from django.core.management.base import BaseCommand

from monitoring.rollout_guard import guard_rollouts


class Command(BaseCommand):
    help = "Abort running rollouts whose candidate is worse than its guard thresholds allow, and say which."

    def handle(self, *args, **options):
        aborted = guard_rollouts()
        for rollout in aborted:
            self.stdout.write(f"Aborted {rollout}: {rollout.end_reason}")
        if not aborted:
            self.stdout.write("No rollout needed aborting.")
