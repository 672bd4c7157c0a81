"""Bytes -> plain data plus a line map, safely.

A spec comes from anyone who can write to the bucket, so every step is bounded: the size is
checked before decoding, nesting depth by scanning tokens (iteratively) before composing, and
the expansion of YAML aliases by counting nodes while walking the composed graph. Whatever goes
wrong becomes a Problem, never a traceback.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tunepilot.spec.problems import Problem, escaped, join_path

MAX_SPEC_BYTES = 256 * 1024  # the largest spec file read, anywhere: Lambda, CLI, local cloud
MAX_DEPTH = 32  # a real spec nests about 6 deep
MAX_NODES = 20_000  # a real spec has a few hundred; an alias bomb has billions
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_COLLECTIONS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
_OPENERS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
            yaml.FlowSequenceStartToken)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


@dataclass
class Parsed:
    data: Any = None
    lines: dict[str, int] = field(default_factory=dict)  # dotted path -> 1-based line
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _Refused(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.problem = Problem("", message, line)


def parse_spec_bytes(
    data: bytes, *, filename: str | None = None, max_bytes: int = MAX_SPEC_BYTES, size: int | None = None
) -> Parsed:
    try:
        text = _decode(data, max_bytes, size)
        if filename and filename.lower().endswith(".json"):
            return _parse_json(text)
        if text.lstrip().startswith("{"):  # JSON, or YAML in flow style: JSON's errors win only if YAML fails too
            try:
                return _parse_json(text)
            except _Refused as json_refusal:
                try:
                    return _parse_yaml(text)
                except _Refused:
                    raise json_refusal from None
        return _parse_yaml(text)
    except _Refused as e:
        return Parsed(problems=[e.problem])
    except RecursionError:  # a last guard: the depth scan should have refused it first
        return Parsed(problems=[Problem("", f"the file nests too deeply (more than {MAX_DEPTH} levels)")])


# --- bytes -> text ------------------------------------------------------------------------


def _decode(data: bytes, max_bytes: int, size: int | None = None) -> str:
    if len(data) > max_bytes:  # data may be a bounded read: the file's own size, when known, is the truth
        raise _Refused(f"file is {max(size or 0, len(data)):,} bytes; a spec may be at most {max_bytes:,} bytes")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _Refused("file is UTF-32; save it as UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _nul_every_other_byte(data):
        raise _Refused("file is UTF-16; save it as UTF-8")
    if b"\x00" in data:
        raise _Refused("file contains NUL bytes: it looks binary, not a YAML or JSON spec")
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM is harmless
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _Refused(f"file is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})", line) from None
    if not text.strip():
        raise _Refused("file is empty")
    return text


def _nul_every_other_byte(data: bytes) -> bool:
    head = data[:512]
    if len(head) < 4:
        return False
    return head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4


# --- JSON ---------------------------------------------------------------------------------


def _parse_json(text: str) -> Parsed:
    _check_json_depth(text)
    problems: list[Problem] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                problems.append(Problem(key, f"duplicate key '{key}'"))
            result[key] = value
        return result

    try:  # NaN, Infinity and huge integers are read, then refused at their own field (see _checked_values)
        data = json.loads(text, object_pairs_hook=pairs, parse_int=_json_int)
    except json.JSONDecodeError as e:
        raise _Refused(f"not valid JSON: {e.msg} (column {e.colno})", e.lineno) from None
    except ValueError as e:  # a number with more digits than Python converts
        raise _Refused(f"not valid JSON: {e}") from None
    lines = _json_lines(text)
    # Duplicate-key problems only know the key; give them a line from the YAML view when it has one.
    located = [Problem(p.path, p.message, lines.get(p.path)) for p in problems]
    data, value_problems = _checked_values(_require_mapping(data), lines)
    return Parsed(data=data, lines=lines, problems=located + value_problems)


def _check_json_depth(text: str) -> None:
    """Refuse deep nesting before json.loads recurses. Not YAML's scanner: JSON allows characters YAML does not."""
    depth, in_string, escape_next = 0, False, False
    line = 1
    for ch in text:
        if in_string:
            if escape_next:
                escape_next = False
            elif ch == "\\":
                escape_next = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"the file nests more than {MAX_DEPTH} levels deep", line)
        elif ch in "]}":
            depth -= 1
        elif ch == "\n":
            line += 1


