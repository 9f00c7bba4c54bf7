"""`python -m data_access init [--demo]`: migrate to head and optionally seed the demo community.
`python -m data_access token create|list|revoke`: issue, list and revoke api tokens (machine, wall, Open311).
`python -m data_access wall-token create|list|set|revoke`: the same for wall screens, with each screen's
playlist, timing and language, and the URL to open.
"""

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
from data_access.tokens import PREFIX, issue_token, list_tokens, revoke_token, set_wall_settings
from domain.catalog import ROLES
from domain.wall import LANGS, WallOptionError, clean_stored
from settings import load_config


def print_demo_banner(result, port: int) -> None:  # noqa: ANN001 - data_access.demo.DemoResult
    print("=" * 72)
    print(f"Demo community seeded in {result.seconds:.1f} s. Open http://127.0.0.1:{port}/")
    print("Demo logins (username = role), all with the password:", result.password)
    for username, role in result.logins:
        print(f"  {username:<14} {role}")
    print("Wall device token :", result.wall_token)
    print(f"Wall screen       : http://127.0.0.1:{port}/wall/?token={result.wall_token}")
    print("Open311 api key   :", result.open311_key)
    print("Machine API token :", result.machine_token)
    print(
        "These are shown once; keep them. Rows:", ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items()) if v)
    )
    print("=" * 72)


def backup_command(engine, args) -> int:  # noqa: ANN001
    import json

    from data_access.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            summary = backup(engine, args.path)
        else:
            summary = restore(engine, args.path)
            upgrade_to_head(engine)  # a backup from an older release is brought to this release's schema
    except BackupError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False), file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access", description="Community Cockpit store")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="migrate to head; --demo seeds the demo community on an empty store")
    init.add_argument("--demo", action="store_true", help="seed the demo community (skipped if already there)")
    init.add_argument("--as-of", help="demo end time, ISO-8601 local (default: now); same seed + time, same rows")
    init.add_argument(
        "--district", action="store_true", help="with --demo: also seed ~60 communities of the district around it"
    )
    token = sub.add_parser("token", help="issue, list and revoke api tokens").add_subparsers(
        dest="token_command", required=True
    )
    create = token.add_parser("create", help="issue a token and print it (shown this once only)")
    create.add_argument("--kind", required=True, choices=tuple(PREFIX), help="machine, wall or open311 (api key)")
    create.add_argument("--community", metavar="CODE", help="limit the token to one community (its code)")
    create.add_argument("name", help="who or what holds it, e.g. 'camera car 1' or 'city 12345 app'")
    token.add_parser("list", help="every token: id, kind, name, community, created, last used, revoked")
    revoke = token.add_parser("revoke", help="revoke a token at once")
    revoke.add_argument("id", type=int)
    wall = sub.add_parser("wall-token", help="issue, list, configure and revoke wall screen tokens").add_subparsers(
        dest="wall_command", required=True
    )
    wall_create = wall.add_parser("create", help="issue a wall token and print it with the URL to open")
    wall_create.add_argument("name", help="which screen holds it, e.g. 'office wall 1'")
    wall_create.add_argument("--community", metavar="CODE", help="show one community (default: every community)")
    wall_set = wall.add_parser("set", help="change a wall token's playlist, timing or language")
    wall_set.add_argument("id", type=int)
    wall_set.add_argument("--clear", action="store_true", help="drop the stored settings: the defaults apply")
    for p in (wall_create, wall_set):
        p.add_argument("--views", help="playlist, e.g. hotspots,parking (default: every view)")
        p.add_argument("--rotate", help="seconds each view stays on screen")
        p.add_argument("--refresh", help="seconds between refreshes of the figures")
        p.add_argument("--lang", choices=LANGS, help="zh (default) or en")
    wall.add_parser("list", help="every wall token with its settings")
    wall_revoke = wall.add_parser("revoke", help="revoke a wall token: its screen shows 'revoked' within seconds")
    wall_revoke.add_argument("id", type=int)
    backup_p = sub.add_parser("backup", help="write a consistent copy of the store to PATH (safe while it runs)")
    backup_p.add_argument("path")
    restore_p = sub.add_parser("restore", help="replace the store with the backup at PATH (stop the app first)")
    restore_p.add_argument("path")
    args = parser.parse_args(argv)
    if args.command == "init" and args.district and not args.demo:
        parser.error("--district seeds the district around the demo community: use it with --demo")
    as_of = None
    if args.command == "init" and args.as_of:
        try:
            as_of = datetime.fromisoformat(args.as_of)
        except ValueError:
            parser.error(f"--as-of {args.as_of!r} is not an ISO-8601 time such as 2026-11-20T15:30")

    config = load_config()
    engine = make_engine(config.sqlalchemy_url)
    if args.command in ("backup", "restore"):
        return backup_command(engine, args)
    upgrade_to_head(engine)
    now = local_now(config["timezone"])
    if args.command == "token":
        return token_command(engine, args, now)
    if args.command == "wall-token":
        return wall_token_command(engine, args, now, config["port"])
    with writing(engine) as s:
        # the reference rows carry a time too (the index method's created_at): with --as-of they take the
        # demo's time, so the same seed and time give the same rows everywhere
        seed_reference(s, as_of if args.demo and as_of else now)
    print(f"Store at head: {engine.url.render_as_string(hide_password=True)}")
    if args.demo:
        with reading(engine) as s:
            seeded = s.scalar(select(Community.id).where(Community.code == "dongxin")) is not None
        password = config["demo_password"] or None
        if seeded:
            print("Demo community already present. Demo logins (username = role):", ", ".join(ROLES))
            print("Password: COCKPIT_DEMO_PASSWORD, or the one printed when the demo was seeded.")
        else:
            from data_access.demo import build_demo

            result = build_demo(engine, as_of=as_of, password=password)
            print_demo_banner(result, config["port"])
            password = result.password
        if args.district:
            seed_district(engine, as_of, password)
    return 0


