"""Social-CRM enrichment: customer records with their influence and a priority.

Pure logic: no store, no HTTP, no files. The CLI (``sway crm enrich``) and the API
(``POST /v1/crm/enrich``) read records, call :func:`parse_customer` and :func:`enrich`, and write
the results; influence comes from any :class:`InfluenceSource` (the server's in-memory index of
the latest score run).

A customer record names the customer's accounts by network and handle (or account id), and may
carry an e-mail address, a lifetime value and relationship history. The e-mail address is passed
through untouched and never used to guess accounts.

Priority
--------
Three signals in ``[0, 1]``:

- **value** ``V = min(1, log(1 + lifetime_value) / log(1 + value_reference))``: what the customer
  is worth, on a log scale (the first thousand matters more than the tenth);
- **history** ``H``: the mean of the history signals the record has, each in ``[0, 1]``:
  ``min(1, log(1 + orders) / log(1 + orders_reference))`` (a repeat customer),
  ``min(1, years since customer_since / tenure_reference_years)`` (a long relationship) and
  ``min(1, open_tickets / tickets_reference)`` (unresolved trouble); 0 when it has none;
- **influence** ``I = score / 100`` of the best-scored matched account (its person's score when
  the account is linked to a person), 0 when no account matched. Scores of several accounts are
  not added up: combining accounts is the scorer's job (no breadth bias).

``priority = 100 * (w_value*V + w_history*H + w_influence*I) / (w_value + w_history + w_influence)``,
in ``[0, 100]``, with the weights of :class:`CrmWeights` (defaults 0.5, 0.2, 0.3).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, Protocol

import orjson

from sway.errors import ConfigError, SourceError

__all__ = [
    "CSV_COLUMNS",
    "CUSTOMER_FIELDS",
    "CrmWeights",
    "Customer",
    "Enriched",
    "InfluenceSignal",
    "InfluenceSource",
    "csv_cells",
    "customer_value",
    "enrich",
    "enrich_one",
    "parse_customer",
    "parse_weights",
    "read_records",
]

#: Fields of a customer record that Sway reads; any other field is passed through.
CUSTOMER_FIELDS: tuple[str, ...] = (
    "id",
    "email",
    "handles",
    "lifetime_value",
    "orders",
    "customer_since",
    "open_tickets",
)
#: CSV columns ``handle_<network>`` (``handle_twitter``) name the customer's account there.
HANDLE_PREFIX = "handle_"

_NETWORK_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class InfluenceSignal:
    """What the latest score run says about one account.

    ``score`` is ``None`` for an account the store knows that was not scored (no activity in
    the run's window). ``person_score`` is the score of the person the account belongs to (the
    account's own score when it is not linked).
    """

    network: str
    account_id: str
    handle: str | None
    person_id: str
    score: float | None
    person_score: float | None
    topics: tuple[str, ...] = ()


class InfluenceSource(Protocol):
    """Finds an account by handle or account id on a network."""

    def signal(self, network: str, account: str) -> InfluenceSignal | None:
        """The account ``account`` (a handle, with or without ``@``, or an id), or ``None``."""
        ...


@dataclass(frozen=True)
class CrmWeights:
    """Weights and reference points of the CRM priority (see the module docstring).

    Attributes
    ----------
    value, history, influence
        Weights of customer value, relationship history and influence; non-negative, not all
        zero. Only their ratios matter.
    value_reference
        The lifetime value that counts as full value (1.0).
    orders_reference
        The number of orders that counts as a full repeat-customer signal.
    tenure_reference_years
        The relationship length (years) that counts as a full tenure signal.
    tickets_reference
        The number of open tickets that counts as a full unresolved-trouble signal.
    """

    value: float = 0.5
    history: float = 0.2
    influence: float = 0.3
    value_reference: float = 10_000.0
    orders_reference: float = 20.0
    tenure_reference_years: float = 5.0
    tickets_reference: float = 3.0

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                raise ConfigError(f"CRM weight {f.name}: expected a number, found {v!r}")
            if v < 0:
                raise ConfigError(f"CRM weight {f.name}: expected >= 0, found {v!r}")
        if self.value + self.history + self.influence <= 0:
            raise ConfigError("CRM weights value, history and influence are all zero")
        for name in ("value_reference", "orders_reference", "tenure_reference_years"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"CRM weight {name}: expected > 0")
        if self.tickets_reference <= 0:
            raise ConfigError("CRM weight tickets_reference: expected > 0")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> CrmWeights:
        """From a config table or ``name=value`` pairs; unknown names are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"unknown CRM weight {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        return replace(cls(), **{k: _float(v, f"CRM weight {k}") for k, v in values.items()})

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


def _float(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{what}: expected a number, found {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: expected a number, found {value!r}") from None


def parse_weights(text: str) -> dict[str, float]:
    """``"value=0.5,history=0.2"`` -> ``{"value": 0.5, "history": 0.2}``."""
    result: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"expected NAME=NUMBER[,NAME=NUMBER...], found {text!r}")
        result[name.strip()] = _float(value.strip(), f"weight {name.strip()}")
    return result


# -- customer records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    """One customer record, validated. ``record`` is its 1-based position in the input."""

    record: int
    id: str | None = None
    email: str | None = None
    handles: tuple[tuple[str, str], ...] = ()
    lifetime_value: float | None = None
    orders: int | None = None
    customer_since: date | None = None
    open_tickets: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(name: str, value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Bad(name, f"expected text, found {type(value).__name__} {value!r}")


def _number(name: str, value: Any, *, integer: bool = False) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise _Bad(name, f"expected a number, found {value!r}")
    try:
        number = float(value.replace(",", "") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise _Bad(name, f"expected a number, found {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise _Bad(name, f"expected a number >= 0, found {value!r}")
    if integer and number != int(number):
        raise _Bad(name, f"expected a whole number, found {value!r}")
    return number


def _date(name: str, value: Any) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text[:10]) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            pass
    raise _Bad(name, f"expected a date such as 2019-05-01, found {value!r}")


def _handle(name: str, network: str, value: Any) -> tuple[str, str] | None:
    text = _text(name, value)
    if text is None:
        return None
    if not _NETWORK_RE.match(network):
        raise _Bad(name, f"expected a lower-case network name, found {network!r}")
    handle = text.removeprefix("@").strip()
    if not handle:
        raise _Bad(name, f"expected a handle or account id, found {value!r}")
    return (network, handle)


def _handles(value: Any) -> list[tuple[str, str]]:
    """``{"twitter": "jack"}``, ``[{"network": ..., "handle": ...}]`` or ``"twitter:jack|..."``."""
    if _blank(value):
        return []
    found: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for network, handle in value.items():
            if not isinstance(network, str):
                raise _Bad("handles", f"expected network names as keys, found {network!r}")
            pair = _handle(f"handles.{network}", network, handle)
            if pair:
                found.append(pair)
    elif isinstance(value, str):
        for item in value.split("|"):
            if not item.strip():
                continue
            network, sep, handle = item.strip().partition(":")
            if not sep:
                raise _Bad("handles", f"expected NETWORK:HANDLE, found {item.strip()!r}")
            pair = _handle("handles", network.strip().lower(), handle)
            if pair:
                found.append(pair)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, Mapping) or not isinstance(item.get("network"), str):
                raise _Bad(f"handles[{i}]", "expected {'network': ..., 'handle': ...}")
            pair = _handle(f"handles[{i}]", item["network"], item.get("handle"))
            if pair:
                found.append(pair)
    else:
        raise _Bad("handles", f"expected an object of network: handle, found {value!r}")
    return found


def parse_customer(row: Mapping[str, Any], *, record: int) -> Customer:
    """Validate one loose record (a CSV row of strings, a JSON object) into a :class:`Customer`.

    Raises :class:`~sway.errors.SourceError` naming the record and the field at fault.
    """
    try:
        handles = _handles(row.get("handles"))
        extra: dict[str, Any] = {}
        for key, value in row.items():
            if not isinstance(key, str):
                raise _Bad(str(key), "expected text field names")
            if key.startswith(HANDLE_PREFIX):
                pair = _handle(key, key[len(HANDLE_PREFIX) :], value)
                if pair:
                    handles.append(pair)
            elif key not in CUSTOMER_FIELDS and key != "customer_id":
                extra[key] = value
        orders = _number("orders", row.get("orders"), integer=True)
        tickets = _number("open_tickets", row.get("open_tickets"), integer=True)
        ident = row.get("id") if not _blank(row.get("id")) else row.get("customer_id")
        return Customer(
            record=record,
            id=_text("id", ident),
            email=_text("email", row.get("email")),
            handles=tuple(dict.fromkeys(handles)),
            lifetime_value=_number("lifetime_value", row.get("lifetime_value")),
            orders=None if orders is None else int(orders),
            customer_since=_date("customer_since", row.get("customer_since")),
            open_tickets=None if tickets is None else int(tickets),
            extra=extra,
        )
    except _Bad as exc:
        raise SourceError(exc.message, record=record, field=exc.field) from None


def read_records(
    text: str, *, path: str | None = None, csv_only: bool = False
) -> tuple[list[str], list[dict[str, Any]], bool]:
    """``(columns, rows, is_csv)`` of customer records given as a JSON list, JSON Lines or CSV
    text (recognised from the first character, unless ``csv_only``). Errors name ``path`` and
    the line."""
    stripped = "" if csv_only else text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        try:
            data = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise SourceError(f"not valid JSON ({exc})", path=path) from None
        rows = [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
        if not isinstance(data, list) or len(rows) != len(data):
            raise SourceError("expected a list of objects", path=path)
        return list(dict.fromkeys(k for r in rows for k in r)), rows, False
    if stripped.startswith("{"):
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise SourceError(f"not valid JSON ({exc})", path=path, line=number) from None
            if not isinstance(row, dict):
                raise SourceError("expected an object", path=path, line=number)
            rows.append(row)
        return list(dict.fromkeys(k for r in rows for k in r)), rows, False
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    rows = []
    try:
        for row in reader:
            if None in row:
                raise SourceError(
                    "more fields than the header has", path=path, line=reader.line_num
                )
            rows.append(dict(row))
    except csv.Error as exc:
        raise SourceError(f"malformed CSV ({exc})", path=path, line=reader.line_num) from None
    return list(reader.fieldnames or []), rows, True


# -- the formula --------------------------------------------------------------------------


def _log_ratio(x: float, reference: float) -> float:
    return min(1.0, math.log1p(x) / math.log1p(reference))


def value_signal(customer: Customer, weights: CrmWeights) -> float:
    """``V``: lifetime value on a log scale, 0 when unknown."""
    if customer.lifetime_value is None:
        return 0.0
    return _log_ratio(customer.lifetime_value, weights.value_reference)


def history_signal(customer: Customer, weights: CrmWeights, *, as_of: date) -> float:
    """``H``: the mean of the history signals present (orders, tenure, open tickets)."""
    parts: list[float] = []
    if customer.orders is not None:
        parts.append(_log_ratio(customer.orders, weights.orders_reference))
    if customer.customer_since is not None:
        years = max(0.0, (as_of - customer.customer_since).days / 365.25)
        parts.append(min(1.0, years / weights.tenure_reference_years))
    if customer.open_tickets is not None:
        parts.append(min(1.0, customer.open_tickets / weights.tickets_reference))
    return math.fsum(parts) / len(parts) if parts else 0.0


def customer_value(customer: Customer | None, weights: CrmWeights, *, as_of: date) -> float:
    """Value and history combined with their CRM weights, in ``[0, 1]`` (triage uses it)."""
    if customer is None or weights.value + weights.history <= 0:
        return 0.0
    v = value_signal(customer, weights)
    h = history_signal(customer, weights, as_of=as_of)
    return (weights.value * v + weights.history * h) / (weights.value + weights.history)


@dataclass(frozen=True)
class Enriched:
    """A customer with its matched accounts, influence and priority."""

    customer: Customer
    accounts: tuple[InfluenceSignal, ...]
    unmatched: tuple[tuple[str, str], ...]
    value: float
    history: float
    influence: float
    priority: float

    @property
    def best(self) -> InfluenceSignal | None:
        """The matched account with the highest (person) score."""
        scored = [a for a in self.accounts if _influence_of(a) is not None]
        return max(scored, key=lambda a: _influence_of(a) or 0.0) if scored else None

    @property
    def score(self) -> float | None:
        best = self.best
        return None if best is None else _influence_of(best)

    @property
    def person_id(self) -> str | None:
        best = self.best
        if best is not None:
            return best.person_id
        return self.accounts[0].person_id if self.accounts else None

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for a in self.accounts for t in a.topics))

    def as_dict(self) -> dict[str, Any]:
        """The record as given (its own fields first), then what Sway adds."""
        c = self.customer
        out: dict[str, Any] = {
            "id": c.id,
            "email": c.email,
            "handles": {n: h for n, h in c.handles},
            "lifetime_value": c.lifetime_value,
            "orders": c.orders,
            "customer_since": None if c.customer_since is None else c.customer_since.isoformat(),
            "open_tickets": c.open_tickets,
            **c.extra,
        }
        out.update(
            person_id=self.person_id,
            score=self.score,
            networks=[
                {
                    "network": a.network,
                    "account_id": a.account_id,
                    "handle": a.handle,
                    "score": a.score,
                }
                for a in self.accounts
            ],
            unmatched=[f"{n}:{h}" for n, h in self.unmatched],
            topics=list(self.topics),
            priority=self.priority,
            priority_parts={
                "value": self.value,
                "history": self.history,
                "influence": self.influence,
            },
        )
        return out


def _influence_of(signal: InfluenceSignal) -> float | None:
    return signal.person_score if signal.person_score is not None else signal.score


def enrich_one(
    customer: Customer, source: InfluenceSource, weights: CrmWeights, *, as_of: date
) -> Enriched:
    """Match the customer's accounts and compute the priority (module docstring)."""
    matched: list[InfluenceSignal] = []
    unmatched: list[tuple[str, str]] = []
    for network, handle in customer.handles:
        found = source.signal(network, handle)
        if found is None:
            unmatched.append((network, handle))
        elif found not in matched:
            matched.append(found)
    v = value_signal(customer, weights)
    h = history_signal(customer, weights, as_of=as_of)
    best = max((s for a in matched if (s := _influence_of(a)) is not None), default=None)
    i = 0.0 if best is None else min(1.0, max(0.0, best / 100.0))
    total = weights.value + weights.history + weights.influence
    priority = 100.0 * (weights.value * v + weights.history * h + weights.influence * i) / total
    return Enriched(
        customer=customer,
        accounts=tuple(matched),
        unmatched=tuple(unmatched),
        value=v,
        history=h,
        influence=i,
        priority=priority,
    )


def enrich(
    customers: Iterable[Customer],
    source: InfluenceSource,
    weights: CrmWeights | None = None,
    *,
    as_of: date,
) -> Iterator[Enriched]:
    """:func:`enrich_one` over many records, in input order (streaming)."""
    w = weights or CrmWeights()
    for customer in customers:
        yield enrich_one(customer, source, w, as_of=as_of)


#: Columns Sway adds to an enriched CSV, after the customer's own columns.
CSV_COLUMNS: tuple[str, ...] = (
    "sway_person",
    "sway_score",
    "sway_networks",
    "sway_unmatched",
    "sway_topics",
    "sway_priority",
    "sway_value",
    "sway_history",
    "sway_influence",
)


def csv_cells(result: Enriched) -> list[str]:
    """The :data:`CSV_COLUMNS` cells of one enriched record (networks as
    ``network:handle=score|...``)."""
    score = result.score
    return [
        result.person_id or "",
        "" if score is None else f"{score:.4f}",
        "|".join(
            f"{a.network}:{a.handle or a.account_id}="
            + ("" if a.score is None else f"{a.score:.2f}")
            for a in result.accounts
        ),
        "|".join(f"{n}:{h}" for n, h in result.unmatched),
        "|".join(result.topics),
        f"{result.priority:.4f}",
        f"{result.value:.4f}",
        f"{result.history:.4f}",
        f"{result.influence:.4f}",
    ]
