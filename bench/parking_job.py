"""Run time and peak memory of the `parking` job: on the demo community and on a district-sized store
(300 lots, one year of 15-minute samples by default). Target: under 10 s for the district here.

    .venv/bin/python bench/parking_job.py [--lots 300] [--days 365] [--pg URL-of-an-empty-database]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from data_access.db import make_engine, writing  # noqa: E402
from data_access.demo import build_demo  # noqa: E402
from data_access.migrate import upgrade_to_head  # noqa: E402
from data_access.models import Community, Estate, ParkingLot, ParkingSample, Street  # noqa: E402
from jobs import parking  # noqa: E402

NOW = datetime(2026, 11, 25, 1, 30)


def district_store(url: str, lots: int, days: int) -> float:
    """Fill an empty, migrated store with `lots` lots and `days` of samples; returns seconds taken."""
    rng = random.Random(7)
    started = time.perf_counter()
    engine = make_engine(url)
    with writing(engine) as s:
        street = Street(code="bench", name_zh="街道", name_en="Street", district_zh="区", district_en="District")
        s.add(street)
        s.flush()
        lot_rows = []
        for c in range(60):
            community = Community(code=f"b{c}", street_id=street.id, name_zh=f"社区{c}", name_en=f"C{c}",
                                  center_lat=30.2, center_lon=120.2)  # fmt: skip
            s.add(community)
            s.flush()
            for e in range(math.ceil(lots / 60)):
                if len(lot_rows) >= lots:
                    break
                office = e % 2 == 1
                estate = Estate(community_id=community.id, code=f"e{e}", name_zh="小区", name_en="Estate",
                                kind="office" if office else "residential", lat=30.2, lon=120.2)  # fmt: skip
                s.add(estate)
                s.flush()
                lot_rows.append(dict(estate_id=estate.id, code=f"B-{c}-{e}", name_zh="车场", name_en="Lot",
                                     capacity=rng.randint(80, 600), share_window="night" if office else "day",
                                     window_start="18:00" if office else "08:00",
                                     window_end="08:00" if office else "18:00", safety_buffer=5, lat=30.2, lon=120.2))  # fmt: skip
        lot_ids = list(s.scalars(insert(ParkingLot).returning(ParkingLot.id, sort_by_parameter_order=True), lot_rows))
    first = datetime.combine((NOW - timedelta(days=days)).date(), datetime.min.time())
    n = days * 96
    for lot_id, lot in zip(lot_ids, lot_rows, strict=True):
        capacity, office = lot["capacity"], lot["share_window"] == "night"
        rows = []
        for i in range(n):
            at = first + timedelta(minutes=15 * i)
            busy = 9 <= at.hour < 18 and at.weekday() < 5
            level = (0.85 if busy else 0.1) if office else (0.5 if busy else 0.9)
            rows.append(
                {"lot_id": lot_id, "sampled_at": at, "occupied": int(capacity * level * rng.uniform(0.85, 1.1))}
            )
        with writing(engine) as s:
            s.execute(insert(ParkingSample), rows)
    engine.dispose()
    return time.perf_counter() - started


def measure(url: str, label: str) -> None:
    engine = make_engine(url)
    parking.run(engine, NOW)  # warm the page cache, as the nightly run would find it
    started = time.perf_counter()
    summary = parking.run(engine, NOW)
    seconds = time.perf_counter() - started
    # memory in a run of its own: tracemalloc slows every allocation, so it must not be in the timing
    tracemalloc.start()
    parking.run(engine, NOW)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {summary['rows']} lots in {seconds:.2f} s; Python peak {peak / 2**20:.0f} MiB "
          f"(process max RSS {rss:.0f} MiB); day {summary['day_shareable']}, night {summary['night_shareable']}")  # fmt: skip
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lots", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--pg", help="an empty PostgreSQL database URL for the district run as well")
    parser.add_argument("--keep", help="keep the district SQLite store at this path (and reuse it if it exists)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        demo_url = f"sqlite:///{folder}/demo.db"
        engine = make_engine(demo_url)
        upgrade_to_head(engine)
        build_demo(engine, as_of=NOW - timedelta(hours=1), password="bench")
        engine.dispose()
        measure(demo_url, "demo community (SQLite)")

        path = Path(args.keep) if args.keep else Path(folder) / "district.db"
        district_url = f"sqlite:///{path}"
        if not path.exists():
            upgrade_to_head(make_engine(district_url))
            built = district_store(district_url, args.lots, args.days)
            print(f"district store: {args.lots} lots x {args.days} days of 15-minute samples "
                  f"({args.lots * args.days * 96:,} rows) built in {built:.0f} s")  # fmt: skip
        measure(district_url, "district (SQLite)")
    if args.pg:
        upgrade_to_head(make_engine(args.pg))
        district_store(args.pg, args.lots, args.days)
        measure(args.pg, "district (PostgreSQL)")
    print("target: district under 10 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
