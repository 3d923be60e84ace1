"""manage.py import_knowledge FILE.csv [--business-unit BU] [--skip-invalid] [--no-embed]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from knowledge.importing import KnowledgeImportError, knowledge_import_csv


class Command(BaseCommand):
    help = (
        "Import knowledge entries from a CSV file in either Automagik Hive layout "
        "(question,answer,category,tags or problem,solution,typification,business_unit). "
        "Entries already present are skipped, so running it twice is safe. Any invalid row refuses the "
        "whole file unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8, with or without BOM).")
        parser.add_argument(
            "--business-unit",
            help="Business unit for rows that name none (required when the file has no business_unit column).",
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import the valid rows and report the invalid ones."
        )
        parser.add_argument("--no-embed", action="store_true", help="Leave embeddings to `embed_knowledge`.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from None
        bar = tqdm(
            desc=f"Importing {path.name}",
            unit="row",
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
            raise CommandError(f"{path}: nothing imported ({len(exc.messages)} problem(s)).") from None
        bar.close()
        for message in report.skipped:
            self.stderr.write(f"{message} (skipped)")
        self.stdout.write(
            f"{path}: {report.created} created, {report.unchanged} already present, "
            f"{report.duplicates} repeated in the file, {len(report.skipped)} invalid row(s) skipped; "
            f"{report.embedded} embedded."
        )
        if report.embedding_error:
            self.stderr.write(
                f"Embeddings were not computed ({report.embedding_error}); run `manage.py embed_knowledge` later."
            )
