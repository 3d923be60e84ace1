from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.db import json_array_constraint
from versioning.models import first_environment

SCOPES = {
    "config:read": _("Fetch published agent and team configurations and the bundle."),
    "metrics:write": _("Post agent metrics and routing decisions."),
    "knowledge:search": _("Search the knowledge base."),
    "typification:read": _("Read the typification tree and classify messages."),
}
SCOPE_CHOICES = list(SCOPES.items())


class ApiKey(models.Model):
    """A key an agent runtime uses. Only a SHA-256 hash of the (high-entropy) secret is stored."""

    name = models.CharField(
        max_length=100, unique=True, help_text=_("Who uses this key, e.g. “prod-runtime”."), verbose_name=_("name")
    )
    prefix = models.CharField(
        max_length=16, editable=False, help_text=_("The start of the key, to recognise it."), verbose_name=_("prefix")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("key hash"))
    scopes = models.JSONField(default=list, help_text=_("What the key may do."), verbose_name=_("scopes"))
    environment = models.CharField(
        max_length=30,
        default=first_environment,
        help_text=_("The environment whose configuration this key's runtime is served (one of HIVE_ENVIRONMENTS)."),
        verbose_name=_("environment"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Leave empty for a key that does not expire."), verbose_name=_("expires at")
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("revoked at"))
    last_used_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("Recorded at most once a minute."),
        verbose_name=_("last used at"),
    )

    class Meta:
        db_table = "api_keys"
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            json_array_constraint("scopes"),
            models.CheckConstraint(
                condition=Q(environment__regex=r"^[a-z][a-z0-9-]{0,29}$"),
                name="%(app_label)s_%(class)s_environment_name",
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="%(app_label)s_%(class)s_name_set",
                violation_error_message=_("Give the key a name."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class RuntimeState(models.Model):
    """One row of counters the runtime path checks on every request (one indexed primary-key read).

    ``config_generation`` moves on every publish, rollback, activation or typification change;
    ``keys_generation`` on every API-key change. A worker whose cached documents or keys carry an
    older generation rebuilds them, so every worker serves a publish on its next request.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False, verbose_name=_("ID"))
    config_generation = models.BigIntegerField(default=1, verbose_name=_("config generation"))
    keys_generation = models.BigIntegerField(default=1, verbose_name=_("keys generation"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        db_table = "runtime_state"
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1),
                name="%(app_label)s_%(class)s_single_row",
                violation_error_message=_("There is exactly one runtime state row."),
            )
        ]

    def __str__(self):
        return f"config generation {self.config_generation}"


class RuntimeReport(models.Model):
    """What one runtime says its Agno registry provides: the tool names, as it last reported them.

    A runtime is named by the API key it uses and the name it gives itself (several processes of one deployment
    may share a name: they then share the row). The client reports when it first fetches and then every few
    minutes while it keeps fetching, so ``last_seen`` says whether it is still around.
    """

    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, related_name="runtime_reports", verbose_name=_("API key")
    )
    runtime = models.CharField(
        max_length=100, help_text=_("The name the runtime gave itself, e.g. “pix-bot”."), verbose_name=_("runtime")
    )
    runtime_version = models.CharField(max_length=100, blank=True, default="", verbose_name=_("version"))
    environment = models.CharField(
        max_length=30, help_text=_("The environment of the key it reported with."), verbose_name=_("environment")
    )
    tools = models.JSONField(
        default=list, help_text=_("The tool names its registry provides, sorted."), verbose_name=_("tools")
    )
    first_seen = models.DateTimeField(auto_now_add=True, verbose_name=_("first seen"))
    last_seen = models.DateTimeField(verbose_name=_("last seen"))

    class Meta:
        db_table = "runtime_reports"
        ordering = ["-last_seen"]
        verbose_name = _("runtime report")
        verbose_name_plural = _("runtime reports")
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "runtime"],
                name="%(app_label)s_%(class)s_one_per_key_and_name",
                violation_error_message=_("This key already has a runtime of this name."),
            ),
            models.CheckConstraint(
                condition=~Q(runtime=""),
                name="%(app_label)s_%(class)s_runtime_named",
                violation_error_message=_("A runtime must give its name."),
            ),
            json_array_constraint("tools"),
        ]

    def __str__(self):
        return f"{self.runtime} {self.runtime_version}".strip()