def _json_lines(text: str) -> dict[str, int]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if node is None:
        return {}
    builder = _Builder()
    try:
        builder.build(node, ())
    except _Refused:
        return {}
    return builder.lines


# --- YAML ---------------------------------------------------------------------------------


def _parse_yaml(text: str) -> Parsed:
    _check_depth(text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise _Refused(*_yaml_error(e)) from None
    if node is None:
        raise _Refused("file has no content (only comments?)")
    builder = _Builder(text)
    data = builder.build(node, ())
    data, value_problems = _checked_values(_require_mapping(data, node), builder.lines)
    return Parsed(data=data, lines=builder.lines, problems=builder.problems + value_problems)


def _check_depth(text: str) -> None:
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Refused(
                        f"the file nests more than {MAX_DEPTH} levels deep", token.start_mark.line + 1
                    )
            elif isinstance(token, _CLOSERS):
                depth -= 1
    except yaml.YAMLError as e:
        raise _Refused(*_yaml_error(e)) from None


def _yaml_error(e: yaml.YAMLError) -> tuple[str, int | None]:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None)
    context = getattr(e, "context", None)
    if problem:
        message = f"not valid YAML: {f'{context}: ' if context else ''}{problem}"
    else:
        message = f"not valid YAML: {str(e).splitlines()[0]}"
    return message, (mark.line + 1 if mark is not None else None)


def _require_mapping(data: Any, node: Node | None = None) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
    line = node.start_mark.line + 1 if node is not None else None
    raise _Refused(f"the spec must be a mapping of fields (name:, objective:, ...), but the file holds {kind}", line)


class _Builder:
    """Composed YAML nodes -> Python data, counting every node it expands and recording lines."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.count = 0
        self.lines: dict[str, int] = {}
        self.problems: list[Problem] = []
        self._constructor = SafeConstructor()
        self._active: set[int] = set()

    def build(self, node: Node, path: tuple[str | int, ...]) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused(
                f"the file expands to more than {MAX_NODES:,} values (YAML aliases repeated?)", node.start_mark.line + 1
            )
        if len(path) > MAX_DEPTH:
            raise _Refused(f"the file nests more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
        if id(node) in self._active:
            raise _Refused("a YAML alias refers to a node that contains it", node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if node.tag not in _PLAIN_COLLECTIONS:  # !!set, !!omap, !!python/...: safe_load refuses or changes them
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.problems.append(Problem(join_path(path), f"the YAML tag {tag} is not supported here: write a plain "
                                         "list or mapping", node.start_mark.line + 1))
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self._item(child, (*path, i)) for i, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self._active.discard(id(node))
        raise _Refused(f"unexpected YAML node {type(node).__name__}", node.start_mark.line + 1)

    def _item(self, node: Node, path: tuple[str | int, ...]) -> Any:
        self.lines.setdefault(join_path(path), node.start_mark.line + 1)
        return self.build(node, path)

    def _scalar(self, node: ScalarNode, path: tuple[str | int, ...]) -> Any:
        try:
            value = self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as e:
            self.problems.append(Problem(join_path(path), *_yaml_error(e)))
            return None
        except Exception as e:  # PyYAML's typed constructors raise ValueError, KeyError... on `!!float x`
            self.problems.append(Problem(join_path(path), _tag_error(node, e), node.start_mark.line + 1))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problems.append(
                Problem(join_path(path), f"{node.value} is not allowed: give a finite number", node.start_mark.line + 1)
            )
            return None
        return value

    def _mapping(self, node: MappingNode, path: tuple[str | int, ...]) -> dict[str, Any]:
        explicit: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for source in self._merge_sources(value_node, path):
                    for key, value in source.items():
                        merged.setdefault(key, value)
                continue
            if not isinstance(key_node, ScalarNode):
                line = key_node.start_mark.line + 1
                where = join_path((*path, self._source(key_node)))
                self.problems.append(Problem(where, "keys must be plain names, not lists or mappings", line))
                continue
            key = str(key_node.value)  # the text as written: a key `Off` stays "Off"
            key_path = (*path, key)
            line = key_node.start_mark.line + 1
            if key in explicit:
                first = self.lines.get(join_path(key_path))
                where = f" (first at line {first})" if first else ""
                self.problems.append(Problem(join_path(key_path), f"duplicate key '{key}'{where}", line))
                continue
            self.lines.setdefault(join_path(key_path), line)
            explicit[key] = self.build(value_node, key_path)
        return {**merged, **explicit}

    def _source(self, node: Node) -> str:
        """The text of ``node`` as written (shortened, one line), to name a key that has no name."""
        written = " ".join(self.text[node.start_mark.index : node.end_mark.index].split())
        return (written[:40] + "…" if len(written) > 40 else written) or "?"

    def _merge_sources(self, node: Node, path: tuple[str | int, ...]) -> list[dict[str, Any]]:
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        sources = []
        for child in nodes:
            value = self.build(child, path)
            if not isinstance(value, dict):
                line = child.start_mark.line + 1
                self.problems.append(Problem(join_path((*path, "<<")), "<< merges only mappings", line))
                continue
            sources.append(value)
        return sources


def _tag_error(node: ScalarNode, error: Exception) -> str:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    detail = f" ({error})" if isinstance(error, ValueError) and str(error) else ""
    return f"{tag} cannot read {escaped(str(node.value))[:80]!r}{detail}"


# --- text that cannot be encoded -----------------------------------------------------------


def _unicode(text: str) -> str | None:
    """``text`` with escaped surrogate pairs joined into their character; None if a lone surrogate is left."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return None


