"""Field rules shared by several apps."""

from django.core.validators import RegexValidator

# Identifiers runtimes ask for (agent_id, team_id): checked by the form field and by a CheckConstraint.
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"

slug_validator = RegexValidator(
    SLUG_PATTERN,
    "Use lowercase letters, digits, hyphens and underscores, starting with a letter or digit.",
)
