"""Knowledge jobs (autodiscovered by procrastinate; deferred through common.jobs.defer)."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


@app.task(name="knowledge.reembed", queue="knowledge")
def reembed_entries(*, ids: list[str], actor_id: int | None = None, actor_name: str = "") -> None:
    """Recompute the embeddings of ``ids`` (the admin's bulk action), as the user who asked: each batch
    commits and is audited on its own, so a failure keeps what was done and says what is left."""
    from django.contrib.auth import get_user_model

    from knowledge.embedding import knowledge_embed_pending

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    report = knowledge_embed_pending(ids=ids, force=True, actor=actor or actor_name or None)
    if report.error:
        logger.error("Re-embedding stopped after %s of %s entries: %s", report.embedded, len(ids), report.error)
