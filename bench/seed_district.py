"""Time the district demo (about 60 communities around Dongxin) on SQLite, and on PostgreSQL when a URL is
given; print the rows it adds. Each run migrates an empty store, seeds the Dongxin demo (timed apart), then
the district, as `python -m data_access init --demo --district` does.

    .venv/bin/python bench/seed_district.py [--pg postgresql+psycopg://user@host/db] [--as-of ISO]
Target: the district under 3 minutes on this 2-core machine, on either engine. The --pg database must exist
and be empty (it is migrated here).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.db import make_engine  # noqa: E402
from data_access.demo import build_demo  # noqa: E402
from data_access.demo_district import build_district  # noqa: E402
from data_access.migrate import upgrade_to_head  # noqa: E402

TARGET_SECONDS = 180


def one_build(url: str, as_of: datetime | None) -> tuple[float, float, dict]:
    engine = make_engine(url)
    upgrade_to_head(engine)
    demo = build_demo(engine, as_of=as_of, password="bench")
    started = time.perf_counter()
    result = build_district(engine, as_of=as_of, password="bench")
    seconds = time.perf_counter() - started
    engine.dispose()
    return demo.seconds, seconds, result.added


def report(engine_name: str, demo: float, district: float, added: dict) -> None:
    verdict = "ok" if district < TARGET_SECONDS else "SLOW"
    print(
        f"{engine_name}: Dongxin demo {demo:.1f} s, district {district:.1f} s (target < {TARGET_SECONDS} s: {verdict})"
    )
    for table, n in sorted(added.items(), key=lambda kv: -kv[1]):
        print(f"  {table:<22} {n:>8}")
    print(f"  {'total':<22} {sum(added.values()):>8}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="an empty PostgreSQL database URL to build into as well")
    parser.add_argument("--as-of", help="end time of the demo data, ISO-8601 local (default: now)")
    args = parser.parse_args()
    as_of = datetime.fromisoformat(args.as_of) if args.as_of else None
    with tempfile.TemporaryDirectory() as folder:
        report("sqlite", *one_build(f"sqlite:///{folder}/bench.db", as_of))
    if args.pg:
        report("postgresql", *one_build(args.pg, as_of))
    return 0


if __name__ == "__main__":
    sys.exit(main())
