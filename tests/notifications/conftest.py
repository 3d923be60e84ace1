import pytest


@pytest.fixture
def with_email():
    """Give users an address (the role fixtures have none): ``with_email(editor, publisher, ...)``."""

    def give(*users):
        for user in users:
            user.email = f"{user.username}@example.com"
            user.save(update_fields=["email"])
        return users

    return give


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.HIVE_PUBLIC_URL = "https://hive.example.com"
