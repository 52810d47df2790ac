"""The in-memory index of the latest score run that the service answers hot lookups from.

Built once from the store (:meth:`ServingIndex.build`, a few seconds for a million accounts) and
then read without touching the store file, so lookups take microseconds and the server holds no
lock on the store between uses (see ``docs/api.md``, "Sharing the store"). Columns live in
NumPy and Arrow arrays (a million accounts take a few hundred megabytes); lookups by key go
through :class:`HashIndex` (sorted 64-bit hashes, verified against the stored strings, so a hash
collision can never return the wrong account).

Nothing here imports FastAPI: the CLI uses the index for ``sway crm enrich`` and ``sway triage``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sway.crm import InfluenceSignal
from sway.errors import ScoringError
from sway.store.db import Store
from sway.store.queries import (
    data_version,
    fold_handle,
    klout_id,
    serving_accounts,
    serving_members,
    serving_people,
    serving_person_networks,
    serving_topics,
)
from sway.store.runs import RunInfo, get_run, withdrawn_runs

__all__ = [
    "AccountView",
    "Changes",
    "HashIndex",
    "NetworkScore",
    "PersonView",
    "ServingIndex",
    "TopicRef",
    "bucket",
    "load_index",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def bucket(score: float | None) -> str | None:
    """Klout's band of ten: ``"0-9"``, ``"10-19"``, ... ``"80-89"``, ``"90-100"``."""
    if score is None:
        return None
    low = min(90, max(0, int(score // 10) * 10))
    return "90-100" if low == 90 else f"{low}-{low + 9}"


class HashIndex:
    """Rows by 64-bit key hash: sorted hashes and a binary search.

    ``candidates(h)`` yields every row whose key hashes to ``h``; the caller checks the key,
    so a collision can cost a comparison but never return a wrong row.
    """

    def __init__(self, hashes: IntArray, rows: IntArray) -> None:
        order = np.argsort(hashes, kind="stable")
        self._hashes = np.ascontiguousarray(hashes[order])
        self._rows = np.ascontiguousarray(rows[order])

    @classmethod
    def of_keys(cls, keys: pa.Array, rows: IntArray) -> HashIndex:
        """An index of string ``keys`` (nulls left out) by Python's ``hash``: fast, and valid
        for the life of this process, which is the life of the index."""
        valid = np.asarray(keys.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        present = keys.filter(pa.array(valid))
        hashes = np.empty(len(present), dtype=np.int64)
        # In slices, so that the Python strings alive at once stay few (they are only hashed).
        for start in range(0, len(present), _SLICE):
            texts = present.slice(start, _SLICE).to_pylist()
            hashes[start : start + len(texts)] = np.fromiter(map(hash, texts), np.int64, len(texts))
        return cls(hashes, rows[valid])

    def candidates(self, h: int) -> Iterator[int]:
        if not -(1 << 63) <= h < 1 << 63:
            return
        hashes = self._hashes
        i = int(hashes.searchsorted(h))
        n = len(hashes)
        while i < n and int(hashes[i]) == h:
            yield int(self._rows[i])
            i += 1

    def __len__(self) -> int:
        return len(self._hashes)


_SLICE = 65_536

#: Separates network and value in a hashed key (a byte that never occurs in a network name).
SEP = "\x1f"


def _fold(handles: pa.Array) -> pa.Array:
    """:func:`sway.store.queries.fold_handle` over a whole column."""
    trimmed = pc.utf8_trim_whitespace(handles)
    folded: pa.Array = pc.ascii_lower(pc.replace_substring_regex(trimmed, "^@", ""))
    return folded


def _keys(network: pa.Array, values: pa.Array) -> pa.Array:
    big = pa.large_string()
    sep = pa.scalar(SEP, big)
    joined: pa.Array = pc.binary_join_element_wise(network.cast(big), values.cast(big), sep)
    return joined


def _floats(column: pa.ChunkedArray) -> FloatArray:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _strings(column: pa.ChunkedArray) -> pa.Array:
    combined = column.combine_chunks()
    return combined.cast(pa.large_string()) if combined.type != pa.large_string() else combined


def _opt(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


class TopicRef(NamedTuple):
    """A topic an account or person is influential about (its topic score, 1-100)."""

    topic_id: str
    name: str
    slug: str | None
    score: float


class Changes(NamedTuple):
    day: float | None
    week: float | None
    month: float | None


class AccountView(NamedTuple):
    """One account as served: identity, score of the latest run, changes, its person.

    (Named tuples: built on every lookup, they cost a tenth of a frozen dataclass.)
    """

    row: int
    network: str
    account_id: str
    handle: str | None
    display_name: str | None
    followers: int | None
    score: float | None
    reach: float | None
    amplification: float | None
    network_impact: float | None
    changes: Changes
    person_id: str
    linked: bool
    rank: int | None
    network_rank: int | None

    @property
    def klout_id(self) -> str:
        return klout_id(f"{self.network}:{self.account_id}")


class NetworkScore(NamedTuple):
    network: str
    score: float | None
    accounts: int


class PersonView(NamedTuple):
    """A person: explicit (linked accounts) or an unlinked account standing for itself."""

    person_id: str
    explicit: bool
    display_name: str | None
    score: float | None
    reach: float | None
    amplification: float | None
    network_impact: float | None
    changes: Changes
    accounts: tuple[AccountView, ...]
    networks: tuple[NetworkScore, ...]

    @property
    def klout_id(self) -> str:
        return klout_id(self.person_id)

    @property
    def main_account(self) -> AccountView | None:
        """The highest-scored account (the first one when none is scored)."""
        if not self.accounts:
            return None
        return max(self.accounts, key=lambda a: -1.0 if a.score is None else a.score)


class ServingIndex:
    """Accounts and people of the latest run, in memory. Build with :meth:`build`.

    Also an :class:`sway.crm.InfluenceSource` (:meth:`signal`), for CRM enrichment and triage.
    """

    def __init__(
        self,
        *,
        run: RunInfo | None,
        version: tuple[Any, ...],
        accounts: pa.Table,
        people: pa.Table,
        person_networks: pa.Table,
        members: pa.Table,
        topics: tuple[pa.Table, pa.Table] | None = None,
        withdrawn: tuple[RunInfo, ...] = (),
    ) -> None:
        self.run = run
        #: Withdrawn runs newer than the served one (the ones it stands in for), newest first.
        self.withdrawn = withdrawn
        self.version = version
        n = accounts.num_rows
        self.size = n
        # Networks as small integer codes: a million copies of "twitter" cost nothing.
        encoded = accounts.column("network").combine_chunks().dictionary_encode()
        self.networks: list[str] = [str(v) for v in encoded.dictionary.to_pylist()]
        self._net_code = {name: i for i, name in enumerate(self.networks)}
        self._network = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
        self._account_id = _strings(accounts.column("account_id"))
        self._handle = _strings(accounts.column("handle"))
        self._display = _strings(accounts.column("display_name"))
        # One matrix holds every number of every account: one row gives all of an account's
        # numbers in one call; the named columns below are views into it.
        self._numbers = np.column_stack(
            [
                _floats(accounts.column(name))
                for name in (
                    "followers",
                    "score",
                    "reach",
                    "amplification",
                    "network_impact",
                    "day",
                    "week",
                    "month",
                    "overall_rank",
                    "network_rank",
                )
            ]
            + [
                np.asarray(accounts.column("linked").to_numpy(zero_copy_only=False), np.float64),
                self._network.astype(np.float64),
            ]
        )
        self._score = self._numbers[:, 1]
        self._person = _strings(accounts.column("person_id"))
        self._linked = self._numbers[:, 10] > 0
        rows = np.arange(n, dtype=np.int64)
        networks = accounts.column("network").combine_chunks()
        self._by_id = HashIndex.of_keys(_keys(networks, self._account_id), rows)
        self._by_handle = HashIndex.of_keys(_keys(networks, _fold(self._handle)), rows)
        self._by_klout = self._number_index(accounts.column("klout_key"), rows)
        overall = self._numbers[:, 8]
        by_network = self._numbers[:, 9]
        scored = ~np.isnan(overall)
        self._overall_order = rows[scored][np.argsort(overall[scored], kind="stable")]
        self._network_order: dict[int, IntArray] = {}
        for code in range(len(self.networks)):
            mask = scored & (self._network == code)
            self._network_order[code] = rows[mask][np.argsort(by_network[mask], kind="stable")]
        self._build_people(people, person_networks, members)
        self._account_topics: dict[str, tuple[TopicRef, ...]] = {}
        self._person_topics: dict[str, tuple[TopicRef, ...]] = {}
        self.topic_ids: set[str] = set()
        if topics is not None:
            self._build_topics(*topics)

    # -- construction ---------------------------------------------------------------------

    @staticmethod
    def _number_index(column: pa.ChunkedArray, rows: IntArray) -> HashIndex:
        valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        values = np.asarray(column.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
        return HashIndex(values[valid], rows[valid])

    def _build_people(self, people: pa.Table, person_networks: pa.Table, members: pa.Table) -> None:
        self._p_id = _strings(people.column("person_id"))
        self._p_display = _strings(people.column("display_name"))
        self._p_score = _floats(people.column("score"))
        self._p_reach = _floats(people.column("reach"))
        self._p_amp = _floats(people.column("amplification"))
        self._p_impact = _floats(people.column("network_impact"))
        self._p_day = _floats(people.column("day"))
        self._p_week = _floats(people.column("week"))
        self._p_month = _floats(people.column("month"))
        prow = np.arange(people.num_rows, dtype=np.int64)
        self._p_by_id = HashIndex.of_keys(self._p_id, prow)
        self._p_by_klout = self._number_index(people.column("klout_key"), prow)
        # Members and per-network scores of explicit persons: usually few, kept as lists.
        self._members: dict[str, list[int]] = {}
        # The same links as arrays (person row, account row), for the per-network boards.
        member_rows: list[int] = []
        member_accounts: list[int] = []
        for person, network, account in zip(
            members.column("person_id").to_pylist(),
            members.column("network").to_pylist(),
            members.column("account_id").to_pylist(),
            strict=True,
        ):
            row = self._find_account(str(network), str(account))
            if row is not None:
                self._members.setdefault(str(person), []).append(row)
                prow_of = self._explicit_row(str(person))
                if prow_of is not None:
                    member_rows.append(prow_of)
                    member_accounts.append(row)
        self._member_rows = np.asarray(member_rows, dtype=np.int64)
        self._member_accounts = np.asarray(member_accounts, dtype=np.int64)
        self._people_by_network: dict[int, IntArray] = {}
        self._p_networks: dict[str, list[NetworkScore]] = {}
        for person, network, score, count in zip(
            person_networks.column("person_id").to_pylist(),
            person_networks.column("network").to_pylist(),
            person_networks.column("score").to_pylist(),
            person_networks.column("accounts").to_pylist(),
            strict=True,
        ):
            self._p_networks.setdefault(str(person), []).append(
                NetworkScore(str(network), score, int(count))
            )
        # People leaderboard: explicit persons with a score and unlinked scored accounts.
        explicit_scored = prow[~np.isnan(self._p_score)]
        implicit = np.arange(self.size, dtype=np.int64)[(~self._linked) & ~np.isnan(self._score)]
        scores = np.concatenate([self._p_score[explicit_scored], self._score[implicit]])
        # Encode explicit persons as -1 - row so one array holds both kinds.
        refs = np.concatenate([-1 - explicit_scored, implicit])
        order = np.argsort(-scores, kind="stable")
        self._people_order = refs[order]

    def _build_topics(self, accounts: pa.Table, people: pa.Table) -> None:
        grouped: dict[str, list[TopicRef]] = {}
        for network, account_id, topic_id, name, slug, score in zip(
            *(accounts.column(c).to_pylist() for c in accounts.column_names), strict=True
        ):
            ref = TopicRef(str(topic_id), str(name), slug, float(score))
            grouped.setdefault(f"{network}{SEP}{account_id}", []).append(ref)
            self.topic_ids.add(ref.topic_id)
        self._account_topics = {k: tuple(v) for k, v in grouped.items()}
        by_person: dict[str, list[TopicRef]] = {}
        for person_id, topic_id, name, slug, score in zip(
            *(people.column(c).to_pylist() for c in people.column_names), strict=True
        ):
            by_person.setdefault(str(person_id), []).append(
                TopicRef(str(topic_id), str(name), slug, float(score))
            )
        self._person_topics = {k: tuple(v) for k, v in by_person.items()}

    def account_topics(self, account: AccountView) -> tuple[TopicRef, ...]:
        """The account's topics in the latest topic run, highest topic score first."""
        return self._account_topics.get(f"{account.network}{SEP}{account.account_id}", ())

    def person_topics(self, person: PersonView) -> tuple[TopicRef, ...]:
        """A person's own topics (explicit persons), else those of its account."""
        if person.explicit:
            return self._person_topics.get(person.person_id, ())
        return self.account_topics(person.accounts[0]) if person.accounts else ()

    @classmethod
    def build(
        cls, store: Store, run_id: str | None = None, *, lookups_only: bool = False
    ) -> ServingIndex:
        """Load the index of a run (default: the latest that is not withdrawn) from an open
        store.

        ``lookups_only``: accounts, scores and people, without changes, ranks and Klout ids
        (enough for CRM enrichment and triage, built in a fraction of the time).
        """
        try:
            run: RunInfo | None = get_run(store, run_id)
        except ScoringError:
            if run_id is not None:
                raise
            run = None  # No score yet: accounts are served without scores.
        rid = None if run is None else run.run_id
        series = None if run is None else run.series
        return cls(
            run=run,
            version=data_version(store),
            accounts=serving_accounts(store, rid, series=series, lookups_only=lookups_only),
            people=serving_people(store, rid, series=series),
            person_networks=serving_person_networks(store, rid),
            members=serving_members(store, rid),
            topics=serving_topics(store),
            withdrawn=tuple(withdrawn_runs(store, newer_than=None if run is None else run.as_of)),
        )

    # -- accounts -------------------------------------------------------------------------

    def _find_account(self, network: str, account_id: str) -> int | None:
        code = self._net_code.get(network)
        if code is None:
            return None
        for row in self._by_id.candidates(hash(network + SEP + account_id)):
            if self._network[row] == code and self._account_id[row].as_py() == account_id:
                return row
        return None

    def _find_handle(self, network: str, handle: str) -> int | None:
        code = self._net_code.get(network)
        if code is None:
            return None
        folded = fold_handle(handle)
        for row in self._by_handle.candidates(hash(network + SEP + folded)):
            stored = self._handle[row].as_py()
            if self._network[row] == code and stored is not None and fold_handle(stored) == folded:
                return row
        return None

    def account(self, network: str, account_id: str) -> AccountView | None:
        """An account by network and account id."""
        row = self._find_account(network, account_id)
        return None if row is None else self.account_at(row)

    def account_by_handle(self, network: str, handle: str) -> AccountView | None:
        """An account by network and handle (``@`` optional; A-Z case-insensitive)."""
        row = self._find_handle(network, handle)
        return None if row is None else self.account_at(row)

    def resolve(self, network: str, account: str) -> AccountView | None:
        """An account by handle, else by account id."""
        return self.account_by_handle(network, account) or self.account(network, account)

    def account_at(self, row: int) -> AccountView:
        values: list[float] = self._numbers[row].tolist()
        # NaN (v != v) is a missing value.
        followers, score, reach, amp, impact, day, week, month, rank, net_rank = (
            None if v != v else v for v in values[:10]
        )
        return AccountView(
            row=row,
            network=self.networks[int(values[11])],
            account_id=str(self._account_id[row].as_py()),
            handle=self._handle[row].as_py(),
            display_name=self._display[row].as_py(),
            followers=None if followers is None else int(followers),
            score=score,
            reach=reach,
            amplification=amp,
            network_impact=impact,
            changes=Changes(day, week, month),
            person_id=str(self._person[row].as_py()),
            linked=bool(values[10]),
            rank=None if rank is None else int(rank),
            network_rank=None if net_rank is None else int(net_rank),
        )

    # -- people ---------------------------------------------------------------------------

    def _explicit_row(self, person_id: str) -> int | None:
        for row in self._p_by_id.candidates(hash(person_id)):
            if self._p_id[row].as_py() == person_id:
                return row
        return None

    def person(self, person_id: str) -> PersonView | None:
        """A person by id: an explicit person, or ``network:account_id`` of an account (which
        gives that account's person, explicit if it is linked)."""
        row = self._explicit_row(person_id)
        if row is not None:
            return self._explicit(row)
        network, sep, account_id = person_id.partition(":")
        if not sep:
            return None
        account_row = self._find_account(network, account_id)
        return None if account_row is None else self.person_of(self.account_at(account_row))

    def person_of(self, account: AccountView) -> PersonView:
        """The person an account belongs to (itself when unlinked)."""
        if account.linked:
            row = self._explicit_row(account.person_id)
            if row is not None:
                return self._explicit(row)
        return PersonView(
            person_id=f"{account.network}:{account.account_id}",
            explicit=False,
            display_name=account.display_name,
            score=account.score,
            reach=account.reach,
            amplification=account.amplification,
            network_impact=account.network_impact,
            changes=account.changes,
            accounts=(account,),
            networks=(NetworkScore(account.network, account.score, 1),),
        )

    def _explicit(self, row: int) -> PersonView:
        person_id = str(self._p_id[row].as_py())
        accounts = tuple(self.account_at(r) for r in self._members.get(person_id, []))
        networks = self._p_networks.get(person_id)
        if networks is None:
            names = sorted({a.network for a in accounts})
            networks = [
                NetworkScore(n, None, sum(1 for a in accounts if a.network == n)) for n in names
            ]
        return PersonView(
            person_id=person_id,
            explicit=True,
            display_name=self._p_display[row].as_py(),
            score=_opt(self._p_score[row]),
            reach=_opt(self._p_reach[row]),
            amplification=_opt(self._p_amp[row]),
            network_impact=_opt(self._p_impact[row]),
            changes=Changes(
                _opt(self._p_day[row]), _opt(self._p_week[row]), _opt(self._p_month[row])
            ),
            accounts=accounts,
            networks=tuple(networks),
        )

    def person_by_klout_id(self, kid: str) -> PersonView | None:
        """The person a Klout-style id names: a person's own id, or the id an account had
        before it was linked (so ids handed out earlier keep working)."""
        if not kid.isdigit() or len(kid) > 20:
            return None
        h = int(kid)
        for row in self._p_by_klout.candidates(h):
            if klout_id(str(self._p_id[row].as_py())) == kid:
                return self._explicit(row)
        for row in self._by_klout.candidates(h):
            account = self.account_at(row)
            if account.klout_id == kid:
                return self.person_of(account)
        return None

    # -- lists ----------------------------------------------------------------------------

    def leaderboard(
        self, *, network: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[list[AccountView], int]:
        """Scored accounts, highest first (one network, or all); and how many there are."""
        if network is None:
            order = self._overall_order
        else:
            code = self._net_code.get(network)
            order = self._network_order.get(code, _EMPTY) if code is not None else _EMPTY
        return [self.account_at(int(r)) for r in order[offset : offset + limit]], len(order)

    def people_leaderboard(
        self, *, network: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[list[PersonView], int]:
        """Scored people (explicit persons and unlinked accounts), highest first: all, or
        those with an account on ``network``."""
        order = self._people_order if network is None else self._people_on(network)
        out: list[PersonView] = []
        for ref in order[offset : offset + limit]:
            r = int(ref)
            out.append(self._explicit(-1 - r) if r < 0 else self.person_of(self.account_at(r)))
        return out, len(order)

    def _people_on(self, network: str) -> IntArray:
        """The people order kept to those with an account on ``network`` (made on first use:
        a handful of networks, each filtered once per index)."""
        code = self._net_code.get(network)
        if code is None:
            return _EMPTY
        found = self._people_by_network.get(code)
        if found is None:
            refs = self._people_order
            implicit = refs >= 0
            on = np.zeros(len(refs), dtype=bool)
            on[implicit] = self._network[refs[implicit]] == code
            members = self._member_rows[self._network[self._member_accounts] == code]
            on[~implicit] = np.isin(-1 - refs[~implicit], members)
            found = self._people_by_network[code] = refs[on]
        return found

    def search(
        self, query: str, *, network: str | None = None, offset: int = 0, limit: int = 20
    ) -> tuple[list[AccountView], int]:
        """Accounts whose handle or display name contains ``query`` (case-insensitive) or whose
        id is ``query``, highest score first."""
        needle = query.strip().removeprefix("@")
        if not needle:
            return [], 0
        # Kleene "or": an account without a handle still matches by its display name.
        mask = pc.fill_null(
            pc.or_kleene(
                pc.match_substring(self._handle, needle, ignore_case=True),
                pc.match_substring(self._display, needle, ignore_case=True),
            ),
            False,
        )
        hits = np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool))
        exact = pc.equal(self._account_id, needle).to_numpy(zero_copy_only=False)
        hits = np.union1d(hits, np.flatnonzero(np.asarray(exact, dtype=bool)))
        if network is not None:
            code = self._net_code.get(network)
            hits = hits[self._network[hits] == code] if code is not None else hits[:0]
        scores = np.nan_to_num(self._score[hits], nan=-1.0)
        hits = hits[np.argsort(-scores, kind="stable")]
        return [self.account_at(int(r)) for r in hits[offset : offset + limit]], len(hits)

    # -- the InfluenceSource protocol (sway.crm) -----------------------------------------

    def signal(self, network: str, account: str) -> InfluenceSignal | None:
        found = self.resolve(network, account)
        if found is None:
            return None
        person_score = found.score
        if found.linked:
            person = self.person_of(found)
            person_score = person.score if person.score is not None else found.score
        return InfluenceSignal(
            network=found.network,
            account_id=found.account_id,
            handle=found.handle,
            person_id=found.person_id,
            score=found.score,
            person_score=person_score,
            topics=tuple(t.name for t in self.account_topics(found)),
        )


_EMPTY: IntArray = np.zeros(0, dtype=np.int64)


def load_index(open_store: Callable[[], Store]) -> ServingIndex:
    """Open the store with ``open_store``, build the index and close the store."""
    with open_store() as store:
        return ServingIndex.build(store)
