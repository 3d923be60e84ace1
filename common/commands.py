"""Management commands for people speak the language of the shell that runs them.

Django runs a command in ``settings.LANGUAGE_CODE`` whatever the person's locale; the portal's commands take the
language the way command-line programs do — ``LANGUAGE``, then ``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` (POSIX
precedence; ``C`` and ``POSIX`` mean the default) — or from ``--language``. Their help, output and errors, and the
refusals of the services they call, are then in that language. What they store (change notes, audit reasons) is
not translated. A command whose output is stored or read by programs (the job worker) stays a plain BaseCommand.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def _language_of(locale_name: str) -> str | None:
    """``pt_BR.UTF-8`` → ``pt-br`` when the portal speaks it; None for ``C``, ``POSIX``, empty or unsupported."""
    name = locale_name.split(".")[0].split("@")[0].strip()
    if name in ("", "C", "POSIX"):
        return None
    try:
        return translation.get_supported_language_variant(translation.to_language(name))
    except LookupError:
        return None


def language_from_environment(environ: Mapping[str, str]) -> str:
    """The language a command speaks from a process environment, as gettext chooses it: the locale is the first
    of LC_ALL, LC_MESSAGES, LANG that is set; unless it is C/POSIX (or unset), GNU's LANGUAGE list comes first."""
    locale_name = next((environ[name] for name in _LOCALE_VARIABLES if environ.get(name)), "")
    if locale_name.split(".")[0] in ("", "C", "POSIX"):
        return settings.LANGUAGE_CODE
    for candidate in [*environ.get("LANGUAGE", "").split(":"), locale_name]:
        language = _language_of(candidate)
        if language is not None:
            return language
    return settings.LANGUAGE_CODE


def _language_in_argv(argv: Sequence[str]) -> str | None:
    for position, argument in enumerate(argv):
        if argument.startswith("--language="):
            return argument.split("=", 1)[1]
        if argument == "--language" and position + 1 < len(argv):
            return argv[position + 1]
    return None


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class PortalCommand(BaseCommand):
    """A command people run: ``--language``, else the environment's locale when run from a shell (``manage.py``),
    else the caller's active language (``call_command``) chooses the language of its help, output and errors."""

    # A lazy translation (gettext_lazy), made a str in the language chosen when the parser is created.
    help: StrOrPromise = ""  # type: ignore[assignment]

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # ``help`` is lazy (translated when shown); argparse formats the description as a str only.
        if parser.description is not None:
            parser.description = str(parser.description)
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help=_("The language of the output (default: from LANGUAGE, LC_ALL, LC_MESSAGES or LANG)."),
        )
        return parser

    def print_help(self, prog_name, subcommand):
        # ``manage.py help <command>`` prints the help without run_from_argv: the shell's language there too.
        with translation.override(language_from_environment(os.environ)):
            super().print_help(prog_name, subcommand)

    def run_from_argv(self, argv):
        # Before the arguments are parsed, so that --help and argument errors are in the language too.
        language = _supported(_language_in_argv(argv)) or language_from_environment(os.environ)
        with translation.override(language):
            return super().run_from_argv(argv)

    def execute(self, *args, **options):
        # From code (call_command), the caller's active language unless --language says otherwise.
        language = _supported(options.get("language")) or translation.get_language()
        with translation.override(language):
            return super().execute(*args, **options)
