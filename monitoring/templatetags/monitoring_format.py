from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

register = template.Library()


def _number(value: float, digits: int, *, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals in the active language's format (96.7 / 96,7), a sign when asked."""
    text = number_format(round(abs(value) if signed else value, digits), digits)
    return (("+" if value >= 0 else "-") + text) if signed else text


@register.filter
def percent(value, digits: int = 1):
    """0.9667 → "96.7%"; None → "–"."""
    if value is None or value == "":
        return "–"
    return f"{_number(float(value) * 100, int(digits))}%"


@register.filter
def signed_percent(value, digits: int = 1):
    """0.125 → "+12.5%"."""
    if value is None or value == "":
        return "–"
    return f"{_number(float(value) * 100, int(digits), signed=True)}%"


@register.filter
def signed_points(value, digits: int = 1):
    """A change of a rate in percentage points: 0.025 → "+2.5 pts"."""
    if value is None or value == "":
        return "–"
    return f"{_number(float(value) * 100, int(digits), signed=True)} {gettext('pts')}"
