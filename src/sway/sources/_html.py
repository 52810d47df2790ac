"""Readable text out of the HTML fragments some sources store (post bodies, comments)."""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["html_text"]

_HTML_TAG_RE = re.compile(r"<[^>]*>")
_HTML_PARSER = etree.HTMLParser(
    recover=True, no_network=True, remove_comments=True, remove_pis=True
)


def html_text(markup: str | None) -> str | None:
    """The readable text of an HTML fragment, whitespace collapsed (``None`` if empty)."""
    if not markup or not markup.strip():
        return None
    try:
        root = etree.fromstring(markup, _HTML_PARSER)
        text = "".join(root.itertext()) if root is not None else ""
    except (etree.LxmlError, ValueError, TypeError):
        # Text lxml refuses (control characters, an encoding declaration): drop tags by hand.
        text = _HTML_TAG_RE.sub(" ", markup)
    return " ".join(text.split()) or None
