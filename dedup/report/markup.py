"""HTML and SVG built as a tree of elements, so that no text can ever become markup.

Article text is untrusted: a page may hold ``<script>`` or ``onerror=`` as words. The report
therefore never concatenates text into markup. Everything goes through :func:`el`, which
escapes every text child and every attribute value (``html.escape`` with quotes) and accepts
unescaped content only as :class:`Markup`, a ``str`` subclass that only this module produces.
Tag and attribute names are checked against a strict pattern: they come from our code, and a
name that is not a plain identifier is a bug, not data.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*(?::[a-zA-Z][a-zA-Z0-9-]*)?\Z")
# Elements that have no end tag in HTML (SVG elements are closed with " />" instead).
_VOID = frozenset({"meta", "link", "br", "hr", "img", "input", "col", "wbr"})
_SVG_EMPTY = frozenset({"rect", "line", "path", "circle", "polyline", "polygon"})


class Markup(str):
    """A string that is already safe HTML.

    Made by this module's functions, or by wrapping a constant written in our code (the page's
    style sheet); never by wrapping data.
    """

    __slots__ = ()


Child = str | Markup | None
AttrValue = str | int | float | bool | None


def escape(text: str) -> Markup:
    """``text`` as HTML text: ``& < > " '`` escaped."""
    return Markup(html.escape(text, quote=True))


def render(child: Child) -> Markup:
    """One child as markup: :class:`Markup` as is, any other string escaped, None as nothing."""
    if child is None:
        return Markup("")
    if isinstance(child, Markup):
        return child
    if not isinstance(child, str):
        raise TypeError(f"a child must be a string or Markup, got {type(child).__name__}")
    return escape(child)


def join(children: Iterable[Child]) -> Markup:
    """Children rendered one after the other."""
    return Markup("".join(render(child) for child in children))


def el(tag: str, attrs: Mapping[str, AttrValue] | None = None, *children: Child) -> Markup:
    """The element ``<tag attrs>children</tag>``, every text and attribute value escaped.

    Attribute values: ``True`` writes the bare name, ``None``/``False`` leaves it out, numbers
    are written with ``str``. Void HTML elements (``meta``, ``br``, ...) take no children; the
    empty SVG shapes (``rect``, ``line``, ``path``, ...) are self-closed when childless.
    """
    if not _NAME.match(tag):
        raise ValueError(f"not an element name: {tag!r}")
    parts = [f"<{tag}"]
    for name, value in (attrs or {}).items():
        if not _NAME.match(name):
            raise ValueError(f"not an attribute name: {name!r}")
        if value is None or value is False:
            continue
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{html.escape(_attr_text(value), quote=True)}"')
    if tag in _VOID:
        if any(child is not None for child in children):
            raise ValueError(f"<{tag}> cannot have children")
        return Markup("".join(parts) + ">")
    if tag in _SVG_EMPTY and all(child is None for child in children):
        return Markup("".join(parts) + " />")
    return Markup("".join(parts) + ">" + join(children) + f"</{tag}>")


def _attr_text(value: str | int | float) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
