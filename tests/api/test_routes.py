"""Our REST routes (/v1) answer with what the store holds, checked against the CLI and the store."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.conftest import BREAKING, PERSON, RUNS, Keys, sway
from sway.scoring.params import ALGORITHM_VERSION
from sway.store import Store
from sway.store.queries import klout_id

Shared = tuple[TestClient, Keys]


def get(shared: Shared, url: str, scope: str = "read") -> dict:
    client, keys = shared
    response = client.get(url, headers=keys.header(scope))
    assert response.status_code == 200, response.text
    return response.json()


def test_health_needs_no_key_and_names_the_run(shared: Shared) -> None:
    client, _ = shared
    body = client.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["run"]["as_of"] == "2021-04-09T00:00:00Z"
    assert body["run"]["window_days"] == 90


def test_openapi_and_docs_are_served(shared: Shared) -> None:
    client, _ = shared
    doc = client.get("/openapi.json").json()
    assert doc["info"]["title"] == "Sway"
    assert (
        "/v1/accounts/lookup" in doc["paths"] and "/v2/user.json/{klout_id}/score" in doc["paths"]
    )
    assert doc["components"]["schemas"]["ErrorBody"]["properties"]["error"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_lookup_by_handle_any_case_or_at_or_id(shared: Shared, scored_db: Path) -> None:
    by_handle = get(shared, "/v1/accounts/lookup?network=twitter&handle=%40breaking911")
    by_id = get(shared, "/v1/accounts/lookup?network=twitter&id=375721095")
    by_path = get(shared, "/v1/accounts/twitter/375721095")
    assert by_handle == by_id == by_path
    assert by_handle["handle"] == "Breaking911" and by_handle["account_id"] == "375721095"
    shown = json.loads(sway(scored_db, "show", "twitter:375721095", "--json"))
    assert by_handle["score"] == pytest.approx(shown["score"])
    assert by_handle["sub_scores"] == pytest.approx(
        {k: shown[k] for k in ("reach", "amplification", "network_impact")}
    )
    # Changes are those `sway show` computes: against runs a day, a week and 30 days before.
    assert by_handle["change"] == pytest.approx(shown["change"])
    assert all(v is not None for v in by_handle["change"].values())
    low = int(shown["score"] // 10) * 10
    assert by_handle["bucket"] == ("90-100" if low >= 90 else f"{low}-{low + 9}")
    assert by_handle["rank"] == 1 and by_handle["network_rank"] == 1
    topics = json.loads(sway(scored_db, "topics", "show", "twitter:375721095", "--json"))
    assert [(t["id"], t["name"]) for t in by_handle["topics"]] == [
        (t["topic_id"], t["topic"]) for t in topics["topics"]
    ]
    assert by_handle["topics"][0]["id"] == "tag:news"
    assert by_handle["topics"][0]["score"] == pytest.approx(topics["topics"][0]["score"])
    assert by_handle["person"]["person_id"] == PERSON and by_handle["person"]["linked"]
    assert {n["network"] for n in by_handle["networks"]} == {"twitter", "mastodon"}
    assert by_handle["run"]["as_of"] == RUNS[-1]


def test_person_profile_combines_networks(shared: Shared, scored_db: Path) -> None:
    body = get(shared, f"/v1/people/{PERSON}")
    shown = json.loads(sway(scored_db, "show", "--person", PERSON, "--json"))
    assert body["score"] == pytest.approx(shown["score"])
    assert body["change"] == pytest.approx(shown["change"])
    assert body["klout_id"] == klout_id(PERSON)
    assert {(a["network"], a["account_id"]) for a in body["accounts"]} == {
        BREAKING,
        ("mastodon", "b911@mastodon.social"),
    }
    assert {n["network"] for n in body["networks"]} == {"twitter", "mastodon"}
    topics = json.loads(sway(scored_db, "topics", "show", PERSON, "--json"))["topics"]
    assert [t["id"] for t in body["topics"]] == [t["topic_id"] for t in topics] == ["tag:news"]
    assert [t["score"] for t in body["topics"]] == pytest.approx([t["score"] for t in topics])
    # An account's own person id leads to the person it is linked to.
    assert get(shared, "/v1/people/twitter:375721095")["person_id"] == PERSON


def test_unlinked_account_is_its_own_person(shared: Shared) -> None:
    body = get(shared, "/v1/people/twitter:43222416")
    assert body["person_id"] == "twitter:43222416" and not body["linked"]
    assert [a["account_id"] for a in body["accounts"]] == ["43222416"]


def test_history_has_every_run_of_the_series(shared: Shared, scored_db: Path) -> None:
    body = get(shared, "/v1/accounts/twitter/375721095/history")
    shown = json.loads(sway(scored_db, "show", "twitter:375721095", "--json"))
    (series,) = body["series"]
    assert series["algorithm_version"] == ALGORITHM_VERSION
    assert [p["score"] for p in series["points"]] == pytest.approx(
        [h["score"] for h in shown["history"]]
    )
    assert [p["as_of"] for p in series["points"]] == list(RUNS)
    person = get(shared, f"/v1/people/{PERSON}/history?algorithm_version={ALGORITHM_VERSION}")
    assert len(person["series"][0]["points"]) == len(RUNS)
    assert get(shared, f"/v1/people/{PERSON}/history?algorithm_version=0.0")["series"] == []


def test_explanation_adds_up_to_the_score(shared: Shared) -> None:
    for url in ("/v1/accounts/twitter/375721095/explanation", f"/v1/people/{PERSON}/explanation"):
        body = get(shared, url)
        total = body["base"] + math.fsum(c["points"] for c in body["contributions"])
        assert total == pytest.approx(body["score"], abs=1e-6)
    person = get(shared, f"/v1/people/{PERSON}/explanation")
    assert {n["name"] for n in person["networks"]} == {"twitter", "mastodon"}


def test_influencers_and_influencees_match_the_top_reactors(
    shared: Shared, scored_db: Path
) -> None:
    body = get(shared, "/v1/accounts/twitter/375721095/influencers?limit=3")
    with Store.open(scored_db, read_only=True) as store:
        run = store.scalar("SELECT run_id FROM score_runs ORDER BY as_of DESC LIMIT 1")
        expected = store.rows(
            "SELECT reactor, contribution FROM score_top_reactors WHERE run_id = ? AND "
            "network = 'twitter' AND account_id = '375721095' ORDER BY contribution DESC, reactor",
            [run],
        )
    assert body["total"] == len(expected)
    assert [i["account"]["account_id"] for i in body["items"]] == [r[0] for r in expected[:3]]
    assert [i["contribution"] for i in body["items"]] == pytest.approx([r[1] for r in expected[:3]])
    assert body["next_offset"] == (3 if len(expected) > 3 else None)
    reactor = body["items"][0]["account"]["account_id"]
    outs = get(shared, f"/v1/accounts/twitter/{reactor}/influencees")
    assert "375721095" in [i["account"]["account_id"] for i in outs["items"]]
    person = get(shared, f"/v1/people/{PERSON}/influencers?limit=100")
    assert person["total"] >= body["total"]
    assert get(shared, f"/v1/people/{PERSON}/influencees")["total"] >= 0


def test_leaderboards_are_ordered_and_paged(shared: Shared) -> None:
    first = get(shared, "/v1/leaderboards/accounts?limit=5")
    second = get(shared, "/v1/leaderboards/accounts?limit=5&offset=5")
    scores = [i["account"]["score"] for i in first["items"] + second["items"]]
    assert scores == sorted(scores, reverse=True)
    assert [i["rank"] for i in first["items"] + second["items"]] == list(range(1, 11))
    assert first["next_offset"] == 5 and first["total"] == second["total"] > 10
    mastodon = get(shared, "/v1/leaderboards/accounts?network=mastodon")
    assert {i["account"]["network"] for i in mastodon["items"]} == {"mastodon"}
    assert mastodon["items"][0]["rank"] == 1
    people = get(shared, "/v1/leaderboards/people?limit=3")
    assert people["items"][0]["person"]["person_id"] == PERSON
    none = get(shared, "/v1/leaderboards/accounts?network=nosuchnetwork")
    assert none == {"items": [], "total": 0, "offset": 0, "limit": 20, "next_offset": None}


def test_topic_leaderboards(shared: Shared, scored_db: Path) -> None:
    top = json.loads(sway(scored_db, "topics", "top", "--topic", "news", "--json"))
    accounts = get(shared, "/v1/leaderboards/accounts?topic=news")
    assert [i["account"]["account_id"] for i in accounts["items"]] == [
        r["account_id"] for r in top["rows"]
    ]
    assert accounts["items"][0]["topic_score"] == pytest.approx(top["rows"][0]["score"])
    people = get(shared, "/v1/leaderboards/people?topic=news")
    assert people["items"][0]["person"]["person_id"] == PERSON
    assert people["items"][0]["topic_score"] > 0
    client, keys = shared
    unknown = client.get("/v1/leaderboards/people?topic=zzqx-none", headers=keys.header("read"))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["field"] == "query.topic"


def test_campaign_covers_the_topic_audience(shared: Shared, scored_db: Path) -> None:
    from sway.store.queries import reactor_sets

    plan = get(shared, "/v1/campaign?topic=news&k=3")
    board = get(shared, "/v1/leaderboards/accounts?topic=news&limit=200")["items"]
    candidates = [(i["account"]["network"], i["account"]["account_id"]) for i in board]
    picked = [(m["account"]["network"], m["account"]["account_id"]) for m in plan["members"]]
    assert plan["topic_id"] == "tag:news" and "on the topic" in plan["audience"]
    assert 0 < len(picked) <= 3 and set(picked) <= set(candidates)
    with Store.open(scored_db, read_only=True) as store:
        sets = reactor_sets(
            store,
            picked,
            start=plan["start"],
            end=plan["end"],
            topic=(plan["topic_run_id"], plan["topic_id"]),
        )
    assert [m["audience"] for m in plan["members"]] == [len(sets[p]) for p in picked]
    assert plan["reach"] == len(set().union(*sets.values())) == plan["members"][-1]["reach"]
    assert plan["audience_sum"] == sum(len(s) for s in sets.values())


def test_search_by_handle_name_or_id(shared: Shared) -> None:
    body = get(shared, "/v1/search?q=BREAKING")
    assert [i["handle"] for i in body["items"]] == ["Breaking911"]
    assert get(shared, "/v1/search?q=375721095")["items"][0]["handle"] == "Breaking911"
    many = get(shared, "/v1/search?q=a&limit=5")
    scores = [i["score"] or 0 for i in many["items"]]
    assert scores == sorted(scores, reverse=True) and many["total"] > 5


def test_runs_newest_first(shared: Shared) -> None:
    body = get(shared, "/v1/runs")
    assert [r["as_of"] for r in body["items"]] == list(reversed(RUNS))
    assert body["total"] == len(RUNS)


def test_gzip_only_when_asked(shared: Shared) -> None:
    client, keys = shared
    url = "/v1/leaderboards/accounts?limit=50"
    plain = client.get(url, headers={**keys.header("read"), "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = client.get(url, headers={**keys.header("read"), "Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == plain.json()  # the client un-gzips
