"""The dashboard's sessions and form posts, against a real ``sway serve`` (and a real Chromium
where a browser matters): the cookie holds a session id and never the key; logout and
revocation end the session on the server; every ``POST`` route refuses another origin and a
missing or wrong form token, and changes nothing then.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest

from sway.api.keys import parse_key
from sway.web.auth import COOKIE
from sway.web.routes import router
from web.conftest import OWN_PERSON, Server, login

pytestmark = pytest.mark.slow


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


#: Plain HTTP to the loopback server: no proxy, redirects returned as they are.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass
class Answer:
    status: int
    headers: Any
    text: str


def call(
    server: Server | str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    session: str | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """A GET (or, with ``form``, a form POST) with the session's cookie, as a browser sends
    it; ``headers`` adds to or replaces the browser's (``Origin``, ``Referer``). ``server``:
    the server, or its address."""
    base = server if isinstance(server, str) else server.url
    sent = {"Cookie": f"{COOKIE}={session}"} if session else {}
    if form is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent["Origin"] = base
    sent.update(headers or {})
    sent = {k: v for k, v in sent.items() if v}  # an empty value: leave the header out
    request = urllib.request.Request(
        base + path,
        data=None if form is None else urlencode(form).encode(),
        headers=sent,
        method="GET" if form is None else "POST",
    )
    try:
        with HTTP.open(request, timeout=60) as response:
            return Answer(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.headers, exc.read().decode())


def log_in(server: Server, key: str) -> str:
    """A session opened through the login form; its id."""
    answer = call(server, "/login", form={"key": key, "next": "/"})
    assert answer.status == 303, answer.text
    cookie = answer.headers["Set-Cookie"]
    match = re.match(rf"{COOKIE}=([^;]+);", cookie)
    assert match, cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    return match.group(1)


def token(server: Server, session: str, path: str = "/triage") -> str:
    """The form token a page of the session carries."""
    page = call(server, path, session=session)
    assert page.status == 200, page.text
    found = set(re.findall(r'name="csrf" value="([^"]*)"', page.text))
    assert len(found) == 1 and "" not in found, found
    return found.pop()


def logged_in(server: Server, session: str) -> bool:
    answer = call(server, "/triage", session=session)
    if answer.status == 303:
        assert urlsplit(answer.headers["Location"]).path == "/login"
        return False
    assert answer.status == 200, answer.text
    return True


def new_key(server: Server, name: str, scopes: list[str]) -> str:
    made = server.api(
        "/v1/admin/keys", body={"name": name, "scopes": scopes}, key=server.keys.admin
    )
    secret: str = made["secret"]
    return secret


# -- the cookie -------------------------------------------------------------------------


def test_the_cookie_is_a_session_id_that_logout_ends_on_the_server(
    browser: Any, server: Server
) -> None:
    key = new_key(server, "session-logout", ["read", "crm"])
    context = browser.new_context()
    tab = context.new_page()
    try:
        login(tab, server, key)
        (cookie,) = context.cookies()
        session = cookie["value"]
        assert cookie["name"] == COOKIE and session != key
        assert key.rsplit("_", 1)[1] not in session and parse_key(key) not in session
        assert key not in tab.content()
        assert logged_in(server, session)
        tab.click("form.logout button")
        assert urlsplit(tab.url).path == "/login" and context.cookies() == []
        # Not only cleared in the browser: the id no longer opens anything.
        assert not logged_in(server, session)
    finally:
        context.close()


def test_revoking_the_key_ends_its_sessions(server: Server) -> None:
    key = new_key(server, "session-revoked", ["read", "crm"])
    first, second = log_in(server, key), log_in(server, key)
    assert first != second and logged_in(server, first) and logged_in(server, second)
    server.api(f"/v1/admin/keys/{parse_key(key)}", key=server.keys.admin, method="DELETE")
    assert not logged_in(server, first) and not logged_in(server, second)
    # A made-up session id opens nothing either.
    assert not logged_in(server, "x" * 43)


# -- form posts -------------------------------------------------------------------------


def _victim(server: Server) -> str:
    """A person nobody else's test touches: the board's second-to-last account."""
    account = server.api("/v1/leaderboards/accounts?limit=200")["items"][-2]["account"]
    path = f"/v1/accounts/{account['network']}/{quote(account['account_id'], safe='')}"
    person: str = server.api(path)["person"]["person_id"]
    return person


#: A form for each POST route of the dashboard (that would do its work if it were let in).
#: The test below fails when a route is added without an entry here.
def _forms(server: Server, victim: str) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "/login": ("/login", {"key": server.keys.admin, "next": "/"}),
        "/logout": ("/logout", {}),
        "/people/{person_id}/visibility": (
            f"/people/{quote(OWN_PERSON, safe='')}/visibility",
            {"public": "public", "next": "/"},
        ),
        "/people/{person_id}/forget": (
            f"/people/{quote(victim, safe='')}/forget",
            {"confirm": victim},
        ),
        "/triage": ("/triage", {"messages": '{"network": "x", "author": "a", "text": "hi"}'}),
    }


def _unchanged(server: Server, session: str, victim: str) -> None:
    """Nothing the refused posts would have done was done."""
    visibility = f"/v1/privacy/people/{quote(OWN_PERSON, safe='')}/visibility"
    assert server.api(visibility, key=server.keys.admin)["public"] is False
    assert server.api(f"/v1/people/{quote(victim, safe='')}")["person_id"] == victim
    assert logged_in(server, session)  # the logout was refused too


def test_every_post_route_refuses_another_origin(server: Server) -> None:
    posts = {r.path for r in router.routes if "POST" in getattr(r, "methods", ())}
    victim = _victim(server)
    forms = _forms(server, victim)
    assert posts == set(forms), "a new POST route needs its form in _forms"
    session = log_in(server, server.keys.admin)
    csrf = token(server, session)
    port = urlsplit(server.url).port
    assert port is not None
    elsewhere = f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}"
    for route, (path, form) in forms.items():
        for headers in (
            {"Origin": elsewhere},  # another port of the same host: same-site, not same-origin
            {"Origin": "null"},
            {"Origin": "", "Referer": f"{elsewhere}/people"},
            {"Origin": server.url.replace("http://", "https://")},
        ):
            answer = call(
                server, path, form={**form, "csrf": csrf}, session=session, headers=headers
            )
            assert answer.status == 403, (route, headers, answer.status, answer.text)
            assert "posted from another site" in answer.text, (route, headers)
            assert "Set-Cookie" not in answer.headers  # the login opened no session
    _unchanged(server, session, victim)
    # The same posts from this server's own origin (or with neither header) and with the
    # token go through: the triage form, as the refusal above was not for something else.
    for headers in ({}, {"Origin": "", "Referer": server.url + "/triage"}, {"Origin": ""}):
        triage = call(
            server,
            "/triage",
            form={**forms["/triage"][1], "csrf": csrf},
            session=session,
            headers=headers,
        )
        assert triage.status == 200 and 'id="queue"' in triage.text, headers


def test_every_post_route_of_a_session_needs_its_token(server: Server) -> None:
    victim = _victim(server)
    forms = _forms(server, victim)
    session = log_in(server, server.keys.admin)
    good = token(server, session)
    other = token(server, log_in(server, server.keys.admin))
    assert other != good
    for route, (path, form) in forms.items():
        if route == "/login":
            continue  # before a session there is no token: the Origin check alone
        for csrf in (None, "", good[:-1] + ("A" if good[-1] != "A" else "B"), other, "é" * 43):
            sent = form if csrf is None else {**form, "csrf": csrf}
            for headers in ({}, {"Origin": ""}):
                answer = call(server, path, form=sent, session=session, headers=headers)
                assert answer.status == 403, (route, csrf, answer.status, answer.text)
                assert "security token is missing or out of date" in answer.text
    _unchanged(server, session, victim)


def test_forms_carry_the_token_and_work_in_the_browser(browser: Any, server: Server) -> None:
    context = browser.new_context()
    tab = context.new_page()
    try:
        login(tab, server, server.keys.admin, path=f"/people/{quote(OWN_PERSON, safe='')}")
        tokens = [
            tab.locator(f"{form} input[name=csrf]").input_value()
            for form in ("form.logout", "#visibility-form", "#erase-form")
        ]
        assert len(set(tokens)) == 1 and len(tokens[0]) >= 43
        assert tab.locator("#published").inner_text().startswith("Private:")
        tab.click("#visibility-switch")
        assert tab.locator("#published").inner_text().startswith("Published:")
        tab.click("#visibility-switch")
        assert tab.locator("#published").inner_text().startswith("Private:")
        # A page left open across a logout and a new login posts a stale token: refused.
        stale = context.new_page()
        stale.goto(tab.url)
        tab.click("form.logout button")
        login(tab, server, server.keys.admin, path=f"/people/{quote(OWN_PERSON, safe='')}")
        stale.click("#visibility-switch")
        assert "security token" in stale.locator("#error-message").inner_text()
        tab.goto(tab.url)
        assert tab.locator("#published").inner_text().startswith("Private:")
    finally:
        visibility = f"/v1/privacy/people/{quote(OWN_PERSON, safe='')}/visibility"
        server.api(visibility, body={"public": None}, key=server.keys.admin, method="PUT")
        context.close()