class _HugeInteger(str):
    """A JSON integer with more digits than any field takes (Python refuses to convert past 4,300)."""


_MAX_DIGITS = 100


def _json_int(text: str) -> int | _HugeInteger:
    return _HugeInteger(text) if len(text.lstrip("-")) > _MAX_DIGITS else int(text)


def _checked_values(data: dict[str, Any], lines: dict[str, int]) -> tuple[dict[str, Any], list[Problem]]:
    """Every key and text value as valid Unicode, every number finite; anything else is a problem at its path.

    A lone surrogate (``"\\ud800"``) cannot be encoded as UTF-8, so it would break every later print, log
    line and AWS call; JSON's NaN and Infinity are never meant. A bad value is dropped (read as missing);
    a bad key drops its entry, so the other fields still validate.
    """
    problems: list[Problem] = []
    message = "holds a lone surrogate escape ({text}), which is not Unicode text: write the character itself"

    def clean(value: Any, path: tuple[str | int, ...], raw: tuple[str | int, ...]) -> Any:
        if isinstance(value, _HugeInteger):
            problems.append(Problem(join_path(path), f"a number with {len(value.lstrip('-')):,} digits is too large",
                                    lines.get(join_path(raw))))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            constant = "NaN" if value != value else "Infinity"
            problems.append(Problem(join_path(path), f"{constant} is not allowed: give a finite number",
                                    lines.get(join_path(raw))))
            return None
        if isinstance(value, str):
            text = _unicode(value)
            if text is None:
                line = lines.get(join_path(raw))
                problems.append(Problem(join_path(path), message.format(text=escaped(value)[:80]), line))
            return text
        if isinstance(value, list):
            return [clean(item, (*path, i), (*raw, i)) for i, item in enumerate(value)]
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                name = _unicode(key) if isinstance(key, str) else key
                if name is None:
                    where = join_path((*path, escaped(key)))
                    problems.append(Problem(where, "key " + message.format(text=escaped(key)[:80]),
                                            lines.get(join_path((*raw, key)))))
                    continue
                if name != key and join_path((*raw, key)) in lines:  # a joined surrogate pair keeps its line
                    lines.setdefault(join_path((*path, name)), lines[join_path((*raw, key))])
                result[name] = clean(item, (*path, name), (*raw, key))
            return result
        return value

    return clean(data, (), ()), problems
