"""One valid and one invalid request for every operation of the OpenAPI document.

``test_scopes`` and ``test_errors`` walk this table; a test fails when an operation of the
document has no entry here, so a new route cannot go untested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sway.store.queries import klout_id

KID = klout_id("breaking")
ACCOUNT = "/v1/accounts/twitter/375721095"
PERSON = "/v1/people/breaking"
OWN = "/v1/privacy/people/breaking"
#: An account no other test reads: the one erased by the table's DELETE call.
ERASED = "/v1/privacy/people/twitter:30701862"
EVENT = {
    "network": "twitter",
    "event_id": "api-test-1",
    "ts": "2021-04-08T12:00:00Z",
    "actor": "43222416",
    "action": "post",
    "text": "hello",
}


@dataclass(frozen=True)
class Call:
    """A request: method, URL (path template filled in), and what httpx should send."""

    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    ok: Call
    bad: Call
    bad_status: int
    bad_field: str | None


def _get(url: str) -> Call:
    return Call("GET", url)


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/v1/health"): Operation(_get("/v1/health"), _get("/v1/healthz"), 404, None),
    ("GET", "/v1/runs"): Operation(_get("/v1/runs"), _get("/v1/runs?limit=0"), 422, "query.limit"),
    ("GET", "/v1/accounts/lookup"): Operation(
        _get("/v1/accounts/lookup?network=twitter&handle=Breaking911"),
        _get("/v1/accounts/lookup?network=twitter"),
        400,
        "query.handle",
    ),
    ("GET", "/v1/accounts/{network}/{account_id}"): Operation(
        _get(ACCOUNT), _get("/v1/accounts/twitter/0"), 404, "path.account_id"
    ),
    ("GET", "/v1/accounts/{network}/{account_id}/history"): Operation(
        _get(f"{ACCOUNT}/history"), _get("/v1/accounts/Twitter!/1/history"), 422, "path.network"
    ),
    ("GET", "/v1/accounts/{network}/{account_id}/explanation"): Operation(
        _get(f"{ACCOUNT}/explanation"),
        _get("/v1/accounts/twitter/0/explanation"),
        404,
        "path.account_id",
    ),
    ("GET", "/v1/accounts/{network}/{account_id}/influencers"): Operation(
        _get(f"{ACCOUNT}/influencers"),
        _get(f"{ACCOUNT}/influencers?offset=-1"),
        422,
        "query.offset",
    ),
    ("GET", "/v1/accounts/{network}/{account_id}/influencees"): Operation(
        _get(f"{ACCOUNT}/influencees"),
        _get(f"{ACCOUNT}/influencees?limit=5000"),
        422,
        "query.limit",
    ),
    ("GET", "/v1/people/{person_id}"): Operation(
        _get(PERSON), _get("/v1/people/nobody-at-all"), 404, "path.person_id"
    ),
    ("GET", "/v1/people/{person_id}/history"): Operation(
        _get(f"{PERSON}/history"), _get("/v1/people/nobody-at-all/history"), 404, "path.person_id"
    ),
    ("GET", "/v1/people/{person_id}/explanation"): Operation(
        _get(f"{PERSON}/explanation"), _get("/v1/people/nobody/explanation"), 404, "path.person_id"
    ),
    ("GET", "/v1/people/{person_id}/influencers"): Operation(
        _get(f"{PERSON}/influencers"), _get(f"{PERSON}/influencers?limit=x"), 422, "query.limit"
    ),
    ("GET", "/v1/people/{person_id}/influencees"): Operation(
        _get(f"{PERSON}/influencees"), _get(f"{PERSON}/influencees?offset=x"), 422, "query.offset"
    ),
    ("GET", "/v1/leaderboards/accounts"): Operation(
        _get("/v1/leaderboards/accounts?network=twitter"),
        _get("/v1/leaderboards/accounts?network=TWITTER"),
        422,
        "query.network",
    ),
    ("GET", "/v1/leaderboards/people"): Operation(
        _get("/v1/leaderboards/people"),
        _get("/v1/leaderboards/people?topic=zzqx-no-such-topic"),
        404,
        "query.topic",
    ),
    ("GET", "/v1/campaign"): Operation(
        _get("/v1/campaign?topic=news&k=2"), _get("/v1/campaign?topic=news&k=0"), 422, "query.k"
    ),
    ("GET", "/v1/search"): Operation(
        _get("/v1/search?q=break"), _get("/v1/search"), 422, "query.q"
    ),
    ("POST", "/v1/events"): Operation(
        Call("POST", "/v1/events", {"json": [EVENT]}),
        Call("POST", "/v1/events", {"json": [{**EVENT, "action": "shout"}]}),
        422,
        "events[0].action",
    ),
    ("POST", "/v1/crm/enrich"): Operation(
        Call("POST", "/v1/crm/enrich", {"json": [{"handles": {"twitter": "Breaking911"}}]}),
        Call("POST", "/v1/crm/enrich", {"json": [{"orders": "many"}]}),
        422,
        "body[0].orders",
    ),
    ("POST", "/v1/triage"): Operation(
        Call(
            "POST", "/v1/triage", {"json": [{"network": "twitter", "author": "a", "text": "hi?"}]}
        ),
        Call("POST", "/v1/triage", {"json": [{"network": "twitter", "author": "a"}]}),
        422,
        "body[0].text",
    ),
    ("GET", "/v1/admin/keys"): Operation(
        _get("/v1/admin/keys"), Call("PUT", "/v1/admin/keys"), 405, None
    ),
    ("POST", "/v1/admin/keys"): Operation(
        Call("POST", "/v1/admin/keys", {"json": {"name": "made", "scopes": ["read"]}}),
        Call("POST", "/v1/admin/keys", {"json": {"name": "made", "scopes": ["root"]}}),
        422,
        "body.scopes[0]",
    ),
    ("DELETE", "/v1/admin/keys/{key_id}"): Operation(
        Call("DELETE", "/v1/admin/keys/{fresh_key_id}"),  # a key made for the call
        Call("DELETE", "/v1/admin/keys/NOT-AN-ID"),
        422,
        "path.key_id",
    ),
    ("GET", "/v1/admin/usage"): Operation(
        _get("/v1/admin/usage"), _get("/v1/admin/usage?days=0"), 422, "query.days"
    ),
    ("GET", "/v1/privacy/people/{person_id}"): Operation(
        _get(OWN), _get("/v1/privacy/people/nobody-at-all"), 404, "path.person_id"
    ),
    ("GET", "/v1/privacy/people/{person_id}/export"): Operation(
        _get(f"{OWN}/export"), _get("/v1/privacy/people/nobody/export"), 404, "path.person_id"
    ),
    ("GET", "/v1/privacy/people/{person_id}/visibility"): Operation(
        _get(f"{OWN}/visibility"),
        _get("/v1/privacy/people/nobody/visibility"),
        404,
        "path.person_id",
    ),
    ("PUT", "/v1/privacy/people/{person_id}/visibility"): Operation(
        Call("PUT", f"{OWN}/visibility", {"json": {"public": True}}),
        Call("PUT", f"{OWN}/visibility", {"json": {"public": "very"}}),
        422,
        "body.public",
    ),
    ("DELETE", "/v1/privacy/people/{person_id}"): Operation(
        Call("DELETE", ERASED),
        Call("DELETE", "/v1/privacy/people/nobody-at-all"),
        404,
        "path.person_id",
    ),
    ("GET", "/v1/public/people/{person_id}"): Operation(
        _get("/v1/public/people/breaking"), _get("/v1/public/people/nobody"), 404, "path.person_id"
    ),
    ("GET", "/v1/admin/audit"): Operation(
        _get("/v1/admin/audit?action=read"), _get("/v1/admin/audit?limit=0"), 422, "query.limit"
    ),
    ("GET", "/v2/identity.json/twitter"): Operation(
        _get("/v2/identity.json/twitter?screenName=Breaking911"),
        _get("/v2/identity.json/twitter?screenName=nosuchuser"),
        404,
        None,
    ),
    ("GET", "/v2/identity.json/klout/{klout_id}/{code}"): Operation(
        _get(f"/v2/identity.json/klout/{KID}/tw"),
        _get(f"/v2/identity.json/klout/{KID}/gp"),
        404,
        None,
    ),
    ("GET", "/v2/identity.json/{code}/{network_id}"): Operation(
        _get("/v2/identity.json/tw/375721095"), _get("/v2/identity.json/tw/1"), 404, None
    ),
    ("GET", "/v2/user.json/{klout_id}"): Operation(
        _get(f"/v2/user.json/{KID}"), _get("/v2/user.json/12345"), 404, None
    ),
    ("GET", "/v2/user.json/{klout_id}/score"): Operation(
        _get(f"/v2/user.json/{KID}/score"), _get("/v2/user.json/abc/score"), 422, None
    ),
    ("GET", "/v2/user.json/{klout_id}/topics"): Operation(
        _get(f"/v2/user.json/{KID}/topics"), _get("/v2/user.json/12345/topics"), 404, None
    ),
    ("GET", "/v2/user.json/{klout_id}/influence"): Operation(
        _get(f"/v2/user.json/{KID}/influence"), _get("/v2/user.json/12345/influence"), 404, None
    ),
}


def operations(openapi: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in openapi["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }


def scope_of(openapi: dict[str, Any], method: str, path: str) -> str:
    scope: str = openapi["paths"][path][method.lower()]["x-scope"]
    return scope
