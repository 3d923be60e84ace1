"""``manage.py guard_rollouts``: judge every running, guarded rollout once (the job queue runs the same
check every minute and after each metrics batch)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.commands import PortalCommand
from monitoring.rollout_guard import guard_rollouts
from versioning.components import get_kind


class Command(PortalCommand):
    help = gettext_lazy(
        "Abort running rollouts whose candidate is worse than its guard thresholds allow, and say which."
    )

    def handle(self, *args, **options):
        aborted = guard_rollouts()
        for rollout in aborted:
            # The reason is stored with the rollout (in the portal's language of record), so it is shown as it is.
            self.stdout.write(
                _("Aborted %(kind)s %(id)s: v%(version)s to %(percent)s%% of %(environment)s: %(reason)s")
                % {
                    "kind": get_kind(rollout.component_type).model._meta.verbose_name,
                    "id": rollout.component_id,
                    "version": rollout.candidate.version,
                    "percent": rollout.percent,
                    "environment": rollout.environment,
                    "reason": rollout.end_reason,
                }
            )
        if not aborted:
            self.stdout.write(_("No rollout needed aborting."))
