"""CRM enrichment: record parsing, the documented priority formula, the CLI and the route."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.conftest import PERSON, Keys, sway
from sway.crm import (
    CSV_COLUMNS,
    CrmWeights,
    InfluenceSignal,
    customer_value,
    enrich_one,
    parse_customer,
    parse_weights,
)
from sway.errors import ConfigError, SourceError

TODAY = date(2024, 1, 1)


class FakeSource:
    """An influence source with two known accounts."""

    def __init__(self) -> None:
        self.accounts = {
            ("twitter", "star"): InfluenceSignal("twitter", "1", "star", "p-star", 80.0, 90.0),
            ("mastodon", "star@x.y"): InfluenceSignal(
                "mastodon", "2", "star@x.y", "p-star", 40.0, 90.0
            ),
            ("twitter", "quiet"): InfluenceSignal("twitter", "3", "quiet", "twitter:3", None, None),
        }

    def signal(self, network: str, account: str) -> InfluenceSignal | None:
        return self.accounts.get((network, account.removeprefix("@")))


def test_parse_customer_reads_csv_strings_and_json_values() -> None:
    c = parse_customer(
        {
            "id": "c1",
            "email": "ada@example.com",
            "handle_twitter": "@star",
            "handles": {"mastodon": "star@x.y"},
            "lifetime_value": "1,200.50",
            "orders": "4",
            "customer_since": "2019-01-01",
            "open_tickets": "",
            "segment": "gold",
        },
        record=1,
    )
    assert c.handles == (("mastodon", "star@x.y"), ("twitter", "star"))
    assert c.lifetime_value == 1200.5 and c.orders == 4 and c.open_tickets is None
    assert c.customer_since == date(2019, 1, 1)
    assert c.extra == {"segment": "gold"}
    assert parse_customer({"handles": "twitter:a|mastodon:b@c"}, record=2).handles == (
        ("twitter", "a"),
        ("mastodon", "b@c"),
    )


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"lifetime_value": "lots"}, "lifetime_value"),
        ({"lifetime_value": -5}, "lifetime_value"),
        ({"orders": "2.5"}, "orders"),
        ({"customer_since": "yesterday"}, "customer_since"),
        ({"handles": "twitter"}, "handles"),
        ({"handle_Twitter": "x"}, "handle_Twitter"),
        ({"open_tickets": True}, "open_tickets"),
    ],
)
def test_bad_fields_are_named(row: dict, field: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_customer(row, record=7)
    assert info.value.field == field and info.value.record == 7


def test_priority_follows_the_documented_formula() -> None:
    w = CrmWeights()
    c = parse_customer(
        {
            "handle_twitter": "star",
            "lifetime_value": 999,
            "orders": 20,
            "customer_since": "2021-07-02",
            "open_tickets": 1,
        },
        record=1,
    )
    result = enrich_one(c, FakeSource(), w, as_of=TODAY)
    v = math.log1p(999) / math.log1p(10_000)
    years = (TODAY - date(2021, 7, 2)).days / 365.25
    h = (1.0 + years / 5 + 1 / 3) / 3
    i = 0.9  # the person's score (90), not the account's (80)
    assert result.value == pytest.approx(v)
    assert result.history == pytest.approx(h)
    assert result.influence == pytest.approx(i)
    assert result.priority == pytest.approx(100 * (0.5 * v + 0.2 * h + 0.3 * i))
    assert result.person_id == "p-star" and result.score == 90.0


def test_no_breadth_bias_and_unmatched_handles_are_listed() -> None:
    source = FakeSource()
    one = enrich_one(
        parse_customer({"handle_twitter": "star"}, record=1), source, CrmWeights(), as_of=TODAY
    )
    both = enrich_one(
        parse_customer(
            {"handle_twitter": "star", "handle_mastodon": "star@x.y", "handle_bluesky": "nobody"},
            record=1,
        ),
        source,
        CrmWeights(),
        as_of=TODAY,
    )
    # A second account of the same person adds no influence: combining is the scorer's job.
    assert both.influence == one.influence == 0.9
    assert both.unmatched == (("bluesky", "nobody"),)
    assert len(both.accounts) == 2
    unscored = enrich_one(
        parse_customer({"handle_twitter": "quiet"}, record=1), source, CrmWeights(), as_of=TODAY
    )
    assert unscored.influence == 0 and unscored.score is None and unscored.person_id == "twitter:3"


def test_weights_are_validated_and_configurable() -> None:
    assert parse_weights("value=1, influence=0") == {"value": 1.0, "influence": 0.0}
    w = CrmWeights.from_mapping({"value": 1, "history": 0, "influence": 0})
    c = parse_customer({"handle_twitter": "star", "lifetime_value": 10_000}, record=1)
    assert enrich_one(c, FakeSource(), w, as_of=TODAY).priority == pytest.approx(100.0)
    assert customer_value(c, w, as_of=TODAY) == pytest.approx(1.0)
    for bad in ({"value": -1}, {"value": 0, "history": 0, "influence": 0}, {"colour": 1}):
        with pytest.raises(ConfigError):
            CrmWeights.from_mapping(bad)
    with pytest.raises(ConfigError):
        parse_weights("value")


CUSTOMERS_CSV = (
    "id,email,handle_twitter,handle_mastodon,lifetime_value,orders,customer_since,segment\n"
    "c1,news@example.com,Breaking911,,5000,12,2015-03-01,press\n"
    "c2,,,b911@mastodon.social,50,1,,retail\n"
    "c3,someone@example.com,no_such_handle,,300,2,2020-01-01,retail\n"
)


def test_cli_enriches_a_csv_keeping_its_columns(db: Path, tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(CUSTOMERS_CSV, encoding="utf-8")
    out = tmp_path / "enriched.csv"
    sway(db, "crm", "enrich", str(source), "--output", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    header = CUSTOMERS_CSV.splitlines()[0].split(",")
    assert list(rows[0])[: len(header)] == header and list(rows[0])[len(header) :] == list(
        CSV_COLUMNS
    )
    assert [r["id"] for r in rows] == ["c1", "c2", "c3"]
    assert rows[0]["segment"] == "press" and rows[0]["email"] == "news@example.com"
    assert rows[0]["sway_person"] == rows[1]["sway_person"] == PERSON
    assert rows[0]["sway_networks"].startswith("twitter:Breaking911=")
    assert rows[0]["sway_topics"] == "news"  # the account's topics of the latest topic run
    assert rows[2]["sway_unmatched"] == "twitter:no_such_handle" and rows[2]["sway_score"] == ""
    priorities = [float(r["sway_priority"]) for r in rows]
    assert priorities[0] > priorities[2] > 0
    # JSON Lines out, with weights from the command line.
    jsonl = tmp_path / "enriched.jsonl"
    sway(
        db,
        "crm",
        "enrich",
        str(source),
        "-o",
        str(jsonl),
        "--weights",
        "value=0,history=0,influence=1",
    )
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert records[0]["priority"] == pytest.approx(records[0]["score"])
    assert records[0]["segment"] == "press"


def test_cli_names_the_bad_line(db: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sway.cli import cli

    source = tmp_path / "bad.csv"
    source.write_text("id,lifetime_value\nc1,10\nc2,ten\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--db", str(db), "crm", "enrich", str(source), "-o", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2
    assert "bad.csv:3: lifetime_value: expected a number" in result.stderr


def test_route_takes_json_csv_body_and_csv_upload(client: TestClient, keys: Keys) -> None:
    headers = keys.header("crm")
    as_json = client.post(
        "/v1/crm/enrich",
        headers=headers,
        json=[
            {
                "id": "c1",
                "handles": {"twitter": "breaking911"},
                "lifetime_value": 5000,
                "tier": "gold",
            },
            {"id": "c2", "handles": {"twitter": "nobody"}},
        ],
    )
    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert [r["id"] for r in body["records"]] == ["c1", "c2"]
    assert body["records"][0]["person_id"] == PERSON and body["records"][0]["tier"] == "gold"
    assert body["records"][1]["unmatched"] == ["twitter:nobody"]
    assert body["weights"]["value"] == 0.5
    csv_body = client.post(
        "/v1/crm/enrich?format=csv",
        headers={**headers, "Content-Type": "text/csv"},
        content=CUSTOMERS_CSV,
    )
    assert csv_body.status_code == 200 and csv_body.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_body.text)))
    assert rows[0]["sway_person"] == PERSON and rows[0]["segment"] == "press"
    upload = client.post(
        "/v1/crm/enrich",
        headers=headers,
        files={"file": ("customers.csv", CUSTOMERS_CSV.encode(), "text/csv")},
    )
    assert upload.status_code == 200
    assert [r["id"] for r in upload.json()["records"]] == ["c1", "c2", "c3"]
    weighted = client.post(
        "/v1/crm/enrich?weights=value=0,history=0,influence=1",
        headers=headers,
        json=[{"handles": {"twitter": "Breaking911"}}],
    ).json()
    assert weighted["records"][0]["priority"] == pytest.approx(weighted["records"][0]["score"])


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"json": [{"lifetime_value": "x"}]}, 422, "body[0].lifetime_value"),
        ({"json": {"not": "a list"}}, 422, "body"),
        (
            {"content": "id,orders\nc1,2\nc2,-1\n", "headers": {"Content-Type": "text/csv"}},
            422,
            "line 3.orders",
        ),
        (
            {"content": "<xml/>", "headers": {"Content-Type": "application/xml"}},
            415,
            "header.content-type",
        ),
    ],
)
def test_route_names_bad_input(
    client: TestClient, keys: Keys, kwargs: dict, status: int, field: str
) -> None:
    headers = {**keys.header("crm"), **kwargs.pop("headers", {})}
    response = client.post("/v1/crm/enrich", headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"]["field"] == field
