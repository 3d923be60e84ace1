"""manage.py embed_knowledge [--force] [--business-unit BU] [--batch-size N] [--limit N]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from knowledge.embedders import EmbedderError, get_embedder
from knowledge.embedding import knowledge_embed_pending
from knowledge.selectors import knowledge_entries_needing_embedding


class Command(BaseCommand):
    help = (
        "Compute the embeddings that are missing or stale (text changed, or another embedder configured). "
        "Works in batches that commit one by one: interrupt it any time and run it again to resume."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Recompute every embedding.")
        parser.add_argument("--business-unit", help="Only entries of this business unit.")
        parser.add_argument(
            "--batch-size", type=int, help="Texts per embedder call (default HIVE_EMBEDDING_BATCH_SIZE)."
        )
        parser.add_argument("--limit", type=int, help="Stop after this many entries.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args, **options):
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            embedder = get_embedder()
        except EmbedderError as exc:
            raise CommandError(str(exc)) from None
        pending = knowledge_entries_needing_embedding(signature=embedder.signature, force=options["force"])
        if options["business_unit"]:
            pending = pending.filter(business_unit=options["business_unit"])
        total = pending.count()
        if options["limit"] is not None:
            total = min(total, options["limit"])
        self.stdout.write(f"{total} entr{'y' if total == 1 else 'ies'} to embed with {embedder.signature}.")
        with tqdm(
            total=total, desc="Embedding", unit="entry", file=self.stderr._out, disable=options["no_progress"]
        ) as bar:
            report = knowledge_embed_pending(
                business_unit=options["business_unit"] or None,
                force=options["force"],
                batch_size=options["batch_size"],
                limit=options["limit"],
                actor="manage.py embed_knowledge",
                embedder=embedder,
                progress=bar.update,
            )
        self.stdout.write(f"{report.embedded} embedded, {report.skipped} changed meanwhile (left for the next run).")
        if report.error:
            raise CommandError(
                f"The embedder failed ({report.error}); {report.embedded} were saved. Run the command again to resume."
            )
