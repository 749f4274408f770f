"""YAML text to the neutral node tree: the only module of zsync that imports `yaml`.

The text is composed (`yaml.compose` with the safe loader), not loaded, so that every value keeps
its line; a scalar is typed by PyYAML's safe constructor only when the walker asks for its value,
and a value that cannot be typed (`!!int abc`, an unknown tag) is reported where it is used.
"""

from __future__ import annotations

from collections.abc import Sequence

from zsync.lazyre import compiling_lazily
from zsync.loader.nodes import DocumentError, Kind, Node, Unreadable

# PyYAML's patterns are compiled when first used: the C loader never uses the costliest.
with compiling_lazily():
    import yaml
    from yaml.reader import ReaderError

# libyaml's composer (when PyYAML has it) is ~20x faster on a long config; same nodes, same marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str) -> Node | None:
    """The root node of `text`, None for a document without content; raises `DocumentError`."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise DocumentError(mark.line + 1 if mark else None, f"YAML syntax error: {detail}") from None
    except ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        message = f"YAML syntax error: unacceptable character #x{exc.character:04x}"
        raise DocumentError(line, message) from None
    except yaml.YAMLError as exc:
        raise DocumentError(None, f"YAML syntax error: {exc}") from None
    except RecursionError:
        raise DocumentError(None, "YAML syntax error: the document is nested too deeply") from None
    if root is None:
        return None
    _check_expansion(root)
    return _YamlNode(root)


# Aliases repeat a node without repeating its text: `&a` on a 10 kB string and 3,000 `*a` make 30 MB
# of values from a few kB, and nested aliases make billions. What the aliases expand to is bounded,
# counted as characters of scalars plus one per node, before anything is typed or walked.
MAX_EXPANDED_SIZE = 10 * 10**6


def _check_expansion(root: yaml.Node) -> None:
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            if known < 0:
                raise DocumentError(node.start_mark.line + 1, "an alias refers to a node that contains it")
            return known
        sizes[id(node)] = -1
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(key) + size(value) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in node.value)
        else:
            total = 1 + len(node.value)
        sizes[id(node)] = min(total, MAX_EXPANDED_SIZE + 1)
        return sizes[id(node)]

    try:
        expanded = size(root)
    except RecursionError:
        raise DocumentError(None, "YAML syntax error: the document is nested too deeply") from None
    if expanded > MAX_EXPANDED_SIZE:
        raise DocumentError(
            None,
            f"its aliases (*name) expand it to over {MAX_EXPANDED_SIZE // 10**6} MB of values; "
            "zsync reads configs up to that size (write the values out, or use fewer aliases)",
        )


class _YamlNode(Node):
    """A view of one composed node; children are wrapped when asked for (aliases make a graph)."""

    __slots__ = ("_node", "kind", "line")

    def __init__(self, node: yaml.Node) -> None:
        self._node = node
        kind: Kind = "scalar"
        if isinstance(node, yaml.MappingNode):
            kind = "mapping"
        elif isinstance(node, yaml.SequenceNode):
            kind = "sequence"
        self.kind = kind
        self.line = node.start_mark.line + 1

    def value(self) -> object:
        # A fresh constructor each time, as `yaml.safe_load` would use: it keeps no state between nodes.
        try:
            return yaml.constructor.SafeConstructor().construct_object(self._node, deep=True)
        except yaml.MarkedYAMLError as exc:
            raise Unreadable(f"{exc.problem}") from None
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            raise Unreadable(f"{exc}") from None

    def text(self) -> str:
        return str(self._node.value)

    def pairs(self) -> Sequence[tuple[Node, Node]]:
        return [(_YamlNode(key), _YamlNode(value)) for key, value in self._node.value]

    def items(self) -> Sequence[Node]:
        return [_YamlNode(item) for item in self._node.value]


def document_value(text: str) -> object:
    """The whole document as Python data (as `yaml.safe_load`); raises `DocumentError`."""
    root = compose(text)
    return None if root is None else root.value()


def dump(data: object) -> str:
    """`data` as block-style YAML, keys in their order, Unicode as it is (for `zsync migrate`)."""
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))