def seed_district(engine, as_of: datetime | None, password: str | None) -> None:  # noqa: ANN001 - an Engine
    from data_access.demo_district import build_district, district_seeded

    with reading(engine) as s:
        if district_seeded(s):
            print("District demo already present: street_puyan, street_changhe, street_xixing, district, c01_sec ...")
            return
    result = build_district(engine, as_of=as_of, password=password)
    print("=" * 72)
    print(f"District demo: {result.communities} more communities in 3 streets, seeded in {result.seconds:.1f} s.")
    print("District logins, all with the password:", result.password)
    for username, role, scope in result.logins:
        print(f"  {username:<16} {role:<14} {scope}")
    print("  " + result.community_logins)
    print("Rows added:", ", ".join(f"{k}={v}" for k, v in sorted(result.added.items())))
    print("=" * 72)


def token_command(engine, args: argparse.Namespace, now: datetime) -> int:  # noqa: ANN001 - an Engine
    if args.token_command == "create":
        with writing(engine) as s:
            community_id = None
            if args.community:
                community_id = s.scalar(select(Community.id).where(Community.code == args.community))
                if community_id is None:
                    print(f"unknown community code {args.community!r}", file=sys.stderr)
                    return 2
            try:
                clear = issue_token(s, args.kind, args.name, now, community_id)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
        scope = f"community {args.community}" if args.community else "every community"
        print(f"Issued a {args.kind} token {args.name!r} for {scope}. It is shown this once only; keep it:")
        print(clear)
        return 0
    if args.token_command == "list":
        with reading(engine) as s:
            rows = list_tokens(s)
        if not rows:
            print("No tokens.")
        for r in rows:
            state = f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "active"
            used = f"{r['last_used_at']:%Y-%m-%d %H:%M}" if r["last_used_at"] else "never"
            print(
                f"{r['id']:>5}  {r['kind']:<8} {r['name'][:32]:<32} {r['community'] or '(all)':<12} "
                f"created {r['created_at']:%Y-%m-%d %H:%M}  last used {used}  {state}"
            )
        return 0
    with writing(engine) as s:
        revoked = revoke_token(s, args.id, now)
    if not revoked:
        print(f"no active token with id {args.id}", file=sys.stderr)
        return 1
    print(f"Token {args.id} revoked.")
    return 0


def _wall_settings(args: argparse.Namespace) -> dict:
    return clean_stored(
        {k: getattr(args, k) for k in ("views", "rotate", "refresh", "lang") if getattr(args, k) is not None}
    )


def _settings_text(settings: dict | None) -> str:
    if not settings:
        return "defaults"
    return " ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in sorted(settings.items()))


def wall_token_command(engine, args: argparse.Namespace, now: datetime, port: int) -> int:  # noqa: ANN001
    if args.wall_command in ("create", "set"):
        try:
            settings = {} if getattr(args, "clear", False) else _wall_settings(args)
        except WallOptionError as exc:
            print(f"invalid --{exc.code}: {exc.value!r}", file=sys.stderr)
            return 2
    if args.wall_command == "create":
        with writing(engine) as s:
            community_id = None
            if args.community:
                community_id = s.scalar(select(Community.id).where(Community.code == args.community))
                if community_id is None:
                    print(f"unknown community code {args.community!r}", file=sys.stderr)
                    return 2
            try:
                clear = issue_token(s, "wall", args.name, now, community_id, settings)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 2
        scope = f"community {args.community}" if args.community else "every community"
        print(f"Issued wall token {args.name!r} for {scope} ({_settings_text(settings)}). Shown this once only:")
        print(clear)
        print(f"Open on the wall PC: http://127.0.0.1:{port}/wall/?token={clear}")
        return 0
    if args.wall_command == "set":
        with writing(engine) as s:
            done = set_wall_settings(s, args.id, settings)
        if not done:
            print(f"no active wall token with id {args.id}", file=sys.stderr)
            return 1
        print(f"Wall token {args.id}: {_settings_text(settings)}. Its screen applies them when it next loads.")
        return 0
    if args.wall_command == "list":
        with reading(engine) as s:
            rows = [r for r in list_tokens(s) if r["kind"] == "wall"]
        if not rows:
            print("No wall tokens.")
        for r in rows:
            state = f"revoked {r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "active"
            used = f"{r['last_used_at']:%Y-%m-%d %H:%M}" if r["last_used_at"] else "never"
            print(
                f"{r['id']:>5}  {r['name'][:32]:<32} {r['community'] or '(all)':<12} last used {used:<16}  "
                f"{state:<24} {_settings_text(r['settings'])}"
            )
        return 0
    with reading(engine) as s:
        is_wall = any(r["id"] == args.id and r["kind"] == "wall" for r in list_tokens(s))
    if not is_wall:
        print(f"no wall token with id {args.id}", file=sys.stderr)
        return 1
    with writing(engine) as s:
        revoked = revoke_token(s, args.id, now)
    if not revoked:
        print(f"no active wall token with id {args.id}", file=sys.stderr)
        return 1
    print(f"Wall token {args.id} revoked.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
