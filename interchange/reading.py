"""Reading agent and team configuration files (no database access here): finding them in folders, and telling
which format a file is in.

Three formats are read, each by its own module; what comes out is always the runtime configuration in Agno 3's
parameter names (``documents.ComponentDocument``):

* the portal's own format (``format: hive-portal/v1``, ``portal_format``), which ``writer`` writes;
* Automagik Hive's ``config.yaml`` (``agent:``/``team:`` blocks, ``hive_format``);
* Agno's own serialized components, ``.json`` or YAML (``agno_format``).

Every problem is reported as ``FILE:LINE: message`` (``documents.ConfigFileError``); the lines come from
``yaml_lines``, which also refuses hostile YAML (alias bombs, deep nesting).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.utils.translation import gettext

from interchange.agno_format import looks_like_agno, read_agno
from interchange.documents import KINDS, ComponentDocument, ConfigFileError, ConfigFileErrors, SkippedDocument
from interchange.hive_format import read_hive
from interchange.portal_format import FORMAT, read_portal
from interchange.yaml_lines import key_lines, load, node_line

YAML_SUFFIXES = (".yaml", ".yml", ".json")  # JSON: Agno's serialized components (a JSON text is YAML)


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named by ``paths``: files as given, directories searched recursively (hidden
    folders skipped), in a stable order and without duplicates."""
    found: list[Path] = []
    errors = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path).parts
                if (
                    candidate.suffix.lower() in YAML_SUFFIXES
                    and candidate.is_file()
                    and not any(part.startswith(".") for part in relative)
                ):
                    found.append(candidate)
        elif path.is_file():
            found.append(path)
        else:
            errors.append(ConfigFileError(str(path), None, gettext("no such file or directory.")))
    if errors:
        raise ConfigFileErrors(errors)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def read_file(path: str | Path) -> ComponentDocument | SkippedDocument:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigFileError(
            str(path), None, gettext("cannot be read (%(error)s).") % {"error": exc.strerror}
        ) from None
    return read_document(data, source=str(path))


def read_document(data: str | bytes, *, source: str) -> ComponentDocument | SkippedDocument:
    """Parse one file's text. Raises ``ConfigFileError`` naming the line of the first problem."""
    if isinstance(data, bytes):
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigFileError(source, line, gettext("is not UTF-8 text.")) from None
    node, value = load(data, source)
    if value is None:
        raise ConfigFileError(source, 1, gettext("the file is empty."))
    lines = key_lines(node, source)
    if not isinstance(value, dict):
        raise ConfigFileError(source, node_line(node), gettext("expected a mapping of keys at the top of the file."))
    if "format" in value:
        return read_portal(value, lines, source)
    if looks_like_agno(value):
        return read_agno(value, lines, source)
    if source.lower().endswith(".json"):
        return SkippedDocument(
            source, gettext("not a serialized Agno agent or team (Agent.to_dict() / Team.to_dict()).")
        )
    if "workflow" in value and "agent" not in value and "team" not in value:
        return SkippedDocument(source, gettext("Automagik Hive workflows are not managed by the portal."))
    present = [k for k in KINDS if k in value]
    if len(present) != 1:
        if len(present) == 2:
            text = gettext(
                "not an agent or team configuration (both agent: and team:); expected Automagik Hive's "
                "agent:/team: block or the portal's format: %(format)s."
            )
        else:
            text = gettext(
                "not an agent or team configuration (no agent:, team: or format: key); expected Automagik Hive's "
                "agent:/team: block or the portal's format: %(format)s."
            )
        raise ConfigFileError(source, 1, text % {"format": FORMAT})
    return read_hive(value, lines, source, present[0])
