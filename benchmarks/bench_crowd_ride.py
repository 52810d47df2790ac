"""A ring riding a viral post's crowd, the known limit of the integrity layer's crowd rule.

    python benchmarks/bench_crowd_ride.py /tmp/sway-eval/twitter15-16.duckdb twitter

The target is the dataset's median account (as in ``bench_integrity.py``). It reposts the three
most reposted posts of the data's last week, and ``--size`` accounts first seen in the last ten
hours repost them *through* it (the shape of a retweet of a retweet in retweet-tree data). The
crowd rule lets newcomers count as far as the post's established crowd goes when the target
passed the post on, so on such data the ring is counted. Prints the target's score before and
after, integrity on and off (``docs/integrity.md``, Limits). Nothing is written to the store.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sway.cli_integrity import score_table
from sway.events import EVENT_SCHEMA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store")
    parser.add_argument("network")
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    con = duckdb.connect(args.store, read_only=True)
    try:
        columns = ", ".join(EVENT_SCHEMA.names)
        events = con.sql(f"SELECT {columns} FROM events").to_arrow_table().cast(EVENT_SCHEMA)
    finally:
        con.close()
    end = pc.max(events["ts"]).as_py()
    scores = score_table(events, None, integrity=True)
    ranked = sorted((v, k[1]) for k, v in scores.items() if k[0] == args.network and v > 1.0)
    target = ranked[(len(ranked) - 1) // 2][1]
    since = pa.scalar(end - timedelta(days=7), events["ts"].type)
    recent = events.filter(
        pc.and_(pc.greater_equal(events["ts"], since), pc.equal(events["action"], "repost"))
    )
    viral = [c for c, _ in Counter(recent["content_id"].to_pylist()).most_common(3)]
    rows: list[dict[str, object]] = []
    for k, post in enumerate(viral):
        rows.append(
            {
                "network": args.network,
                "event_id": f"ride-t{k}",
                "ts": end - timedelta(hours=20 - k),
                "actor": target,
                "action": "repost",
                "target": "someone",
                "content_id": post,
            }
        )
    rng = np.random.default_rng(args.seed)
    for i in range(args.size):
        for k, post in enumerate(viral):
            rows.append(
                {
                    "network": args.network,
                    "event_id": f"ride-{i}-{k}",
                    "ts": end - timedelta(hours=float(rng.uniform(0, 10))),
                    "actor": f"ride-{i}",
                    "action": "repost",
                    "target": target,
                    "content_id": post,
                }
            )
    attacked = pa.concat_tables([events, pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)])
    print(f"target {args.network}:{target}, posts ridden: {', '.join(map(str, viral))}")
    for on in (True, False):
        before = score_table(events, None, integrity=on)[(args.network, target)]
        after = score_table(attacked, None, integrity=on)[(args.network, target)]
        label = "integrity on " if on else "integrity off"
        print(f"{label}: {before:.1f} -> {after:.1f} ({after - before:+.1f})")


if __name__ == "__main__":
    main()
