from django import template

register = template.Library()


@register.filter
def percent(value, digits: int = 1):
    """0.9667 → "96.7%"; None → "–"."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def signed_percent(value, digits: int = 1):
    """0.125 → "+12.5%"."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:+.{int(digits)}f}%"


@register.filter
def signed_points(value, digits: int = 1):
    """A change of a rate in percentage points: 0.025 → "+2.5 pts"."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:+.{int(digits)}f} pts"
