import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.db import json_array_constraint

LEVELS = ("level1", "level2", "level3", "level4", "level5")


class TypificationHierarchy(models.Model):
    """One path of the conversation typification: business unit → product → motive → sub-motive (→ detail).

    Deeper levels may stay empty, but a level cannot be set when the one above it is empty.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    level1 = models.CharField(max_length=255, verbose_name=_("level 1"), help_text=_("Usually the business unit."))
    level2 = models.CharField(
        max_length=255, blank=True, default="", verbose_name=_("level 2"), help_text=_("Product.")
    )
    level3 = models.CharField(max_length=255, blank=True, default="", verbose_name=_("level 3"), help_text=_("Motive."))
    level4 = models.CharField(
        max_length=255, blank=True, default="", verbose_name=_("level 4"), help_text=_("Sub-motive.")
    )
    level5 = models.CharField(max_length=255, blank=True, default="", verbose_name=_("level 5"))
    business_unit = models.CharField(
        max_length=50,
        db_index=True,
        verbose_name=_("business unit"),
        help_text=_("Code of the business unit whose specialist handles this path."),
    )
    routing_keywords = models.JSONField(
        default=list,
        blank=True,
        verbose_name=_("routing keywords"),
        help_text=_("Words that point a customer message to this path."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        db_table = "typification_hierarchy"
        ordering = list(LEVELS)
        verbose_name = _("typification path")
        verbose_name_plural = _("typification hierarchy")
        constraints = [
            models.UniqueConstraint(
                fields=list(LEVELS),
                name="%(app_label)s_%(class)s_unique_path",
                violation_error_message=_("This typification path already exists."),
            ),
            models.CheckConstraint(
                condition=~Q(level1=""),
                name="%(app_label)s_%(class)s_level1_set",
                violation_error_message=_("Level 1 is required."),
            ),
            models.CheckConstraint(
                condition=(Q(level3="") | ~Q(level2=""))
                & (Q(level4="") | ~Q(level3=""))
                & (Q(level5="") | ~Q(level4="")),
                name="%(app_label)s_%(class)s_no_gaps",
                violation_error_message=_("A level cannot be filled while the level above it is empty."),
            ),
            models.CheckConstraint(
                condition=~Q(business_unit=""),
                name="%(app_label)s_%(class)s_business_unit_set",
                violation_error_message=_("Business unit is required."),
            ),
            json_array_constraint("routing_keywords"),
        ]

    def __str__(self):
        return " › ".join(self.path)

    @property
    def path(self) -> list[str]:
        return [getattr(self, level) for level in LEVELS if getattr(self, level)]


class BusinessUnitRoute(models.Model):
    """Which agent or team handles the customer messages typified under a business unit.

    Exactly one of ``agent`` and ``team`` is set (a database check); both are protected, so an agent
    or team that a route points at cannot be deleted from under the routing.
    """

    business_unit = models.CharField(
        max_length=50,
        unique=True,
        verbose_name=_("business unit"),
        help_text=_("The business unit code as the typification hierarchy spells it, e.g. “Adquirência Web”."),
    )
    agent = models.ForeignKey(
        "agents.Agent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="business_unit_routes",
        verbose_name=_("agent"),
        help_text=_("The specialist agent that answers this business unit (or choose a team)."),
    )
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="business_unit_routes",
        verbose_name=_("team"),
        help_text=_("The team that answers this business unit (or choose an agent)."),
    )
    note = models.TextField(
        blank=True,
        default="",
        verbose_name=_("note"),
        help_text=_("Why this business unit goes there."),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        db_table = "business_unit_routes"
        ordering = ["business_unit"]
        verbose_name = _("business unit route")
        verbose_name_plural = _("business unit routes")
        constraints = [
            models.CheckConstraint(
                condition=Q(agent__isnull=False, team__isnull=True) | Q(agent__isnull=True, team__isnull=False),
                name="%(app_label)s_%(class)s_exactly_one_target",
                violation_error_message=_("Choose either an agent or a team, not both and not neither."),
            ),
            models.CheckConstraint(
                condition=~Q(business_unit=""),
                name="%(app_label)s_%(class)s_business_unit_set",
                violation_error_message=_("Business unit is required."),
            ),
        ]

    def __str__(self):
        return f"{self.business_unit} → {self.target_label}"

    @property
    def target_type(self) -> str:
        return "agent" if self.agent_id else "team"

    @property
    def target_id(self) -> str:
        if self.agent is not None:
            return self.agent.agent_id
        if self.team is not None:
            return self.team.team_id
        return ""

    @property
    def target_label(self) -> str:
        target = self.agent if self.agent_id else self.team
        return str(target) if target is not None else "—"


ROUTING_ID = "routing"


class RoutingTable(models.Model):
    """The routing as one versioned component: its working copy is the typification hierarchy plus the
    business-unit routes, as those tables stand now (the draft); the runtime serves its published version.

    A singleton (a database check allows only the id “routing”); it carries what the versioning workflow
    needs from a working copy: the label of the published version, a revision for lost-update checks and
    an active flag (routing is always served).
    """

    routing_id = models.CharField(
        max_length=20,
        unique=True,
        default=ROUTING_ID,
        editable=False,
        verbose_name=_("routing ID"),
    )
    version = models.CharField(
        max_length=50,
        blank=True,
        default="",
        editable=False,
        verbose_name=_("version"),
        help_text=_("Label of the published version, e.g. “v3”; empty until first published."),
    )
    revision = models.PositiveIntegerField(
        default=1,
        editable=False,
        verbose_name=_("revision"),
        help_text=_("Bumped on every change to the typification paths or routes."),
    )
    is_active = models.BooleanField(default=True, editable=False, verbose_name=_("active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        db_table = "typification_routing"
        ordering = ["routing_id"]
        verbose_name = _("routing")
        verbose_name_plural = _("routing")
        constraints = [
            models.CheckConstraint(
                condition=Q(routing_id=ROUTING_ID),
                name="%(app_label)s_%(class)s_singleton",
                violation_error_message=_("There is exactly one routing table."),
            ),
        ]

    def __str__(self):
        return gettext("Routing (typification tree and business-unit routes)")
