"""The subset of JSON Schema 2020-12 that :mod:`service.schemas` uses, as a validator.

Every problem is named in words a client can act on (a broken pattern by
:data:`dedup.fields.PATTERN_PROBLEMS`, not quoted back). Keywords: ``$ref``, ``anyOf``,
``not``, ``const``, ``enum``, ``type``, ``minLength``, ``maxLength``, ``pattern``, ``format``
(``date``, ``date-time``), ``minimum``, ``maximum``, ``minItems``, ``maxItems``, ``items``,
``required``, ``properties``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from typing import Any

from dedup.fields import PATTERN_PROBLEMS
from dedup.io import parse_published

Schema = dict[str, Any]

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":  # JSON Schema's: a number without a fraction (2.0 and 2e3 too)
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


@functools.lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` read as JSON Schema reads it (ECMA-262): a closing ``$`` is the end of the
    string, Python's ``\\Z`` (Python's ``$`` would let a final newline through)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\Z"
    return re.compile(pattern)


def _format_ok(fmt: str, value: str) -> bool:
    if fmt not in ("date", "date-time"):
        return True
    try:
        parse_published(value)
    except ValueError:
        return False
    return (fmt == "date") == ("T" not in value.upper() and " " not in value)


def validate(
    schema: Schema, value: Any, defs: Mapping[str, Schema], path: str = ""
) -> list[tuple[str, str]]:
    """``(field path, problem)`` for every way ``value`` breaks ``schema`` (empty if valid)."""
    if "$ref" in schema:
        return validate(defs[schema["$ref"].rsplit("/", 1)[1]], value, defs, path)
    if "anyOf" in schema:
        if any(not validate(s, value, defs, path) for s in schema["anyOf"]):
            return []
        return [(path, schema.get("description") or "matches none of the allowed forms")]
    if "not" in schema and not validate(schema["not"], value, defs, path):
        return [(path, "is not allowed here")]
    if "const" in schema and value != schema["const"]:
        return [(path, f"must be {schema['const']!r}")]
    if "enum" in schema and value not in schema["enum"]:
        return [(path, f"must be one of {schema['enum']}")]
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(k, value) for k in kinds):
            return [(path, f"must be {' or '.join(kinds)}, not {_json_type(value)}")]
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return [(path, f"must have at least {schema['minLength']} character(s)")]
        if len(value) > schema.get("maxLength", math.inf):
            return [(path, f"must have at most {schema['maxLength']} characters")]
        if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
            pattern = schema["pattern"]
            explain = PATTERN_PROBLEMS.get(pattern)
            return [(path, (explain and explain(value)) or f"does not match {pattern}")]
        if "format" in schema and not _format_ok(schema["format"], value):
            return [(path, f"is not an ISO 8601 {schema['format']}")]
    low, high = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
    if _is("number", value) and not low <= value <= high:
        return [(path, f"must be from {low} to {high}")]
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", math.inf):
            return [(path, "has the wrong number of items")]
        items = schema.get("items", {})
        return [e for i, v in enumerate(value) for e in validate(items, v, defs, f"{path}/{i}")]
    if isinstance(value, dict):
        errors = [
            (_join(path, name), "is required")
            for name in schema.get("required", ())
            if name not in value
        ]
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                errors += validate(sub, value[name], defs, _join(path, name))
        return errors
    return []


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _json_type(value: Any) -> str:
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(kind, value):
            return kind
    return type(value).__name__
