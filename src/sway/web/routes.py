"""The dashboard's pages. Thin, as the API's routes are: parse, call :mod:`sway.api.service`
(or :mod:`sway.web.profile`, which calls it), render a template.

Every page needs the session's key (:mod:`sway.web.auth`), and every ``POST`` passes
:func:`~sway.web.auth.check_post` (same origin, the session's form token), a dependency of the
whole router so that no form can be added without it; errors are rendered as pages by
:func:`sway.web.install`'s handlers, not as JSON.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sway.api import service
from sway.api.deps import read_entry
from sway.api.errors import ApiError
from sway.api.keys import ApiKey
from sway.api.models import CampaignPlan
from sway.api.routes.privacy import change_visibility, erase_person, export_data
from sway.api.routes.triage import triager
from sway.api.state import ServiceState
from sway.triage import order_queue
from sway.web.auth import (
    authorize,
    check_login,
    check_post,
    end_session,
    is_own,
    may_sign_in,
    safe_next,
    start_session,
)
from sway.web.inbox import example_inbox, parse_inbox
from sway.web.profile import ProfilePage, account_page, person_page
from sway.web.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_post)])
PAGE_SIZE = 25
NetworkQuery = Annotated[str | None, Query(pattern=r"^([a-z][a-z0-9_.-]{0,63})?$")]
TopicQuery = Annotated[str | None, Query(max_length=200)]


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.sway
    return state


# -- session ------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    found = check_login(request, key)
    if found is None or not may_sign_in(found):
        error = (
            "This key is not valid (or was revoked)."
            if found is None
            else "This key lacks the read scope the dashboard needs."
        )
        return render(request, "login.html", {"next": safe_next(next), "error": error}, status=401)
    target = safe_next(next)
    if target == "/" and not found.allows("read") and found.person_id is not None:
        # A person's own key opens that person's page, not the leaderboards.
        target = f"/people/{quote(found.person_id, safe='')}"
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, found)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response)
    return response


# -- leaderboards -------------------------------------------------------------------------


def _topic_names(state: ServiceState) -> list[str]:
    from sway.store.topics import catalog_rows, latest_topic_run

    with state.gate.read() as store:
        run = latest_topic_run(store)
        if run is None:
            return []
        return [str(r["topic"]) for r in catalog_rows(store, run.topic_run_id, limit=500)]


@router.get("/", response_class=HTMLResponse)
def leaderboards(
    request: Request,
    kind: Annotated[str, Query(pattern="^(accounts|people)$")] = "accounts",
    network: NetworkQuery = None,
    topic: TopicQuery = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Response:
    key = authorize(request, "read")
    _audit(request, key, "search" if q else "leaderboard", None)
    state = _state(request)
    index = state.index
    network, topic, q = network or None, (topic or "").strip() or None, (q or "").strip() or None
    board: Any
    if q is not None:
        board, mode = (
            service.search(index, q, network=network, offset=offset, limit=PAGE_SIZE),
            "search",
        )
    elif topic is not None:
        with state.gate.read() as store:
            board = service.topic_leaderboard(
                store,
                index,
                topic,
                network=network,
                people=kind == "people",
                offset=offset,
                limit=PAGE_SIZE,
            )
        mode = kind
    elif kind == "people":
        board, mode = (
            service.people_leaderboard(index, network=network, offset=offset, limit=PAGE_SIZE),
            "people",
        )
    else:
        board, mode = (
            service.leaderboard(index, network=network, offset=offset, limit=PAGE_SIZE),
            "accounts",
        )
    return render(
        request,
        "leaderboard.html",
        {
            "board": board,
            "mode": mode,
            "filters": {"kind": kind, "network": network or "", "topic": topic or "", "q": q or ""},
            "networks": index.networks,
            "topics": _topic_names(state),
            "run": service.run_public(index.run),
            "withdrawn": [service.run_public(r) for r in index.withdrawn],
        },
    )


# -- profiles -----------------------------------------------------------------------------


def _audit(request: Request, key: ApiKey, kind: str, subject: str | None) -> None:
    """Write the read of a person's data to the audit log, as the API's routes do (durably,
    before the page is rendered)."""
    _state(request).record(read_entry(request, key, kind, subject))


def _profile(request: Request, key: ApiKey, page: ProfilePage) -> Response:
    admin = key.allows("admin")
    return render(
        request,
        "profile.html",
        {
            "page": page,
            "can_erase": admin,
            "can_publish": admin,
            "can_export": admin or is_own(key, page.person_id),
            "here": request.url.path,
        },
    )


@router.get("/accounts/{network}/{account_id}", response_class=HTMLResponse)
def account(request: Request, network: str, account_id: str) -> Response:
    key = authorize(request, "read")
    _audit(request, key, "account", f"{network}:{account_id}")
    return _profile(request, key, account_page(_state(request), network, account_id))


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person(request: Request, person_id: str) -> Response:
    key = authorize(request, "read", own=person_id)
    _audit(request, key, "person", person_id)
    return _profile(request, key, person_page(_state(request), person_id))


#: The switch's choices, as the API's ``public`` (``default``: the store's default).
_VISIBILITY = {"public": True, "private": False, "default": None}


@router.post("/people/{person_id}/visibility")
def visibility_form(
    request: Request,
    person_id: str,
    public: Annotated[str, Form(pattern="^(public|private|default)$")],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Publish or hide a person's score (admin sessions only), as
    ``PUT /v1/privacy/people/{id}/visibility`` does; back to the page it was posted from
    (checked by :func:`~sway.web.auth.check_post` like every form)."""
    key = authorize(request, "admin")
    change_visibility(_state(request), person_id, _VISIBILITY[public], key=key)
    return RedirectResponse(safe_next(next or f"/people/{quote(person_id, safe='')}"), 303)


