"""Request and response schemas: one definition for validating bodies and for the OpenAPI document.

The schemas are JSON Schema 2020-12 (the dialect of OpenAPI 3.1), built from the settings so that
the limits a client reads in ``/openapi.json`` are the limits the service enforces.
:func:`validate` implements the small subset of keywords used here; what JSON Schema cannot say
(no NUL characters, no lone surrogates, no word longer than ``max_token_chars``, a date that
exists) is checked by :class:`Limits` and listed in the fields' descriptions.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dedup.io import parse_published
from dedup.types import Document
from dedup.unicode_tables import _SOLO_RANGES
from service.config import ServiceSettings
from service.problems import Problem, field_error

Schema = dict[str, Any]

MAX_ID_CHARS = 512
#: The largest integer id (and the negative least): past it, JSON clients that read numbers as
#: doubles (JavaScript's) would read another id than the one sent. Longer ids are strings.
MAX_SAFE_INTEGER = 2**53 - 1
RESERVED_ID = "bulk"
MAX_META_CHARS = 4096
RELATIONS = ["duplicate", "near_duplicate", "contains", "contained_in", "shares_passages"]
STATUSES = ["new", "duplicate", "near_duplicate"]
STORED = ["added", "updated", "unchanged"]

# Scripts written without spaces are one token per character, so they never make a long token.
_SOLO_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _SOLO_RANGES)
_SURROGATE = re.compile("[\ud800-\udfff]")
NO_NUL = "^[^\\u0000]*$"  # an ECMA-262 and Python pattern alike
_PATTERN_MESSAGES = {NO_NUL: "contains a NUL character"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


_DATE = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ],
    "description": "ISO 8601 date or date-time; without an offset it is taken as UTC.",
}
_SPAN: Schema = {
    "type": "array",
    "items": {"type": "integer", "minimum": 0},
    "minItems": 2,
    "maxItems": 2,
    "description": "[start, end): character offsets (code points), end exclusive.",
}


def components(settings: ServiceSettings) -> dict[str, Schema]:
    """Every named schema, with the limits of ``settings``."""
    text = {
        "type": "string",
        "maxLength": settings.max_text_chars,
        "pattern": NO_NUL,
        "description": (
            "The article text, kept exactly as given (every span is an offset into it). "
            "No NUL characters, no lone surrogates (JSON escapes of half a pair), no run of "
            f"more than {settings.max_token_chars} letters and digits (words of scripts "
            "written without spaces are one character each)."
        ),
    }
    meta = {"type": "string", "maxLength": MAX_META_CHARS, "pattern": NO_NUL}
    return {
        "DocumentIn": {
            "type": "object",
            "required": ["id", "text"],
            "properties": {
                "id": {
                    "type": ["string", "integer"],
                    "minLength": 1,
                    "maxLength": MAX_ID_CHARS,
                    "minimum": -MAX_SAFE_INTEGER,
                    "maximum": MAX_SAFE_INTEGER,
                    "pattern": NO_NUL,
                    "not": {"const": RESERVED_ID},
                    "description": (
                        f"Unique id: a string of at most {MAX_ID_CHARS} characters, or an integer "
                        "of at most 2^53 - 1 (one every JSON client reads exactly), stored as its "
                        "decimal string. "
                        f"{RESERVED_ID!r} is reserved: /v1/documents/{RESERVED_ID} is the bulk "
                        "endpoint."
                    ),
                },
                "text": text,
                "source": {**_nullable(meta), "description": "Outlet (site, feed) name."},
                "published": {"anyOf": [*_DATE["anyOf"], {"type": "null"}]},
                "title": _nullable(meta),
            },
            "description": "An article. Other fields are ignored.",
        },
        "StripIn": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": text, "source": _nullable(meta)},
        },
        "Span": _SPAN,
        "Passage": {
            "type": "object",
            "required": ["a", "b"],
            "properties": {
                "a": {**_SPAN, "description": "Span in the posted text."},
                "b": {**_SPAN, "description": "Span in the stored text."},
                "score": {"type": "number"},
            },
        },
        "MatchReport": {
            "type": "object",
            "required": ["id", "relation", "jaccard", "containment", "passages"],
            "properties": {
                "id": {"type": "string"},
                "relation": {"enum": RELATIONS},
                "jaccard": {"type": "number", "minimum": 0, "maximum": 1},
                "containment": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "Share of the query found in the match.",
                },
                "containment_reverse": {"type": "number", "minimum": 0, "maximum": 1},
                "passages": {"type": "array", "items": ref("Passage")},
            },
        },
        "Verdict": {
            "type": "object",
            "required": ["id", "status", "duplicate_of", "matches", "boilerplate"],
            "properties": {
                "id": {"type": "string"},
                "status": {"enum": STATUSES},
                "duplicate_of": {"type": ["string", "null"]},
                "matches": {"type": "array", "items": ref("MatchReport")},
                "boilerplate": {"type": "array", "items": ref("Span")},
                "stored": {"enum": [*STORED, None], "description": "null for /v1/check."},
                "truncated": {"type": "boolean"},
            },
        },
        "DocumentView": {
            "type": "object",
            "required": ["id", "cluster", "members", "matches"],
            "properties": {
                "id": {"type": "string"},
                "source": {"type": ["string", "null"]},
                "published": {"type": ["string", "null"]},
                "title": {"type": ["string", "null"]},
                "length": {"type": "integer", "minimum": 0},
                "cluster": {"type": "string", "description": "Id of the cluster's canonical."},
                "canonical": {"type": "boolean", "description": "Whether this is it."},
                "members": {"type": "array", "items": {"type": "string"}},
                "matches": {"type": "array", "items": ref("MatchReport")},
            },
        },
        "Stripped": {
            "type": "object",
            "required": ["text", "removed"],
            "properties": {
                "text": {"type": "string"},
                "removed": {"type": "array", "items": ref("Span")},
            },
        },
        "BulkLine": {
            "type": "object",
            "required": ["line"],
            "properties": {
                "line": {"type": "integer", "minimum": 1},
                "id": {"type": "string"},
                "status": {"type": "integer"},
                "result": ref("Verdict"),
                "error": ref("Problem"),
            },
            "description": "One line of a bulk answer: a result or an error, per input line.",
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"type": "string"},
                "documents": {"type": "integer", "minimum": 0},
            },
        },
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "errors": {"type": "array", "items": ref("FieldError")},
            },
            "description": "RFC 9457 problem details.",
        },
        "FieldError": {
            "type": "object",
            "required": ["field", "detail"],
            "properties": {
                "field": {"type": "string"},
                "pointer": {"type": "string"},
                "in": {"type": "string"},
                "detail": {"type": "string"},
            },
        },
    }


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
            return [(path, _PATTERN_MESSAGES.get(pattern, f"does not match {pattern}"))]
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


@dataclass(frozen=True)
class Limits:
    """The checks of request bodies that go beyond the schema, for one app's settings."""

    settings: ServiceSettings
    defs: dict[str, Schema] = field(init=False)
    _long_run: re.Pattern[str] = field(init=False)
    _long_token: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        n = self.settings.max_token_chars + 1
        object.__setattr__(self, "defs", components(self.settings))
        # A run without white space is the cheap pre-filter; only such runs are searched for a
        # word (letters and digits of a spaced script) that is itself too long.
        object.__setattr__(self, "_long_run", re.compile(rf"\S{{{n},}}"))
        object.__setattr__(
            self, "_long_token", re.compile(rf"(?:(?![{_SOLO_CLASS}])[^\W_]){{{n}}}")
        )

    def check(self, name: str, body: Any) -> list[dict[str, str]]:
        """The field errors of ``body`` against the component ``name`` and the extra rules."""
        errors = validate(self.defs[name], body, self.defs)
        if isinstance(body, dict):
            seen = {f for f, _ in errors}
            for key in self.defs[name]["properties"]:
                value = body.get(key)
                if isinstance(value, str) and key not in seen:
                    errors += [(key, d) for d in self._string_problems(key, value)]
        return [field_error(f, d) for f, d in errors]

    def _string_problems(self, key: str, value: str) -> list[str]:
        found = []
        if (bad := _SURROGATE.search(value)) is not None:
            found.append(f"contains a lone surrogate (U+{ord(bad.group()):04X})")
        if key == "text":
            for run in self._long_run.finditer(value):
                if self._long_token.search(run.group()):
                    found.append(
                        f"contains a word longer than {self.settings.max_token_chars} characters "
                        f"(at offset {run.start()})"
                    )
                    break
        return found

    def document(self, body: Any) -> Document:
        """The :class:`Document` of a ``DocumentIn`` body, or a 422 naming every bad field."""
        errors = self.check("DocumentIn", body)
        if errors:
            raise invalid(errors)
        doc_id = body["id"]
        published = body.get("published")
        return Document(
            id=doc_id if isinstance(doc_id, str) else str(int(doc_id)),  # 2.0 is the id "2"
            text=body["text"],
            source=body.get("source"),
            published=parse_published(published) if published is not None else None,
            title=body.get("title"),
        )

    def strip_request(self, body: Any) -> tuple[str, str | None]:
        """``(text, source)`` of a ``StripIn`` body, or a 422."""
        errors = self.check("StripIn", body)
        if errors:
            raise invalid(errors)
        return body["text"], body.get("source")


def invalid(errors: list[dict[str, str]]) -> Problem:
    """The 422 for a body that is JSON but not what the operation takes."""
    names = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return Problem(422, f"invalid field(s): {names}", kind="validation", errors=errors)
