"""Time the demo community build on SQLite (and PostgreSQL when a URL is given) and print row counts.

    .venv/bin/python bench/seed_demo.py [--pg postgresql+psycopg://...] [--runs 2]
Target: under 30 s per build on this 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access.db import make_engine  # noqa: E402
from data_access.demo import build_demo  # noqa: E402
from data_access.migrate import upgrade_to_head  # noqa: E402


def one_build(url: str) -> tuple[float, float, dict]:
    engine = make_engine(url)
    started = time.perf_counter()
    upgrade_to_head(engine)
    migrated = time.perf_counter() - started
    result = build_demo(engine, password="bench")
    engine.dispose()
    return migrated, result.seconds, result.counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="an empty PostgreSQL database URL to build into as well")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    counts = {}
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            migrated, seeded, counts = one_build(f"sqlite:///{folder}/bench.db")
        print(f"sqlite run {run + 1}: migrate {migrated:.2f} s, demo build {seeded:.2f} s (target < 30 s)")
    if args.pg:
        migrated, seeded, _ = one_build(args.pg)
        print(f"postgresql: migrate {migrated:.2f} s, demo build {seeded:.2f} s")
    print("rows:")
    for table, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        if n:
            print(f"  {table:<22} {n:>8}")
    print(f"  {'total':<22} {sum(counts.values()):>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
