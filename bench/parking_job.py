"""Run time and peak memory of the `parking` job, and of the permit allocation, on the demo community
and on a district-sized store (300 lots, one year of 15-minute samples by default). Target: under 10 s
for the district's job here.

The job is timed on its own (the store holds no permits then: its allocation step has nothing to do).
The allocation is then timed with applicants for 1.3 times each community's shareable spaces (at least
5 per community and window), each ranking 1 to 3 lots of its community and window: the first run grants
and waitlists everyone and queues the notices; the re-run, with nothing changed, changes nothing.
`domain.allocation.allocate` alone (the solver, no database) is timed as well.

    .venv/bin/python bench/parking_job.py [--lots 300] [--days 365] [--pg URL-of-an-empty-database] [--keep PATH]
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

from sqlalchemy import delete, insert, select, update  # noqa: E402

from data_access.db import make_engine, reading, writing  # noqa: E402
from data_access.demo import build_demo  # noqa: E402
from data_access.migrate import upgrade_to_head  # noqa: E402
from data_access.models import Community, Estate, OutboxMessage, ParkingLot, ParkingPermit, ParkingSample, Street  # noqa: E402
from data_access.notify import OutboxNotifier  # noqa: E402
from data_access.parking import current_shareable  # noqa: E402
from data_access.permits import POOL, run_allocation  # noqa: E402
from domain.allocation import Applicant, allocate  # noqa: E402
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


def add_applicants(engine, seed: int = 11) -> int:  # noqa: ANN001
    """Pending applications for 1.3 x each community's shareable spaces per window (at least 5), each
    ranking 1-3 lots of its community and window; earlier benchmark permits are removed first."""
    rng = random.Random(seed)
    with writing(engine) as s:
        s.execute(delete(ParkingPermit))
        s.execute(delete(OutboxMessage).where(OutboxMessage.ref.like("permit:%")))
        community = dict(s.execute(select(ParkingLot.code, Estate.community_id).join(Estate)).all())
        groups: dict[tuple[int, str], list[tuple[str, int]]] = {}
        for row in current_shareable(s):
            spaces = row["shareable"] if row["status"] == "published" else 0
            groups.setdefault((community[row["lot"]], row["window"]), []).append((row["lot"], spaces or 0))
        rows, n = [], 0
        for (community_id, window), lots in sorted(groups.items()):
            codes = [code for code, _ in lots]
            for _ in range(max(5, math.ceil(1.3 * sum(spaces for _, spaces in lots)))):
                n += 1
                rows.append(dict(tracking_code=f"PB{n:08d}", community_id=community_id, applicant_kind="resident",
                                 applicant_name="bench", plate=f"浙A{n % 100000:05d}", contact=f"138{n:08d}",
                                 share_window=window, preferences=rng.sample(codes, rng.randint(1, min(3, len(codes)))),
                                 status="pending", lot_id=None, applied_at=NOW - timedelta(minutes=n)))  # fmt: skip
        for start in range(0, len(rows), 5000):
            s.execute(insert(ParkingPermit), rows[start : start + 5000])
    return len(rows)


def measure_allocation(url: str, label: str) -> None:
    engine = make_engine(url)
    applicants = add_applicants(engine)
    started = time.perf_counter()
    with writing(engine) as s:
        first = run_allocation(s, NOW, OutboxNotifier(s, NOW))
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    with writing(engine) as s:
        again = run_allocation(s, NOW, OutboxNotifier(s, NOW))
    again_s = time.perf_counter() - started

    # the solver alone, on the same pools and capacities (no database)
    with reading(engine) as s:
        capacity: dict[str, dict[str, int]] = {"day": {}, "night": {}}
        for row in current_shareable(s):
            capacity[row["window"]][row["lot"]] = row["shareable"] if row["status"] == "published" else 0
        pools = {
            w: [Applicant(pid, tuple(prefs)) for pid, prefs in s.execute(
                select(ParkingPermit.id, ParkingPermit.preferences)
                .where(ParkingPermit.share_window == w, ParkingPermit.status.in_(POOL))
                .order_by(ParkingPermit.applied_at, ParkingPermit.id))]
            for w in capacity
        }  # fmt: skip
    started = time.perf_counter()
    served = sum(allocate(pools[w], capacity[w]).served for w in capacity)
    solver_s = time.perf_counter() - started

    # peak memory of a full allocation run, in a run of its own (tracemalloc slows it): from scratch again
    with writing(engine) as s:
        s.execute(update(ParkingPermit).values(status="pending", lot_id=None, decided_at=None))
    tracemalloc.start()
    with writing(engine) as s:
        run_allocation(s, NOW, OutboxNotifier(s, NOW))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    spaces = sum(sum(c.values()) for c in capacity.values())
    print(f"{label} permit allocation: {applicants} applicants for {spaces} spaces; first run {first_s:.2f} s "
          f"({first['granted']} granted, {first['waitlisted']} waitlisted, {first['notices']} notices), "
          f"re-run {again_s:.2f} s ({again['notices']} notices); solver alone {solver_s:.2f} s ({served} served); "
          f"Python peak {peak / 2**20:.0f} MiB")  # fmt: skip
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
        measure_allocation(demo_url, "demo community (SQLite)")

        path = Path(args.keep) if args.keep else Path(folder) / "district.db"
        district_url = f"sqlite:///{path}"
        if not path.exists():
            upgrade_to_head(make_engine(district_url))
            built = district_store(district_url, args.lots, args.days)
            print(f"district store: {args.lots} lots x {args.days} days of 15-minute samples "
                  f"({args.lots * args.days * 96:,} rows) built in {built:.0f} s")  # fmt: skip
        with writing(make_engine(district_url)) as s:  # a kept store: the job is timed without permits
            s.execute(delete(ParkingPermit))
        measure(district_url, "district (SQLite)")
        measure_allocation(district_url, "district (SQLite)")
    if args.pg:
        upgrade_to_head(make_engine(args.pg))
        district_store(args.pg, args.lots, args.days)
        measure(args.pg, "district (PostgreSQL)")
        measure_allocation(args.pg, "district (PostgreSQL)")
    print("target: district job under 10 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
