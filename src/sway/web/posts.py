"""What a post id stands for on a page: the start of its text (or its title) and a link to it
where the id says where it lives.

Links are made from the ids alone, as the importers write them:

- Stack Exchange ``SITE:post:ID``: ``https://HOST/q/ID`` for a question, ``/a/ID`` for an
  answer (the event's action says which), ``SITE:comment:ID``: ``/posts/comments/ID``; HOST
  from the site key (``conlang-meta`` → ``conlang.meta.stackexchange.com``;
  ``stackoverflow`` → ``stackoverflow.com``);
- Bluesky ``at://DID/app.bsky.feed.post/RKEY``: ``https://bsky.app/profile/DID/post/RKEY``;
- Twitter/X numeric ids: ``https://x.com/i/status/ID``;
- ids that are web addresses already (Mastodon, WordPress, YouTube links): themselves.

Anything else has no link (the text alone is shown).
"""

from __future__ import annotations

import re

__all__ = ["post_url", "preview"]

#: Sites whose own domain is not under stackexchange.com.
_SE_DOMAINS = {
    "stackoverflow": "stackoverflow.com",
    "superuser": "superuser.com",
    "serverfault": "serverfault.com",
    "askubuntu": "askubuntu.com",
    "stackapps": "stackapps.com",
    "mathoverflow": "mathoverflow.net",
}
_SE_ID = re.compile(r"^([a-z0-9-]+):([a-z]+):(\d+)$")
_BSKY = re.compile(r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/([A-Za-z0-9]+)$")
_LANG_SITE = re.compile(r"^([a-z]{2})-(stackoverflow)$")


def _se_host(site: str) -> str:
    meta = site.endswith("-meta")
    base = site.removesuffix("-meta")
    if found := _LANG_SITE.match(base):
        host = f"{found.group(1)}.{found.group(2)}.com"
    else:
        host = _SE_DOMAINS.get(base, f"{base}.stackexchange.com")
    if meta:
        return f"meta.{host}" if base in _SE_DOMAINS else f"{base}.meta.stackexchange.com"
    return host


def post_url(network: str, post_id: str, action: str | None = None) -> str | None:
    """A link to the post (``action``: the event that created it, ``post`` or ``reply``), or
    ``None`` when its id does not say where it lives."""
    if post_id.startswith(("https://", "http://")):
        return post_id
    if network == "stackexchange" and (found := _SE_ID.match(post_id)):
        site, kind, number = found.groups()
        if kind == "comment":
            return f"https://{_se_host(site)}/posts/comments/{number}"
        if kind == "post":
            return f"https://{_se_host(site)}/{'a' if action == 'reply' else 'q'}/{number}"
        return None
    if network == "bluesky" and (found := _BSKY.match(post_id)):
        return f"https://bsky.app/profile/{found.group(1)}/post/{found.group(2)}"
    if network == "twitter" and post_id.isdigit():
        return f"https://x.com/i/status/{post_id}"
    return None


def preview(text: str | None, limit: int = 140) -> str | None:
    """The first line of ``text`` (a Stack Exchange question's title), cut to ``limit``
    characters at a word boundary, markup-free whitespace."""
    if not text:
        return None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", first)).strip()
    if len(first) <= limit:
        return first or None
    cut = first[:limit].rsplit(" ", 1)[0]
    return f"{cut}…"
