"""`python -m jobs` runs the scheduler; `python -m jobs run NAME [--now ISO]` runs one job once."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime

from data_access.clock import to_local_naive
from data_access.db import make_engine
from jobs.registry import job_specs, run_job
from logconfig import configure_logging
from settings import load_config


def backfill(engine, spec, now, days: int, tz: str) -> dict:  # noqa: ANN001
    """Run `spec` at each time its trigger would have fired in the `days` before `now`, oldest first."""
    from datetime import timedelta

    from data_access.clock import local_now
    from jobs.registry import fire_times

    end = now or local_now(tz)
    runs = [run_job(engine, spec, moment, tz) for moment in fire_times(spec, end - timedelta(days=days), end, tz)]
    failed = [r for r in runs if r["status"] != "ok"]
    last = runs[-1] if runs else {}
    return {"job": spec.name, "status": "error" if failed else "ok", "backfilled_runs": len(runs),
            "failed_runs": len(failed), "last": last}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs", description="Community Cockpit jobs")
    sub = parser.add_subparsers(dest="command")
    run_p = sub.add_parser("run", help="run one job once and print one JSON summary line")
    run_p.add_argument("name")
    run_p.add_argument("--now", help="ISO-8601 time the job takes as now (default: the clock)")
    run_p.add_argument(
        "--backfill-days",
        type=int,
        default=0,
        help="also run at every time the job's trigger would have fired in the last N days (history)",
    )
    sub.add_parser("list", help="list the jobs and their triggers")
    args = parser.parse_args(argv)

    config = load_config()
    # the web workers' format (json lines in production); a one-off run keeps to warnings and errors
    configure_logging(config["log_format"], logging.INFO if args.command is None else logging.WARNING)
    specs = job_specs(config)
    if args.command == "list":
        for spec in specs.values():
            print(f"{spec.name}\t{spec.trigger}\t{spec.help}")
        return 0
    engine = make_engine(config.sqlalchemy_url)
    if args.command == "run":
        if args.name not in specs:
            print(json.dumps({"error": f"unknown job {args.name!r}", "jobs": sorted(specs)}), file=sys.stderr)
            return 2
        try:
            now = to_local_naive(datetime.fromisoformat(args.now), config["timezone"]) if args.now else None
        except ValueError:
            print(json.dumps({"error": f"--now is not ISO-8601: {args.now!r}"}), file=sys.stderr)
            return 2
        if args.backfill_days > 0:
            summary = backfill(engine, specs[args.name], now, args.backfill_days, config["timezone"])
        else:
            summary = run_job(engine, specs[args.name], now, config["timezone"])
        print(json.dumps(summary, ensure_ascii=False, default=str))
        return 0 if summary["status"] == "ok" else 1

    from jobs.scheduler import run_blocking

    return run_blocking(engine, config)


if __name__ == "__main__":
    sys.exit(main())
