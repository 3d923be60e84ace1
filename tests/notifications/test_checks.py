"""``manage.py check --deploy`` warns when e-mails would link to an address made up from HIVE_BIND."""

import pytest

from notifications.checks import public_url_check

pytestmark = pytest.mark.sqlite_smoke


def test_smtp_without_public_url__warned(settings):
    settings.HIVE_EMAIL_SMTP, settings.HIVE_PUBLIC_URL_SET = True, False
    [warning] = public_url_check(None)
    assert warning.id == "notifications.W001" and "HIVE_PUBLIC_URL" in warning.hint


@pytest.mark.parametrize(("smtp", "public_url_set"), [(True, True), (False, False)])
def test_public_url_set_or_no_mail_server__nothing_to_say(settings, smtp, public_url_set):
    settings.HIVE_EMAIL_SMTP, settings.HIVE_PUBLIC_URL_SET = smtp, public_url_set
    assert public_url_check(None) == []
