"""PortalCommand: a command for people speaks ``--language``, else the shell's locale (from manage.py), else the
caller's active language (call_command)."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from common.commands import language_from_environment
from tests.hive_portal.conftest import manage_ok

# --- language_from_environment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "environ, language",
    [
        ({"LANG": "pt_BR.UTF-8"}, "pt-br"),
        ({"LANG": "pt_BR"}, "pt-br"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "pt_BR.UTF-8"}, "pt-br"),
    ],
)
def test_language_from_environment__the_locale(environ, language):
    assert language_from_environment(environ) == language


def test_language_from_environment__lc_all_overrides_lang():
    assert language_from_environment({"LANG": "pt_BR.UTF-8", "LC_ALL": "en_US.UTF-8"}) == "en"
    assert language_from_environment({"LANG": "en_US.UTF-8", "LC_ALL": "pt_BR.UTF-8"}) == "pt-br"
    assert language_from_environment({"LC_MESSAGES": "en_US.UTF-8", "LC_ALL": "pt_BR.UTF-8"}) == "pt-br"


def test_language_from_environment__the_language_list_comes_first():
    assert language_from_environment({"LANGUAGE": "pt_BR:en", "LANG": "en_US.UTF-8"}) == "pt-br"
    # The first language of the list the portal speaks.
    assert language_from_environment({"LANGUAGE": "fr_FR:pt_BR:en", "LANG": "en_US.UTF-8"}) == "pt-br"
    assert language_from_environment({"LANGUAGE": "fr:de", "LANG": "pt_BR.UTF-8"}) == "pt-br"  # then the locale


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"LANG": ""},
        {"LANG": "C"},
        {"LANG": "C.UTF-8"},
        {"LANG": "POSIX"},
        {"LC_ALL": "C", "LANG": "pt_BR.UTF-8"},
        {"LANGUAGE": "pt_BR:en"},  # as gettext: the list means nothing without a locale
        {"LANGUAGE": "pt_BR:en", "LANG": "C.UTF-8"},
    ],
)
def test_language_from_environment__c_posix_or_unset__the_default(environ):
    assert language_from_environment(environ) == settings.LANGUAGE_CODE


@pytest.mark.parametrize(
    "environ", [{"LANG": "fr_FR.UTF-8"}, {"LC_ALL": "de_DE.UTF-8"}, {"LANGUAGE": "fr", "LANG": "fr_FR"}]
)
def test_language_from_environment__unsupported__the_default(environ):
    assert language_from_environment(environ) == settings.LANGUAGE_CODE


# --- call_command and run_from_argv -------------------------------------------------------------------------------
# rebuild_rollups refuses a bad date before it touches the database: a cheap command to ask for an error.

BAD_DATE = ("rebuild_rollups", "--since", "1 March")
ENGLISH = "give a date as YYYY-MM-DD"
PORTUGUESE = "informe uma data como AAAA-MM-DD"


def test_call_command__language_option():
    with pytest.raises(CommandError, match=PORTUGUESE):
        call_command(*BAD_DATE, "--language", "pt-br")
    with pytest.raises(CommandError, match=PORTUGUESE):
        call_command(*BAD_DATE, language="pt-br")
    assert translation.get_language() == "en-us"  # the caller's language is left as it was


def test_call_command__the_callers_language_unless_the_option_says_otherwise():
    with pytest.raises(CommandError, match=ENGLISH):
        call_command(*BAD_DATE)
    with translation.override("pt-br"):
        with pytest.raises(CommandError, match=PORTUGUESE):
            call_command(*BAD_DATE)
        with pytest.raises(CommandError, match=ENGLISH):
            call_command(*BAD_DATE, language="en")
        assert translation.get_language() == "pt-br"


def test_run_from_argv__the_environment_else_the_option(monkeypatch, capsys):
    from monitoring.management.commands.rebuild_rollups import Command

    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    with pytest.raises(SystemExit):
        Command().run_from_argv(["manage.py", *BAD_DATE])
    assert PORTUGUESE in capsys.readouterr().err
    with pytest.raises(SystemExit):
        Command().run_from_argv(["manage.py", *BAD_DATE, "--language=en"])
    assert ENGLISH in capsys.readouterr().err


def test_manage_py__help_in_the_shells_language(subprocess_env):
    """From a shell: LANG chooses the language of the help (argparse's own words are Python's, not ours)."""
    env = subprocess_env(LANGUAGE="", LC_ALL="", LC_MESSAGES="", LANG="pt_BR.UTF-8")
    portuguese = " ".join(manage_ok("verify_audit", "--help", env=env).stdout.split())
    assert "Recalcula a cadeia de hashes do log de auditoria" in portuguese
    assert "O idioma da saída (padrão: de LANGUAGE, LC_ALL, LC_MESSAGES ou LANG)." in portuguese

    english = " ".join(manage_ok("verify_audit", "--help", env={**env, "LANG": "C.UTF-8"}).stdout.split())
    assert "Recompute the audit trail's hash chain" in english

    # `manage.py help verify_audit` prints the same help by another way (no run_from_argv)
    portuguese = " ".join(manage_ok("help", "verify_audit", env=env).stdout.split())
    assert "Recalcula a cadeia de hashes do log de auditoria" in portuguese
