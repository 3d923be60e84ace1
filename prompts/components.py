"""How a prompt fragment is versioned: its component kind, registered with versioning in ``PromptsConfig.ready()``.
When a version of a fragment goes live (publish or rollback), its dependents are released with it."""

from __future__ import annotations

from prompts.models import PromptFragment
from prompts.selectors import fragment_config
from prompts.services import check_unused, fragment_restore, release_dependents, validate_fragment_live
from versioning.components import ComponentKind

FRAGMENT_KIND = ComponentKind(
    type="fragment",
    model=PromptFragment,
    id_field="name",
    snapshot=fragment_config,
    restore=fragment_restore,
    validate_live=validate_fragment_live,
    check_deactivate=check_unused,
    check_delete=check_unused,
    went_live=release_dependents,
    promotable=False,
)
