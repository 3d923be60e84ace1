"""manage.py embed_knowledge [--force] [--business-unit BU] [--batch-size N] [--limit N]"""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from common.commands import PortalCommand
from knowledge.embedders import EmbedderError, get_embedder
from knowledge.embedding import knowledge_embed_pending
from knowledge.selectors import knowledge_entries_needing_embedding


class Command(PortalCommand):
    help = gettext_lazy(
        "Compute the embeddings that are missing or stale (text changed, or another embedder configured). "
        "Works in batches that commit one by one: interrupt it any time and run it again to resume."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help=_("Recompute every embedding."))
        parser.add_argument("--business-unit", help=_("Only entries of this business unit."))
        parser.add_argument(
            "--batch-size", type=int, help=_("Texts per embedder call (default HIVE_EMBEDDING_BATCH_SIZE).")
        )
        parser.add_argument("--limit", type=int, help=_("Stop after this many entries."))
        parser.add_argument("--no-progress", action="store_true", help=_("No progress bar on stderr."))

    def handle(self, *args, **options):
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError(_("--batch-size must be at least 1."))
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
        self.stdout.write(
            ngettext(
                "%(count)d entry to embed with %(embedder)s.",
                "%(count)d entries to embed with %(embedder)s.",
                total,
            )
            % {"count": total, "embedder": embedder.signature}
        )
        with tqdm(
            total=total,
            desc=_("Embedding"),
            unit=_("entry"),
            file=self.stderr._out,
            disable=options["no_progress"],
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
        self.stdout.write(
            _("%(embedded)d embedded, %(skipped)d changed meanwhile (left for the next run).")
            % {"embedded": report.embedded, "skipped": report.skipped}
        )
        if report.error:
            raise CommandError(
                _("The embedder failed (%(error)s); %(embedded)d were saved. Run the command again to resume.")
                % {"error": report.error, "embedded": report.embedded}
            )
