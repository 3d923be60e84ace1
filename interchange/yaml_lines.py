"""Loading YAML with the line of every key, and with limits on what a hostile file can make the loader do
(alias bombs, alias cycles, deep nesting). No database access; knows nothing about components."""

from __future__ import annotations

import yaml
from django.utils.translation import gettext

from interchange.documents import ConfigFileError

# A component file needs few YAML aliases (``<<: *defaults``); more, or an alias inside its own anchor, is
# how an "alias bomb" makes a 2 KB file expand to gigabytes in anything that walks the tree.
MAX_ALIASES = 20
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64  # nesting of mappings and lists; a real config has fewer than 10


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing alias cycles, more than ``MAX_ALIASES`` aliases per file and nesting
    deeper than ``MAX_DEPTH`` (PyYAML composes recursively: deeper would be a ``RecursionError``)."""

    def __init__(self, stream, source: str):
        super().__init__(stream)
        self.source = source
        self.alias_count = 0
        self.depth = 0
        self.open_anchors: set[str] = set()

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ConfigFileError(
                    self.source,
                    self.peek_event().start_mark.line + 1,
                    gettext("nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH},
                )
            return self._compose_bounded(parent, index)
        finally:
            self.depth -= 1

    def _compose_bounded(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1
            if event.anchor in self.open_anchors:
                raise ConfigFileError(
                    self.source,
                    line,
                    gettext("the alias *%(anchor)s refers to its own anchor (an alias cycle).")
                    % {"anchor": event.anchor},
                )
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise ConfigFileError(
                    self.source,
                    line,
                    gettext("too many YAML aliases (more than %(max)d); write the values out.") % {"max": MAX_ALIASES},
                )
            return super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor is None:
            return super().compose_node(parent, index)
        self.open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.open_anchors.discard(anchor)


def _expanded_size(node, memo: dict[int, int]) -> int:
    """How many nodes ``node`` stands for once every alias is written out (the tree is acyclic here)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    size = 1
    for child in children:
        size += _expanded_size(child, memo)
        if size > MAX_EXPANDED_NODES:
            break
    memo[id(node)] = size
    return size


def load(text: str, source: str):
    """``(node, value)`` of one YAML document: the composed node tree (for lines) and its Python value."""
    loader = _BoundedLoader(text, source)
    try:
        node = loader.get_single_node()
        if node is not None and loader.alias_count and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise ConfigFileError(
                source,
                node_line(node),
                gettext("the YAML aliases expand to more than %(max)s values.") % {"max": f"{MAX_EXPANDED_NODES:,}"},
            )
        value = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        context = exc.context or ""
        if context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            context += gettext(" (line %(line)d)") % {"line": exc.context_mark.line + 1}
        message = ": ".join(p for p in (context, exc.problem) if p) or gettext("invalid YAML")
        raise ConfigFileError(
            source, mark.line + 1 if mark else None, gettext("YAML syntax error: %(error)s.") % {"error": message}
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(source, None, gettext("YAML error: %(error)s") % {"error": exc}) from None
    finally:
        loader.dispose()
    return node, value


def node_line(node) -> int:
    return node.start_mark.line + 1


def key_lines(node, source: str, prefix: tuple = ()) -> dict[tuple, int]:
    """Line of every mapping key, by its path of keys (sequence items by index); refuses duplicate keys,
    which PyYAML would otherwise silently resolve to the last one."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            path = (*prefix, key_node.value)
            if path in lines:
                raise ConfigFileError(
                    source,
                    node_line(key_node),
                    gettext("“%(key)s” is set twice (first at line %(line)s).")
                    % {"key": key_node.value, "line": lines[path]},
                )
            lines[path] = node_line(key_node)
            lines.update(key_lines(value_node, source, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*prefix, index)] = node_line(item)
            lines.update(key_lines(item, source, (*prefix, index)))
    return lines
