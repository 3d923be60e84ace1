"""manage.py import_knowledge FILE.csv [--business-unit BU] [--skip-invalid] [--no-embed]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from common.commands import PortalCommand
from knowledge.importing import KnowledgeImportError, knowledge_import_csv


class Command(PortalCommand):
    help = gettext_lazy(
        "Import knowledge entries from a CSV file in either Automagik Hive layout "
        "(question,answer,category,tags or problem,solution,typification,business_unit). "
        "Entries already present are skipped, so running it twice is safe. Any invalid row refuses the "
        "whole file unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV file (UTF-8, with or without BOM)."))
        parser.add_argument(
            "--business-unit",
            help=_("Business unit for rows that name none (required when the file has no business_unit column)."),
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help=_("Import the valid rows and report the invalid ones.")
        )
        parser.add_argument("--no-embed", action="store_true", help=_("Leave embeddings to `embed_knowledge`."))
        parser.add_argument("--no-progress", action="store_true", help=_("No progress bar on stderr."))

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("%(file)s: cannot be read (%(error)s).") % {"file": path, "error": exc.strerror}
            ) from None
        bar = tqdm(
            desc=_("Importing %(file)s") % {"file": path.name},
            unit=_("row"),
            file=self.stderr._out,
            disable=options["no_progress"],
            dynamic_ncols=True,
        )
        try:
            report = knowledge_import_csv(
                data=data,
                file_name=str(path),
                business_unit=options["business_unit"],
                skip_invalid=options["skip_invalid"],
                embed=not options["no_embed"],
                actor="manage.py import_knowledge",
                progress=bar.update,
            )
        except KnowledgeImportError as exc:
            bar.close()
            for message in exc.messages:
                self.stderr.write(message)
            problems = len(exc.messages)
            raise CommandError(
                ngettext(
                    "%(file)s: nothing imported (%(count)d problem).",
                    "%(file)s: nothing imported (%(count)d problems).",
                    problems,
                )
                % {"file": path, "count": problems}
            ) from None
        bar.close()
        for message in report.skipped:
            self.stderr.write(_("%(problem)s (skipped)") % {"problem": message})
        skipped = len(report.skipped)
        self.stdout.write(
            ngettext(
                "%(file)s: %(created)d created, %(unchanged)d already present, %(duplicates)d repeated in the file, "
                "%(skipped)d invalid row skipped; %(embedded)d embedded.",
                "%(file)s: %(created)d created, %(unchanged)d already present, %(duplicates)d repeated in the file, "
                "%(skipped)d invalid rows skipped; %(embedded)d embedded.",
                skipped,
            )
            % {
                "file": path,
                "created": report.created,
                "unchanged": report.unchanged,
                "duplicates": report.duplicates,
                "skipped": skipped,
                "embedded": report.embedded,
            }
        )
        if report.embedding_error:
            self.stderr.write(
                _("Embeddings were not computed (%(error)s); run `manage.py embed_knowledge` later.")
                % {"error": report.embedding_error}
            )
