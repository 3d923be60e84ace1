"""The release gate on tools no runtime provides (registered with ``versioning.gates`` in ``RuntimeConfig.ready()``).

An agent whose candidate version names a tool that no runtime of the environment has reported would be refused
by every runtime there (Agno cannot bind the name). Publishing it is refused until a publisher confirms with a
reason; with four-eyes review on (``HIVE_REQUIRE_REVIEW``) it is refused outright: deploy a runtime that provides
the tool (it reports on its next fetch), then publish. The gate judges only when at least one runtime of the
environment has reported (before that the portal knows nothing to judge by: the admin says so) and only for
people; commands and the demo are trusted.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from agents.providers import unprovided_tools
from audit.models import AuditAction
from audit.services import actor_parts, audit_record
from runtime.selectors import environments_reporting
from versioning.gates import GateCheck, GateRefused
from versioning.services import PUBLISH_PERMISSION


def tool_names(config: dict) -> list[str]:
    return [tool if isinstance(tool, str) else tool["name"] for tool in config.get("tools") or []]


def unprovided_tools_gate(check: GateCheck) -> None:
    if check.kind.type not in ("agent", "team") or check.action != "publish":
        return
    user, _ = actor_parts(check.actor)
    if user is None or check.environment not in environments_reporting():
        return
    missing = unprovided_tools(tool_names(check.candidate.config), environment=check.environment)
    if not missing:
        return
    # The page's words, in the person's language (a gate runs inside their request); the audit row stays English.
    what = gettext(
        "No runtime of %(environment)s has reported the tool(s) %(tools)s that %(component)s v%(version)s uses: "
        "those runtimes cannot build it."
    ) % {
        "environment": check.environment,
        "tools": ", ".join(missing),
        "component": check.component_id,
        "version": check.candidate.version,
    }
    if settings.HIVE_REQUIRE_REVIEW:
        raise GateRefused(
            gettext(
                "%(problem)s With review on, deploy a runtime that provides them first (it reports them when it "
                "fetches), then publish."
            )
            % {"problem": what}
        )
    if not check.override:
        raise GateRefused(
            gettext("%(problem)s Confirm with a reason to publish anyway.") % {"problem": what},
            override_permission=PUBLISH_PERMISSION,
            details_url="",
            override_title=gettext_lazy("Publish although no runtime provides these tools"),
        )
    audit_record(
        action=AuditAction.GATE_OVERRIDDEN,
        subject_type=check.kind.type,
        subject_id=check.component_id,
        actor=check.actor,
        reason=f"Published with tool(s) no runtime of {check.environment} reported ({', '.join(missing)}): "
        f"{check.override}",
        to_version=check.candidate.version,
        environment=check.environment,
    )
