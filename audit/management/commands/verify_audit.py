from django.core.management.base import BaseCommand, CommandError

from audit.chain import verify_audit_chain


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain and report the first row that was changed, deleted or "
        "inserted out of band (PostgreSQL). Exits with an error when the chain is broken."
    )

    def handle(self, *args, **options):
        try:
            report = verify_audit_chain()
        except NotImplementedError as exc:
            raise CommandError(str(exc)) from None
        if report.intact:
            self.stdout.write(f"Audit trail intact: {report.rows} rows, hash chain verified.")
            return
        broken = report.first_break
        raise CommandError(
            f"Audit trail broken at row id {broken.row_id} (row {broken.position} in order): {broken.reason}."
        )
