"""Posts shown by their text and a link, not by bare ids (profile top posts, topic evidence)."""

from __future__ import annotations

from sway.web.posts import post_url, preview


def test_links_from_the_ids_the_importers_write() -> None:
    assert post_url("stackexchange", "conlang-meta:post:183") == (
        "https://conlang.meta.stackexchange.com/q/183"
    )
    assert post_url("stackexchange", "conlang-meta:post:184", "reply") == (
        "https://conlang.meta.stackexchange.com/a/184"
    )
    assert post_url("stackexchange", "stackoverflow:post:1") == "https://stackoverflow.com/q/1"
    assert post_url("stackexchange", "es-stackoverflow:post:2") == (
        "https://es.stackoverflow.com/q/2"
    )
    assert post_url("stackexchange", "french:comment:9") == (
        "https://french.stackexchange.com/posts/comments/9"
    )
    assert post_url("bluesky", "at://did:plc:abc123/app.bsky.feed.post/3kxyz") == (
        "https://bsky.app/profile/did:plc:abc123/post/3kxyz"
    )
    assert post_url("twitter", "1234567890") == "https://x.com/i/status/1234567890"
    toot = "https://mastodon.social/users/a/statuses/1"
    assert post_url("mastodon", toot) == toot
    assert post_url("reddit", "t3_abc") is None


def test_previews_are_the_first_line_cut_at_a_word() -> None:
    assert preview("How do I decline nouns?\n\nBody text here") == "How do I decline nouns?"
    long = "word " * 60
    cut = preview(long)
    assert cut is not None and cut.endswith("…") and len(cut) <= 141
    assert preview("<p>Hello <b>there</b></p>") == "Hello there"
    assert preview(None) is None and preview("   ") is None