@router.get("/people/{person_id}/export.json")
def export_download(request: Request, person_id: str) -> Response:
    """Everything stored about a person, as ``GET /v1/privacy/people/{id}/export`` gives it,
    as a download: for admin sessions and the person's own key."""
    key = authorize(request, "admin", own=person_id)
    data = export_data(_state(request), person_id, key=key)
    name = "".join(c if c.isalnum() else "-" for c in person_id).strip("-") or "person"
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="sway-export-{name}.json"'},
    )


@router.post("/people/{person_id}/forget", response_class=HTMLResponse)
def erase_form(
    request: Request, person_id: str, confirm: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    """Erase a person for good (admin sessions only), as ``DELETE /v1/privacy/people/{id}``
    does: the id typed again confirms it (checked by :func:`~sway.web.auth.check_post` like
    every form)."""
    key = authorize(request, "admin")
    if confirm.strip() != person_id:
        raise ApiError(
            400,
            f"type the person id {person_id!r} to confirm the erasure",
            field="form.confirm",
        )
    report = erase_person(_state(request), person_id, requested_by=key.key_id)
    return render(request, "erased.html", {"person_id": person_id, "report": report})


# -- campaign builder ---------------------------------------------------------------------

CampaignK = Annotated[int, Query(ge=1, le=50)]


def _plan(state: ServiceState, topic: str, network: str | None, k: int) -> CampaignPlan:
    with state.gate.read() as store:
        return service.campaign(store, state.index, topic, network=network, k=k)


@router.get("/campaign", response_class=HTMLResponse)
def campaign(
    request: Request, topic: TopicQuery = None, network: NetworkQuery = None, k: CampaignK = 5
) -> Response:
    key = authorize(request, "read")
    _audit(request, key, "campaign", None)
    state = _state(request)
    topic, network = (topic or "").strip() or None, network or None
    plan = _plan(state, topic, network, k) if topic else None
    chart = None
    if plan is not None and plan.members:
        from sway.web.charts import Bar, bars_svg

        chart = bars_svg(
            tuple(
                Bar(m.account.display_name or m.account.handle or m.account.account_id, m.new)
                for m in plan.members
            ),
            label="New people each pick adds to the campaign's reach",
            unit="new people reached",
            value_format="+{:.0f}",
        )
    return render(
        request,
        "campaign.html",
        {
            "plan": plan,
            "chart": chart,
            "filters": {"topic": topic or "", "network": network or "", "k": k},
            "networks": state.index.networks,
            "topics": _topic_names(state),
        },
    )


CAMPAIGN_COLUMNS = (
    "pick",
    "network",
    "account_id",
    "handle",
    "display_name",
    "score",
    "topic_score",
    "audience",
    "new_reach",
    "overlap",
    "cumulative_reach",
)


@router.get("/campaign.csv")
def campaign_csv(
    request: Request,
    topic: Annotated[str, Query(min_length=1, max_length=200)],
    network: NetworkQuery = None,
    k: CampaignK = 5,
) -> Response:
    key = authorize(request, "read")
    _audit(request, key, "campaign", None)
    plan = _plan(_state(request), topic, network or None, k)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CAMPAIGN_COLUMNS)
    for i, m in enumerate(plan.members, 1):
        a = m.account
        writer.writerow(
            [
                i,
                a.network,
                a.account_id,
                a.handle or "",
                a.display_name or "",
                "" if a.score is None else f"{a.score:.4f}",
                f"{m.topic_score:.4f}",
                m.audience,
                m.new,
                m.overlap,
                m.reach,
            ]
        )
    name = "".join(c if c.isalnum() else "-" for c in plan.topic.lower()).strip("-") or "topic"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{name}-{k}.csv"'},
    )


# -- triage -------------------------------------------------------------------------------


@router.get("/triage", response_class=HTMLResponse)
def triage_form(request: Request) -> Response:
    authorize(request, "crm")
    state = _state(request)
    return render(
        request, "triage.html", {"messages": example_inbox(state), "queue": None, "error": None}
    )


@router.post("/triage", response_class=HTMLResponse)
def triage(request: Request, messages: Annotated[str, Form(max_length=5_000_000)]) -> Response:
    authorize(request, "crm")
    state = _state(request)
    try:
        parsed = parse_inbox(messages)
    except ApiError as exc:
        return render(
            request,
            "triage.html",
            {"messages": messages, "queue": None, "error": exc.message},
            status=exc.status,
        )
    queue = order_queue(triager(state).triage_many(parsed))
    return render(
        request,
        "triage.html",
        {
            "messages": messages,
            "queue": [{"position": n, **r.as_dict()} for n, r in enumerate(queue, 1)],
            "error": None,
        },
    )
