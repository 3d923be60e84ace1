from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from audit.chain import verify_audit_chain
from common.commands import PortalCommand


class Command(PortalCommand):
    help = gettext_lazy(
        "Recompute the audit trail's hash chain and report the first row that was changed, deleted or "
        "inserted out of band (PostgreSQL). Exits with an error when the chain is broken."
    )

    def handle(self, *args, **options):
        try:
            report = verify_audit_chain()
        except NotImplementedError as exc:
            raise CommandError(str(exc)) from None
        if report.intact:
            self.stdout.write(
                ngettext(
                    "Audit trail intact: %(rows)d row, hash chain verified.",
                    "Audit trail intact: %(rows)d rows, hash chain verified.",
                    report.rows,
                )
                % {"rows": report.rows}
            )
            return
        broken = report.first_break
        raise CommandError(
            _("Audit trail broken at row id %(id)s (row %(position)s in order): %(reason)s.")
            % {"id": broken.row_id, "position": broken.position, "reason": broken.reason}
        )
