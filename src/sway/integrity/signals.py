"""Per-account credibility signals: age, activity rate and regularity, duplicates, reply-spam,
follow shape and declared bots.

Each signal is a factor in ``(0, 1]``; an account's credibility is their product (signals are
independent evidence, and any one of them alone can make an account a poor endorser). Every
factor below 1 leaves a reason, which explanations show.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sway.integrity.frame import DAY_US, EventFrame, account_key, split_key, unique_columns
from sway.integrity.params import IntegrityParams

__all__ = ["AccountSignals", "account_signals", "normalise_text"]

FloatArray = npt.NDArray[np.float64]

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#]\w+")
_NOISE = re.compile(r"[\d\W_]+")
_ADDRESSING = ("reply", "comment", "quote", "mention")
_SEP = "\x1f"


def normalise_text(text: str) -> str:
    """Text with case, links, mentions, hashtags, digits and punctuation removed: two texts that
    differ only there (a spam template with a new link or @name) normalise the same."""
    lowered = _MENTION.sub(" ", _URL.sub(" ", text.lower()))
    return " ".join(_NOISE.sub(" ", lowered).split())


@dataclass
class AccountSignals:
    """Credibility of every coded account of an :class:`EventFrame`.

    Attributes
    ----------
    credibility
        Product of the factors, in ``[0, 1]``.
    age_days
        Declared age, from the accounts table's ``created_at`` (NaN: unknown).
    max_raw
        Cap on the account's own raw influence while it ramps in (NaN: none).
    newcomer
        Created, or first interacting with anyone, less than ``ramp_days`` ago.
    reasons
        Why an account's credibility is below 1, by code.
    kinds
        The short name of each reason (same order).
    pair_factor
        ``(reactor, target) -> factor`` for reactions discounted on one pair only (a newcomer's
        reactions to the one established account that reacted to it).
    """

    credibility: FloatArray
    age_days: FloatArray
    max_raw: FloatArray
    newcomer: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    reasons: dict[int, list[str]] = field(default_factory=dict)
    kinds: dict[int, list[str]] = field(default_factory=dict)
    pair_factor: dict[tuple[int, int], float] = field(default_factory=dict)

    def discount(self, code: int, factor: float, reason: str, kind: str) -> None:
        """Multiply ``code``'s credibility by ``factor`` (when below 1), saying why; ``kind`` is
        the short name explanations group reactors by (``newcomer``, ``collusion``, ...)."""
        if factor < 1.0:
            self.credibility[code] *= max(factor, 0.0)
            self.reasons.setdefault(code, []).append(reason)
            self.kinds.setdefault(code, []).append(kind)

    def note(self, code: int, reason: str, kind: str) -> None:
        """Record why ``code``'s reactions are discounted pair by pair (its credibility as a
        whole unchanged)."""
        self.reasons.setdefault(code, []).append(reason)
        self.kinds.setdefault(code, []).append(kind)


def _account_rows(accounts: pa.Table | None, index: dict[str, int]) -> dict[int, dict[str, object]]:
    if accounts is None:
        return {}
    rows: dict[int, dict[str, object]] = {}
    for row in accounts.to_pylist():
        code = index.get(account_key(str(row["network"]), str(row["account_id"])))
        if code is not None:
            rows[code] = row
    return rows


def _first_interactions(frame: EventFrame, history: pa.Table | None) -> npt.NDArray[np.int64]:
    """First named reaction given or received by each account: from ``history`` (all events
    before ``as_of``, where given), else from the window itself."""
    n = frame.n_accounts
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if history is not None and history.num_rows:
        keys = pc.binary_join_element_wise(history["network"], history["account_id"], "\x1f")
        where = pc.index_in(pa.array(frame.keys, type=pa.string()), value_set=keys)
        found = pc.fill_null(where, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        ok = found >= 0
        values = np.asarray(history["first_us"].to_numpy(zero_copy_only=False), dtype=np.int64)
        first[ok] = values[found[ok]]
    for codes in (frame.actor[frame.named], frame.target[frame.named]):
        np.minimum.at(first, codes, frame.ts_us[frame.named])
    return first


def _ages(
    rows: dict[int, dict[str, object]],
    n: int,
    as_of_us: int,
    first: npt.NDArray[np.int64],
    data_start_us: int,
    p: IntegrityParams,
) -> tuple[FloatArray, FloatArray]:
    """Declared age (from ``created_at``) and tenure (days since the first interaction with
    anyone), each NaN where unknown. An account first interacting within ``probation_days`` of
    the start of the data may have done so long before: its tenure is unknown. Age is never
    inferred from the first event: a quiet old account that starts talking is not new (and
    capping such accounts cost CollegeMsg most of its predictive power, see
    docs/integrity.md)."""
    age = np.full(n, np.nan)
    for code, row in rows.items():
        created = row.get("created_at")
        if created is not None:
            created_us = int(pa.scalar(created, pa.timestamp("us", tz="UTC")).value)
            age[code] = max(0.0, (as_of_us - created_us) / DAY_US)
    tenure = np.full(n, np.nan)
    interacted_late = (first < np.iinfo(np.int64).max) & (
        (first - data_start_us) >= p.probation_days * DAY_US
    )
    tenure[interacted_late] = (as_of_us - first[interacted_late]) / DAY_US
    return age, tenure


def _crowd_weights(
    frame: EventFrame, newcomer: npt.NDArray[np.bool_], ratio: float
) -> dict[tuple[int, int], float]:
    """``(newcomer, target) -> weight`` earned by the crowd: the mean, over the newcomer's
    reactions to the target, of ``min(1, ratio * E / N)`` for the post reacted to.

    ``E`` counts the established accounts in the post's crowd and ``N`` the newcomers that
    reacted to the post. The crowd is everyone who reacted to the post when the target took
    part in it (wrote it, or passed it on: a retweet of a retweet names the retweeter), the
    target itself left out (an account cannot vouch for reactions to itself); otherwise only
    those who reacted to the post *through the target*, so that naming an account as the one a
    viral post came from does not borrow the post's crowd. Together a post's newcomers never
    count more than ``ratio`` times its established reactors: newcomers can swell a crowd of
    real accounts but cannot make one. A reaction without a post (a mention, a follow) earns
    nothing.
    """
    mine = frame.named & newcomer[np.maximum(frame.actor, 0)]
    if not mine.any():
        return {}
    networks = np.asarray([split_key(k)[0] for k in frame.keys], dtype=object)
    has_post = (frame.post != None) & (frame.actor >= 0)  # noqa: E711 (elementwise, objects)
    post_keys = networks[frame.actor[has_post]] + _SEP + frame.post[has_post].astype(str)
    # Posts numbered by hashing (order does not matter here): sorting millions of strings
    # was most of the cost of this step.
    # (Straight from the objects, no fixed-width copy; 64-bit offsets: past 2 GiB of text a
    # plain string array comes back in chunks.)
    encoded = pa.array(post_keys, type=pa.large_string()).dictionary_encode()
    n_posts = len(encoded.dictionary)
    post_code = np.full(frame.actor.size, -1, dtype=np.int64)
    post_code[has_post] = encoded.indices.to_numpy(zero_copy_only=False)
    on_post = frame.named & has_post
    reactors = unique_columns(post_code[on_post], frame.actor[on_post])
    reacted = set(zip(reactors[0].tolist(), reactors[1].tolist(), strict=True))
    written = has_post & (frame.action == "post")
    took_part = reacted | set(
        zip(post_code[written].tolist(), frame.actor[written].tolist(), strict=True)
    )
    fresh = newcomer[reactors[1]]
    established = np.bincount(reactors[0][~fresh], minlength=n_posts).astype(np.float64)
    newcomers = np.bincount(reactors[0][fresh], minlength=n_posts).astype(np.float64)
    # The established crowd of a post through one account.
    through = unique_columns(post_code[on_post], frame.target[on_post], frame.actor[on_post])
    through = through[:, ~newcomer[through[2]]]
    through_count = Counter(zip(through[0].tolist(), through[1].tolist(), strict=True))

    total: dict[tuple[int, int], float] = defaultdict(float)
    count: Counter[tuple[int, int]] = Counter()
    rows = np.flatnonzero(mine)
    for actor, target, post in zip(
        frame.actor[rows].tolist(),
        frame.target[rows].tolist(),
        post_code[rows].tolist(),
        strict=True,
    ):
        count[(actor, target)] += 1
        if post < 0:
            continue
        if (post, target) in took_part:
            crowd = established[post] - float(not newcomer[target] and (post, target) in reacted)
        else:
            crowd = float(through_count[(post, target)])
        total[(actor, target)] += min(1.0, ratio * crowd / max(newcomers[post], 1.0))
    return {pair: total[pair] / n for pair, n in count.items()}


def _newcomers(
    frame: EventFrame,
    out: AccountSignals,
    age: FloatArray,
    tenure: FloatArray,
    p: IntegrityParams,
) -> None:
    """Newcomers earn their weight as endorsers.

    A newcomer (created, or first interacting with anyone, less than ``ramp_days`` ago) counts
    nothing during ``probation_days``, then linearly more up to full weight at ``ramp_days``,
    unless an established account has reacted to it (it is part of the conversation: honest
    newcomers in a growing network are answered; bought or sleeping accounts switched on for
    an attack are not, so however many they are, they add almost nothing). An account cannot
    vouch for a newcomer's reactions to itself: a newcomer that only one established account
    reacted to keeps the probation factor on its reactions to that account (a chat host
    answering its guests does not make their replies to it count).

    A newcomer nobody answered still counts where it joins a crowd of established accounts:
    its reaction to a post counts as far as established accounts reacted to the same post
    (:func:`_crowd_weights`). A real cascade is mostly one-off reactors nobody answers, riding
    on a post that established accounts pass on too; a bought ring reacts where no established
    crowd is, and adds at most ``crowd_ratio`` times the crowd that is there.
    """
    known = np.fmin(
        np.where(np.isnan(age), np.inf, age), np.where(np.isnan(tenure), np.inf, tenure)
    )
    span = max(p.ramp_days - p.probation_days, 1e-9)
    newcomer = known < p.ramp_days
    out.newcomer = newcomer
    if not newcomer.any():
        return
    pairs = unique_columns(frame.actor[frame.named], frame.target[frame.named])
    vouching = ~newcomer[pairs[0]] & newcomer[pairs[1]]
    vouchers: dict[int, list[int]] = defaultdict(list)
    for src, dst in pairs[:, vouching].T.tolist():
        vouchers[dst].append(src)
    crowd = _crowd_weights(frame, newcomer, p.crowd_ratio)
    targets: dict[int, list[int]] = defaultdict(list)
    for src, dst in pairs[:, newcomer[pairs[0]]].T.tolist():
        targets[src].append(dst)
    for code in np.flatnonzero(newcomer).tolist():
        since = float(known[code])
        factor = min(max((since - p.probation_days) / span, 0.0), 1.0)
        if factor >= 1.0:
            continue
        by = vouchers.get(code, [])
        if len(by) == 1:
            out.pair_factor[(code, by[0])] = max(factor, crowd.get((code, by[0]), 0.0))
            continue
        if by:
            continue
        earned = {dst: max(factor, crowd.get((code, dst), 0.0)) for dst in targets[code]}
        reason = (
            f"newcomer: {since:.0f} days in the network and no established account has "
            f"reacted to it (counts fully after {p.ramp_days:.0f} days)"
        )
        if not earned or max(earned.values()) <= factor:
            out.discount(code, factor, reason, "newcomer")
            continue
        # Joined a crowd somewhere: weighed reaction by reaction, not as a whole.
        for dst, weight in earned.items():
            if weight < 1.0:
                out.pair_factor[(code, dst)] = weight
        out.note(
            code,
            f"{reason}; its reactions count as far as established accounts reacted to the "
            f"same posts ({np.mean(list(earned.values())):.2f} on average)",
            "newcomer in a crowd",
        )


def account_signals(
    frame: EventFrame,
    *,
    as_of_us: int,
    accounts: pa.Table | None = None,
    history: pa.Table | None = None,
    data_start_us: int | None = None,
    fresh_raw_cap: float | None = None,
    params: IntegrityParams | None = None,
) -> AccountSignals:
    """Credibility of every account in ``frame`` from the events and, where given, the
    accounts table (``created_at``, ``followers``, ``following``, ``is_bot``) and the first
    interaction of each account before the window (``history``: ``network, account_id,
    first_us``; ``data_start_us``: the first event of the data)."""
    p = params or IntegrityParams()
    n = frame.n_accounts
    index = {k: i for i, k in enumerate(frame.keys)}
    rows = _account_rows(accounts, index)
    if data_start_us is None:
        data_start_us = int(frame.ts_us.min()) if frame.ts_us.size else as_of_us
    first = _first_interactions(frame, history)
    age, tenure = _ages(rows, n, as_of_us, first, data_start_us, p)
    out = AccountSignals(np.ones(n), age, np.full(n, np.nan))

    _newcomers(frame, out, age, tenure, p)
    # A new account's own raw influence is capped while it ramps in (a score under
    # ``fresh_max_score`` before ``fresh_age_days``).
    if fresh_raw_cap is not None:
        for code in np.flatnonzero(age < p.ramp_days).tolist():
            out.max_raw[code] = fresh_raw_cap * (float(age[code]) / p.fresh_age_days) ** 2

    acted = frame.actor >= 0
    # Reactions given per active day (a bot reacts all day, every day).
    given = np.bincount(frame.actor[frame.named], minlength=n).astype(np.float64)
    actor_days = unique_columns(frame.actor[acted], frame.day[acted])
    days = np.bincount(actor_days[0], minlength=n).astype(np.float64)
    rate = given / np.maximum(days, 1.0)
    for code in np.flatnonzero(rate > p.busy_rate).tolist():
        out.discount(
            int(code), p.busy_rate / float(rate[code]), f"{rate[code]:.0f} reactions a day", "busy"
        )

    # Regularity: a timer-like rhythm of actions.
    order = np.lexsort((frame.ts_us[acted], frame.actor[acted]))
    who, when = frame.actor[acted][order], frame.ts_us[acted][order].astype(np.float64)
    counts = np.bincount(who, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)])
    for code in np.flatnonzero(counts >= p.regular_min_events).tolist():
        gaps = np.diff(when[starts[code] : starts[code + 1]])
        mean = float(gaps.mean())
        cv = float(gaps.std() / mean) if mean > 0 else 0.0
        if cv < p.regular_cv:
            out.discount(
                int(code),
                0.3 + 0.7 * cv / p.regular_cv,
                f"acts like a timer (gap CV {cv:.2f})",
                "timer",
            )

    # Duplicate or near-duplicate content.
    texts: dict[int, Counter[str]] = defaultdict(Counter)
    for code, text in zip(frame.actor, frame.text, strict=True):
        if code >= 0 and text:
            norm = normalise_text(str(text))
            if norm:
                texts[int(code)][norm] += 1
    for code, counter in texts.items():
        total = sum(counter.values())
        if total >= 5:
            share = (total - len(counter)) / total
            if share > p.duplicate_share:
                factor = 1 - 0.9 * (share - p.duplicate_share) / (1 - p.duplicate_share)
                out.discount(code, factor, f"{share:.0%} duplicate texts", "duplicates")

    # Reply-spam: addressing many high-profile accounts that never react back.
    named_src, named_dst = frame.actor[frame.named], frame.target[frame.named]
    pairs = unique_columns(named_src, named_dst)
    reactors = np.bincount(pairs[1], minlength=n)
    reacted: set[tuple[int, int]] = set(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True))
    addressing = frame.named & np.isin(frame.action, _ADDRESSING)
    addressed: dict[int, set[int]] = defaultdict(set)
    for src, dst in zip(frame.actor[addressing], frame.target[addressing], strict=True):
        if reactors[dst] >= p.high_profile_reactors:
            addressed[int(src)].add(int(dst))
    for code, targets in addressed.items():
        if len(targets) >= p.spam_min_targets:
            ignored = sum((t, code) not in reacted for t in targets) / len(targets)
            if ignored > p.spam_share:
                factor = 1 - 0.9 * (ignored - p.spam_share) / (1 - p.spam_share)
                out.discount(
                    code,
                    max(factor, 0.1),
                    f"reply-spam: {ignored:.0%} of {len(targets)} high-profile accounts "
                    "addressed never react back",
                    "reply-spam",
                )

    # Follow shape: following far more than followed.
    follows = frame.named & (frame.action == "follow")
    f_given = np.bincount(frame.actor[follows], minlength=n)
    f_got = np.bincount(frame.target[follows], minlength=n)
    farm = (f_given >= p.farm_min_follows) & (f_given > p.follow_ratio * np.maximum(f_got, 1))
    for code in np.flatnonzero(farm).tolist():
        out.discount(
            int(code),
            0.2,
            f"follows {f_given[code]} accounts, followed by {f_got[code]}",
            "follow farm",
        )
    for code, row in rows.items():
        following, followers = row.get("following"), row.get("followers")
        if (
            isinstance(following, int)
            and following > 500
            and not farm[code]
            and following > p.follow_ratio * max(int(followers or 0), 1)  # type: ignore[call-overload]
        ):
            out.discount(
                code, 0.2, f"follows {following}, followed by {followers or 0}", "follow farm"
            )
        if row.get("is_bot"):
            out.discount(code, p.bot_credibility, "declared bot", "bot")
    np.clip(out.credibility, 0.0, 1.0, out=out.credibility)
    return out
