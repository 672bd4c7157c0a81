"""Validate a spec file: every problem at once, each with a field path and, when known, its line."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from tunepilot.metrics.regexes import VALIDATION_BUDGET_S, time_budget
from tunepilot.spec import service_limits
from tunepilot.spec.allowlist import AllowList
from tunepilot.spec.models import TuningSpec
from tunepilot.spec.parse import MAX_SPEC_BYTES, parse_spec_bytes
from tunepilot.spec.problems import Problem, join_path, line_for
from tunepilot.spec.rules import Context, run_rules

__all__ = ["Problem", "ValidationResult", "validate_bytes", "validate_data"]

# Names pydantic puts in an error location for the member of a union that failed.
_UNION_MEMBERS = {"int", "float", "str", "bool", "none", "list", "dict"}


@dataclass
class ValidationResult:
    valid: bool
    spec: TuningSpec | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Field path -> line in the file, for problems found after validation (an endpoint lookup).
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    def add_error(self, path: str, message: str) -> None:
        """A problem found after validation (an endpoint lookup), at its field's line."""
        self.errors.append(Problem(path, message, line_for(path, self.lines)))
        self.valid, self.spec = False, None

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "errors": [p.to_json() for p in self.errors],
            "warnings": [p.to_json() for p in self.warnings],
        }


def validate_bytes(
    data: bytes,
    *,
    filename: str | None = None,
    allowed_roles: Sequence[str] = (),
    max_bytes: int = MAX_SPEC_BYTES,
    allow: AllowList | None = None,
    size: int | None = None,
) -> ValidationResult:
    """Parse (YAML or JSON) and validate. Never raises for bad input: problems are in the result.
    ``size`` is the whole file's size when ``data`` is a bounded read of it."""
    parsed = parse_spec_bytes(data, filename=filename, max_bytes=max_bytes, size=size)
    if parsed.data is None:
        return ValidationResult(False, None, errors=parsed.problems)
    result = validate_data(parsed.data, allowed_roles=allowed_roles, lines=parsed.lines, allow=allow)
    # A value the parser already refused (NaN, a duplicate) would otherwise be reported twice.
    refused = {p.path for p in parsed.problems}
    errors = parsed.problems + [p for p in result.errors if p.path not in refused]
    return ValidationResult(not errors, result.spec if not errors else None, errors, result.warnings, parsed.lines)


def validate_data(
    data: dict[str, Any],
    *,
    allowed_roles: Sequence[str] = (),
    lines: dict[str, int] | None = None,
    allow: AllowList | None = None,
) -> ValidationResult:
    """Validate already-parsed spec data (a mapping)."""
    lines = lines or {}
    spec: TuningSpec | None = None
    try:
        spec = TuningSpec.model_validate(data)
        sections = {name: getattr(spec, name) for name in TuningSpec.model_fields}
        shape_errors: list[Problem] = []
    except ValidationError as e:
        shape_errors = _pydantic_problems(e, data)
        sections = _valid_sections(data, {p.path.split(".")[0].split("[")[0] for p in shape_errors})

    with time_budget(VALIDATION_BUDGET_S):  # the metric regexes' examples and probes, all together
        findings = run_rules(sections, Context(allowed_roles=tuple(allowed_roles), allow=allow or AllowList()))
    errors = shape_errors + [Problem(f.path, f.message) for f in findings if f.level == "error"]
    errors += _service_model_problems(sections, {p.path for p in errors})
    warnings = [Problem(f.path, f.message) for f in findings if f.level == "warning"]
    warnings += [Problem(path, message) for path, message in service_limits.wait_warnings(sections)]
    errors = [Problem(p.path, p.message, line_for(p.path, lines)) for p in _unique(errors)]
    warnings = [Problem(p.path, p.message, line_for(p.path, lines)) for p in _unique(warnings)]
    return ValidationResult(not errors, spec if not errors else None, errors, warnings, lines)


def _service_model_problems(sections: dict[str, Any], reported: set[str]) -> list[Problem]:
    """What SageMaker itself would refuse, for fields no TunePilot rule has already explained."""
    return [Problem(path, message) for path, message in service_limits.findings(sections) if path not in reported]


def _valid_sections(data: dict[str, Any], broken: set[str]) -> dict[str, Any]:
    """Top-level sections that validate on their own, so the rules can still check them."""
    sections: dict[str, Any] = {}
    for name, info in TuningSpec.model_fields.items():
        if name in broken:
            continue
        if name not in data:
            if info.is_required():
                continue
            sections[name] = info.get_default(call_default_factory=True)
            continue
        try:
            sections[name] = _adapter(name).validate_python(data[name])
        except ValidationError:
            continue
    return sections


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    info = TuningSpec.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[info.annotation, *info.metadata])


def _pydantic_problems(error: ValidationError, data: Any) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = _real_location(item["loc"], data, item["type"])
        path = join_path(loc)
        problems.append(Problem(path, _message(item, loc, data)))
    return _merge_union_messages(problems)


def _real_location(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[Any, ...]:
    """Drop the union-member names pydantic adds (``min.int``), keep the keys that are in the data."""
    kept: list[Any] = []
    current = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif isinstance(part, str) and (part in _UNION_MEMBERS or "[" in part or part[:1].isupper()):
            continue
        elif not (last and kind in ("missing", "extra_forbidden")):
            current = None
        kept.append(part)
    return tuple(kept)


def _message(item: Any, loc: tuple[Any, ...], data: Any) -> str:
    kind = item["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field_message(loc)
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind == "string_pattern_mismatch" and loc == ("name",):
        return "use letters, digits and hyphens only (at most 32), starting and ending with a letter or digit"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping of fields, got {_yaml_kind(item.get('input'))}"
    if kind == "list_type":
        return f"must be a list, got {_yaml_kind(item.get('input'))}"
    if kind == "finite_number":
        return "NaN and infinity are not allowed: give a finite number"
    return message


def _yaml_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else f"the value {value!r}"


def _unknown_field_message(loc: tuple[Any, ...]) -> str:
    name = str(loc[-1]) if loc else ""
    known = _known_fields(loc[:-1])
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else (f"; known fields: {', '.join(known)}" if known else "")
    return f"unknown field '{name}'{hint}"


def _known_fields(parent: tuple[Any, ...]) -> list[str]:
    """Field names of the model at ``parent`` (best effort, for typo hints)."""
    model: Any = TuningSpec
    for part in parent:
        fields = getattr(model, "model_fields", None)
        if not fields:
            return []
        if part not in fields:
            # A dict of models (ranges.eta, channels.train): step into the value type.
            continue
        model = _model_in(fields[part].annotation)
    fields = getattr(model, "model_fields", None)
    return list(fields) if fields else []


def _model_in(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return annotation if hasattr(annotation, "model_fields") else None


def _merge_union_messages(problems: list[Problem]) -> list[Problem]:
    """One problem per path: a value failing every member of a union reads as one message."""
    by_path: dict[str, list[str]] = {}
    for p in problems:
        by_path.setdefault(p.path, [])
        if p.message not in by_path[p.path]:
            by_path[p.path].append(p.message)
    merged = []
    for path, messages in by_path.items():
        if len(messages) > 1 and all(m.startswith("Input should be") for m in messages):
            wanted = " or ".join(m.removeprefix("Input should be ").removeprefix("a valid ") for m in messages)
            merged.append(Problem(path, f"Input should be {wanted}"))
        else:
            merged.extend(Problem(path, m) for m in messages)
    return merged


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    result = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            result.append(p)
    return result
