"""Request and response schemas: one definition for validating bodies and for the OpenAPI document.

The schemas are JSON Schema 2020-12 (the dialect of OpenAPI 3.1), built from the settings so that
the limits a client reads in ``/openapi.json`` are the limits the service enforces.
:func:`service.validator.validate` implements the keywords used here; what JSON Schema cannot say
(no lone surrogates, no word longer than ``max_token_chars``, a date that exists) is checked by
:class:`Limits` and listed in the fields' descriptions. What an id or a text may hold is the
library's rule (:mod:`dedup.fields`), published here as its patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dedup.fields import ID_PATTERN, NO_NUL_PATTERN, TEXT_PATTERN
from dedup.io import parse_published
from dedup.types import Document
from dedup.unicode_tables import _SOLO_RANGES
from service.config import ServiceSettings
from service.problems import Problem, field_error
from service.validator import Schema, validate

MAX_ID_CHARS = 512
#: The largest integer id (and the negative least): past it, JSON clients that read numbers as
#: doubles (JavaScript's) would read another id than the one sent. Longer ids are strings.
MAX_SAFE_INTEGER = 2**53 - 1
MAX_META_CHARS = 4096
RELATIONS = ["duplicate", "near_duplicate", "contains", "contained_in", "shares_passages"]
STATUSES = ["new", "duplicate", "near_duplicate"]
STORED = ["added", "updated", "unchanged"]

# Scripts written without spaces are one token per character, so they never make a long token.
_SOLO_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _SOLO_RANGES)
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    rules = (
        "No NUL characters, no lone surrogates (JSON escapes of half a pair), no run of "
        f"more than {settings.max_token_chars} letters and digits (words of scripts "
        "written without spaces are one character each)."
    )
    # Stripping an empty or blank text is harmless (it answers it back with nothing removed,
    # and stores nothing), and a client strips pages as scraped: only a document needs words.
    text = {
        "type": "string",
        "maxLength": settings.max_text_chars,
        "pattern": NO_NUL_PATTERN,
        "description": f"The text to strip; removed spans are offsets into it. {rules}",
    }
    document_text = {
        **text,
        "pattern": TEXT_PATTERN,
        "description": (
            "The article text, kept exactly as given (every span is an offset into it). Not "
            "empty or only white space (a client that posts one lost its text on the way). A "
            "text with no word (punctuation or emoji only) is taken, as the bulk job takes it: "
            f"it has no shingle and matches nothing, an exact copy included. {rules}"
        ),
    }
    meta = {"type": "string", "maxLength": MAX_META_CHARS, "pattern": NO_NUL_PATTERN}
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
                    "pattern": ID_PATTERN,
                    "description": (
                        f"Unique id: a string of at most {MAX_ID_CHARS} characters, not only white "
                        "space and without control characters (U+0000-U+001F, U+007F-U+009F), or "
                        "an integer of at most 2^53 - 1 (one every JSON client reads exactly), "
                        "stored as its decimal string."
                    ),
                },
                "text": document_text,
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
                "relation": {
                    "enum": RELATIONS,
                    "description": "near_duplicate: a copy (Jaccard, or containment both ways, "
                    "at the threshold); contained_in: the query is an excerpt of the match "
                    "(containment one way only); contains: the match is an excerpt of the query.",
                },
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
                "status": {
                    "enum": STATUSES,
                    "description": "duplicate: a stored document has the same normalised "
                    "text; near_duplicate: one is a copy (near_duplicate) of it or contains it "
                    "(contained_in); else new, also when the query only contains stored "
                    "documents or shares passages with them (those matches are listed).",
                },
                "duplicate_of": {
                    "type": ["string", "null"],
                    "description": "The best match that made the status duplicate or "
                    "near_duplicate; null when new.",
                },
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
            "description": (
                "One line of a bulk answer: a result or an error, per input line. An error "
                "line has the line's id when it gives one and the problem is not with it."
            ),
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
