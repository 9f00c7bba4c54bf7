"""`python -m data_access init [--demo]`: migrate to head and optionally seed the demo community."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from sqlalchemy import select

from data_access.clock import local_now
from data_access.db import make_engine, reading, writing
from data_access.migrate import upgrade_to_head
from data_access.models import Community
from data_access.reference import seed_reference
from domain.catalog import ROLES
from settings import load_config


def print_demo_banner(result, port: int) -> None:  # noqa: ANN001 - data_access.demo.DemoResult
    print("=" * 72)
    print(f"Demo community seeded in {result.seconds:.1f} s. Open http://127.0.0.1:{port}/")
    print("Demo logins (username = role), all with the password:", result.password)
    for username, role in result.logins:
        print(f"  {username:<14} {role}")
    print("Wall device token :", result.wall_token)
    print("Open311 api key   :", result.open311_key)
    print("Machine API token :", result.machine_token)
    print(
        "These are shown once; keep them. Rows:", ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items()) if v)
    )
    print("=" * 72)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access", description="Community Cockpit store")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="migrate to head; --demo seeds the demo community on an empty store")
    init.add_argument("--demo", action="store_true", help="seed the demo community (skipped if already there)")
    init.add_argument("--as-of", help="demo end time, ISO-8601 local (default: now); same seed + time, same rows")
    args = parser.parse_args(argv)

    config = load_config()
    engine = make_engine(config.sqlalchemy_url)
    upgrade_to_head(engine)
    now = local_now(config["timezone"])
    with writing(engine) as s:
        seed_reference(s, now)
    print(f"Store at head: {engine.url.render_as_string(hide_password=True)}")
    if args.demo:
        with reading(engine) as s:
            seeded = s.scalar(select(Community.id).where(Community.code == "dongxin")) is not None
        if seeded:
            print("Demo community already present. Demo logins (username = role):", ", ".join(ROLES))
            print("Password: COCKPIT_DEMO_PASSWORD, or the one printed when the demo was seeded.")
            return 0
        from data_access.demo import build_demo

        as_of = datetime.fromisoformat(args.as_of) if args.as_of else None
        result = build_demo(engine, as_of=as_of, password=config["demo_password"] or None)
        print_demo_banner(result, config["port"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
