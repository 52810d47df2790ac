"""Readable text out of the HTML fragments some sources store (post bodies, comments)."""

from __future__ import annotations

import re
from typing import Any

import lxml.html
from lxml import etree

__all__ = ["html_text"]

_HTML_TAG_RE = re.compile(r"<[^>]*>")


def html_text(markup: Any, *, keep_breaks: bool = False) -> str | None:
    """The readable text of an HTML fragment (``None`` if empty or not a string).

    By default all whitespace is collapsed to single spaces (Stack Exchange and WordPress
    bodies, where layout carries no meaning). With ``keep_breaks`` paragraphs become blank lines
    and ``<br>`` a line break (Mastodon posts, where a line break is part of what was written).
    """
    if not isinstance(markup, str) or not markup.strip():
        return None
    text = _parse(markup, keep_breaks) if "<" in markup or "&" in markup else markup
    if keep_breaks:
        return text.strip() or None
    return " ".join(text.split()) or None


def _parse(markup: str, keep_breaks: bool) -> str:
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.LxmlError, ValueError, TypeError):
        # Text lxml refuses (control characters, an encoding declaration): drop tags by hand.
        return _HTML_TAG_RE.sub(" ", markup)
    if keep_breaks:
        for br in root.iter("br"):
            br.tail = "\n" + (br.tail or "")
        for p in root.iter("p"):
            p.tail = "\n\n" + (p.tail or "")
    return str(root.text_content())
