"""The window's events as integer-coded numpy arrays, the common input of every signal.

Accounts are ``network`` + ``\\x1f`` + id strings coded as integers once, so each signal groups
and joins on integers; nothing here reads a store or an engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DAY_US", "EventFrame", "account_key", "split_key", "unique_columns"]

DAY_US = 86_400_000_000
_SEP = "\x1f"

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]


def account_key(network: str, account: str) -> str:
    """The key of one account: network and id, joined by a separator no id contains."""
    return f"{network}{_SEP}{account}"


def split_key(key: str) -> tuple[str, str]:
    """``(network, account_id)`` of a key made by :func:`account_key`."""
    network, _, account = key.partition(_SEP)
    return network, account


@overload
def unique_columns(
    *rows: npt.NDArray[np.integer[Any]], return_inverse: Literal[False] = ...
) -> IntArray: ...
@overload
def unique_columns(
    *rows: npt.NDArray[np.integer[Any]], return_inverse: Literal[True]
) -> tuple[IntArray, IntArray]: ...
def unique_columns(
    *rows: npt.NDArray[np.integer[Any]], return_inverse: bool = False
) -> IntArray | tuple[IntArray, IntArray]:
    """``np.unique(np.stack(rows), axis=1)``: the distinct columns, in the same (lexicographic)
    order, and optionally each input column's index among them.

    Where the rows' value ranges fit one int64 together, each column is packed into one
    mixed-radix key (the first row most significant, so numeric order is lexicographic order)
    and the keys are deduplicated: many times faster than numpy's row-wise unique, which sorts
    a structured view.
    """
    stacked = np.stack(rows).astype(np.int64, copy=False)
    found, inverse = _unique_columns(stacked)
    return (found, inverse) if return_inverse else found


def _unique_columns(stacked: IntArray) -> tuple[IntArray, IntArray]:
    low = stacked.min(axis=1) if stacked.size else np.zeros(stacked.shape[0], dtype=np.int64)
    span = (stacked.max(axis=1) - low + 1) if stacked.size else np.ones_like(low)
    if math.prod(int(x) for x in span) >= 2**62:
        keys_2d, inverse_2d = np.unique(stacked, axis=1, return_inverse=True)
        return np.asarray(keys_2d, dtype=np.int64), np.asarray(inverse_2d, np.int64).ravel()
    key = np.zeros(stacked.shape[1], dtype=np.int64)
    for row, lo, size in zip(stacked, low.tolist(), span.tolist(), strict=True):
        key = key * size + (row - lo)
    keys, inverse = np.unique(key, return_inverse=True)
    out = np.empty((stacked.shape[0], keys.size), dtype=np.int64)
    for i in range(stacked.shape[0] - 1, -1, -1):
        size = int(span[i])
        out[i] = keys % size + low[i]
        keys = keys // size
    return out, np.asarray(inverse, dtype=np.int64).ravel()


def _ts_us(table: pa.Table) -> IntArray:
    if "ts_us" in table.column_names:
        values = table["ts_us"]
    else:
        values = pc.cast(pc.cast(table["ts"], pa.timestamp("us", tz="UTC")), pa.int64())
    return np.asarray(values.to_numpy(), dtype=np.int64)


def _keys(table: pa.Table, column: str) -> pa.ChunkedArray:
    values = pc.if_else(pc.equal(table[column], ""), None, table[column])
    return pc.binary_join_element_wise(table["network"], values, _SEP)


@dataclass(frozen=True)
class EventFrame:
    """Events coded for the signals.

    Attributes
    ----------
    keys
        Account keys by code.
    actor, target
        Codes (-1: anonymous, unknown or none).
    ts_us, day
        Instant (microseconds since the epoch) and UTC day number.
    action
        Action names.
    post
        The post reacted to (``parent_id`` for replies, comments and quotes, ``content_id`` for
        reposts, likes, votes, endorsements), the post written (``content_id`` of a ``post``),
        else None.
    text
        The text, where known.
    named
        Counted named reaction: actor and target known and different, not negative.
    """

    keys: list[str]
    actor: IntArray
    target: IntArray
    ts_us: IntArray
    day: IntArray
    action: ObjArray
    post: ObjArray
    text: ObjArray
    named: BoolArray

    @property
    def n_accounts(self) -> int:
        return len(self.keys)

    @classmethod
    def from_arrow(cls, events: pa.Table) -> EventFrame:
        """Code an Arrow table of canonical events (``ts`` or ``ts_us``; ``text`` and ``value``
        optional)."""
        actor_keys = _keys(events, "actor")
        target_keys = _keys(events, "target")
        both = pa.chunked_array(actor_keys.chunks + target_keys.chunks, type=pa.string())
        encoded = pc.dictionary_encode(both).combine_chunks()
        codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
        n = events.num_rows
        keys = [str(k) for k in encoded.dictionary.to_pylist()]
        action = np.asarray(events["action"].to_pylist(), dtype=object)
        content = np.asarray(events["content_id"].to_pylist(), dtype=object)
        parent = np.asarray(events["parent_id"].to_pylist(), dtype=object)
        post = np.full(n, None, dtype=object)
        on_parent = np.isin(action, ["reply", "comment", "quote"])
        on_content = np.isin(action, ["repost", "like", "vote", "endorse"])
        post[on_parent] = parent[on_parent]
        post[on_content] = content[on_content]
        post[action == "post"] = content[action == "post"]
        post[post == ""] = None
        text = (
            np.asarray(events["text"].to_pylist(), dtype=object)
            if "text" in events.column_names
            else np.full(n, None, dtype=object)
        )
        negative = np.zeros(n, dtype=bool)
        if "value" in events.column_names:
            value = events["value"].to_numpy(zero_copy_only=False).astype(np.float64)
            negative = np.nan_to_num(value, nan=1.0) <= 0
        ts_us = _ts_us(events)
        actor, target = codes[:n], codes[n:]
        target = np.where(action == "post", -1, target)
        named = (action != "post") & (actor >= 0) & (target >= 0) & (actor != target) & ~negative
        return cls(
            keys=keys,
            actor=actor,
            target=target,
            ts_us=ts_us,
            day=ts_us // DAY_US,
            action=action,
            post=post.astype(object),
            text=text,
            named=named,
        )
