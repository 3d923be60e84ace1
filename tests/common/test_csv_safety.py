"""Formula injection: cells a spreadsheet would evaluate are written as text, and read back unchanged."""

import pytest

from common.csv_safety import csv_safe, csv_unescape


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("plain", "plain"),
        ("'quoted", "'quoted"),
        ("", ""),
        (" =x", " =x"),
    ],
)
def test_csv_safe__neutralises_formula_starts(value, written):
    assert csv_safe(value) == written


@pytest.mark.parametrize("value", ["=1", "'=1", "''=1", "'", "''", "x", "-", "'x", "@", "\t"])
def test_unescape_inverts_safe(value):
    assert csv_unescape(csv_safe(value)) == value


def test_non_text_unchanged():
    assert csv_safe(3) == 3 and csv_safe(None) is None
