"""Every setting of the cockpit, declared as data: name, default, type and one line of help.

Values are layered, lowest first: the defaults below, `instance/cockpit.toml` (keys without the
`COCKPIT_` prefix, lower case), the environment (`COCKPIT_*`), and overrides a caller passes
(tests). The README's settings table is generated from this list, so the two cannot drift.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Setting:
    name: str  # lower case, without the COCKPIT_ prefix
    default: Any
    kind: type
    help: str
    help_zh: str = ""

    @property
    def env_name(self) -> str:
        return "COCKPIT_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "instance_dir",
        str(PROJECT_ROOT / "instance"),
        str,
        "Folder for the SQLite store, the generated secret key, uploads and cockpit.toml.",
        help_zh="SQLite 数据库、自动生成的密钥、上传文件和 cockpit.toml 所在目录。",
    ),
    Setting(
        "database_url",
        "",
        str,
        "Any SQLAlchemy URL; empty means SQLite at <instance_dir>/cockpit.db. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db.",
        help_zh="任意 SQLAlchemy 连接串；留空即使用 <instance_dir>/cockpit.db（SQLite）。",
    ),
    Setting(
        "redis_url",
        "",
        str,
        "Redis for what gunicorn workers share (rate limits, login-failure counts, the view cache), "
        "e.g. redis://127.0.0.1:6379/0; empty keeps them in the process (one `python app.py`).",
        help_zh="多个 Web 进程共享限流、登录失败计数和页面缓存所用的 Redis，如 redis://127.0.0.1:6379/0；留空则保存在本进程内。",
    ),
    Setting(
        "host",
        "127.0.0.1",
        str,
        "Address the web app listens on (python app.py).",
        help_zh="Web 应用监听地址（python app.py）。",
    ),
    Setting(
        "port", 8050, int, "Port the web app listens on (python app.py).", help_zh="Web 应用监听端口（python app.py）。"
    ),
    Setting(
        "secret_key",
        "",
        str,
        "Key that signs session cookies; empty means one is generated into "
        "<instance_dir>/secret_key on first run. There is no built-in default.",
        help_zh="会话 Cookie 签名密钥；留空则首次运行时生成到 <instance_dir>/secret_key，没有内置默认值。",
    ),
    Setting(
        "demo_password",
        "",
        str,
        "Password of every demo account; empty means a random one, printed at seeding.",
        help_zh="所有演示账号的密码；留空则随机生成并在初始化时打印。",
    ),
    Setting(
        "run_scheduler",
        True,
        bool,
        "Run the job scheduler inside `python app.py` (development). Production sets it off: gunicorn "
        "workers never run jobs; `python -m jobs` runs them (start two: one leads, the other stands by).",
        help_zh="在 python app.py 进程内运行定时任务（开发用）。生产环境关闭：gunicorn 工作进程不运行任务，"
        "由 python -m jobs 运行（启动两个：一个主导，另一个待命）。",
    ),
    Setting(
        "default_language",
        "zh",
        str,
        "Language for visitors who have not chosen one: zh or en.",
        help_zh="未选择语言的访客使用的语言：zh 或 en。",
    ),
    Setting(
        "timezone",
        "Asia/Shanghai",
        str,
        "Time zone of the community; stored times are in it.",
        help_zh="社区所在时区；存储的时间均为该时区。",
    ),
    Setting(
        "login_max_failures",
        5,
        int,
        "Failed logins within the window that lock an account.",
        help_zh="在统计窗口内失败多少次后锁定账号。",
    ),
    Setting(
        "login_window_seconds",
        300,
        int,
        "Window in which failed logins are counted.",
        help_zh="统计登录失败次数的时间窗口（秒）。",
    ),
    Setting("login_lock_seconds", 900, int, "How long a locked account stays locked.", help_zh="账号锁定时长（秒）。"),
    Setting(
        "session_hours",
        12,
        int,
        "How long a staff session lasts without a new login.",
        help_zh="登录会话有效时长（小时）。",
    ),
    Setting(
        "hotspot_refresh_seconds",
        30,
        int,
        "How often the hotspots page refreshes its figures.",
        help_zh="热点页面自动刷新间隔（秒）。",
    ),
    Setting(
        "parking_overstay_margin",
        15,
        int,
        "Cars above a lot's usual count, half an hour after its sharing window closes, that raise a hotspot.",
        help_zh="共享时段结束半小时后，车场车辆比平时多出该数量即生成热点事件。",
    ),
    Setting(
        "photo_max_bytes",
        8 * 1024 * 1024,
        int,
        "Largest photo accepted with a report or a resolution (bytes); JPEG, PNG or WebP only.",
        help_zh="上报或办结时可上传照片的最大字节数；仅限 JPEG、PNG、WebP。",
    ),
    Setting(
        "public_report_limit",
        10,
        int,
        "Reports one client (IP address) may submit on /report within the rate window.",
        help_zh="同一客户端（IP）在限流窗口内可在 /report 提交的上报次数。",
    ),
    Setting(
        "public_vote_limit",
        30,
        int,
        "Ballots (right or wrong code) one client (IP address) may send on /vote within the rate window.",
        help_zh="同一客户端（IP）在限流窗口内可在 /vote 提交投票的次数（投票码对错都计）。",
    ),
    Setting(
        "public_request_limit",
        10,
        int,
        "Service requests one client (IP address) may submit on /request within the rate window.",
        help_zh="同一客户端（IP）在限流窗口内可在 /request 提交的服务需求数。",
    ),
    Setting(
        "service_auto_assign_margin",
        15,
        int,
        "Points (of 100) by which the best match must beat the next for a new service request to be "
        "assigned without staff confirming it; 0 turns auto-assignment off.",
        help_zh="新服务需求最佳人选得分（满分 100）须领先第二名多少分才自动指派；0 表示关闭自动指派、全部由工作人员确认。",
    ),
    Setting(
        "classify_rate_limit",
        60,
        int,
        "Calls of POST /api/v1/classify one client may make within the rate window.",
        help_zh="同一客户端在限流窗口内可调用 POST /api/v1/classify 的次数。",
    ),
    Setting(
        "open311_post_limit",
        120,
        int,
        "Service requests one Open311 api key may POST within the rate window.",
        help_zh="同一 Open311 api key 在限流窗口内可提交的服务请求数。",
    ),
    Setting(
        "rate_window_seconds",
        600,
        int,
        "Window of the public rate limits.",
        help_zh="公共页面和接口限流的统计窗口（秒）。",
    ),
    Setting(
        "duplicate_radius_m",
        50,
        int,
        "A new report of the same category this close to an open case joins it instead of opening another.",
        help_zh="同类事件在该距离（米）内且原事件未办结时，新上报合并为重复件。",
    ),
    Setting(
        "escalation_interval_seconds",
        60,
        int,
        "How often the escalation job moves overdue cases up one level.",
        help_zh="超时自动升级任务的运行间隔（秒）。",
    ),
    Setting(
        "scheduler_heartbeat_seconds",
        5,
        int,
        "How often each scheduler process records that it is alive (and the leader checks its lock).",
        help_zh="每个定时任务进程记录心跳（主进程同时检查锁）的间隔（秒）。",
    ),
    Setting(
        "scheduler_standby_poll_seconds",
        10,
        int,
        "How often a standby scheduler tries to take over the lock; the failover time is about this.",
        help_zh="备用定时任务进程尝试接管锁的间隔（秒），约等于故障切换时间。",
    ),
    Setting(
        "log_format",
        "text",
        str,
        "Log lines as text (for people) or json (one object per line, for a log collector); each carries the request id.",
        help_zh="日志格式：text（便于阅读）或 json（每行一个 JSON 对象，便于日志采集）；每行带请求编号。",
    ),
    Setting(
        "door_event_retention_days",
        30,
        int,
        "Raw door-access events older than this many days are deleted by the nightly `retention` job (logged).",
        help_zh="门禁原始记录保留天数，超期由每晚的 retention 任务删除（删除记入审计日志）。",
    ),
    Setting(
        "welfare_threshold_hours",
        24,
        int,
        "Default hours without door activity before a watched resident gets a visit task (set per person too).",
        help_zh="关怀对象无门禁记录多少小时后生成探访任务的默认值（可按人设置）。",
    ),
    Setting(
        "welfare_escalate_hours",
        4,
        int,
        "A visit task nobody records within this many hours is notified to the grid leader.",
        help_zh="探访任务超过该小时数仍未登记时，提醒网格长。",
    ),
    Setting(
        "welfare_interval_minutes",
        10,
        int,
        "How often the `welfare` job checks the watched residents.",
        help_zh="welfare 关怀任务的运行间隔（分钟）。",
    ),
    Setting(
        "flood_season",
        "04-15..10-15",
        str,
        "Flood season as MM-DD..MM-DD (Zhejiang: 15 April to 15 October); a device's own flood_season wins.",
        help_zh="汛期（月-日..月-日，浙江为 4 月 15 日至 10 月 15 日）；设备自身的 flood_season 属性优先。",
    ),
    Setting(
        "flood_prep_days",
        30,
        int,
        "Days before the flood season in which flood-control stock must already hold its pre-season quantity.",
        help_zh="汛前准备期天数：此期间防汛物资须达到汛前应备数量。",
    ),
    Setting(
        "rollups_interval_minutes",
        5,
        int,
        "How often the scheduler refreshes the case rollups.",
        help_zh="事件汇总任务的运行间隔（分钟）。",
    ),
    Setting(
        "wall_views",
        "hotspots,governance,parking,index,iot",
        str,
        "Views a wall screen rotates through, in order, unless its token or URL says otherwise "
        "(hotspots, governance, parking, index, iot).",
        help_zh="大屏默认轮播的视图及顺序（令牌设置或网址参数优先）：hotspots、governance、parking、index、iot。",
    ),
    Setting(
        "wall_rotate_seconds",
        20,
        int,
        "Seconds each wall view stays on screen (5 to 3600) unless the token or URL says otherwise.",
        help_zh="大屏每个视图的停留秒数（5–3600），令牌设置或网址参数优先。",
    ),
    Setting(
        "wall_refresh_seconds",
        10,
        int,
        "Seconds between two refreshes of a wall's figures (1 to 300); screens with the same interval "
        "share one computation per interval.",
        help_zh="大屏数据刷新间隔（1–300 秒）；刷新间隔相同的大屏每个间隔共用一次计算。",
    ),
    Setting(
        "wall_alert_poll_seconds",
        3,
        int,
        "How often a wall asks for new urgent cases and critical alarms (they pop up within about twice this).",
        help_zh="大屏查询新紧急事件和严重告警的间隔（秒），弹窗约在两个间隔内出现。",
    ),
    Setting(
        "wall_popup_minutes",
        30,
        int,
        "How long an urgent case nobody has accepted, or a critical alarm nobody has acknowledged, pops up on the walls.",
        help_zh="无人受理的紧急事件或无人确认的严重告警在大屏上弹窗提示的最长时间（分钟）。",
    ),
    Setting(
        "trusted_proxies",
        0,
        int,
        "Reverse proxies (nginx) in front of the app whose X-Forwarded-For / -Proto headers are honoured, "
        "so rate limits and logs see the client's address; 0 when clients connect directly.",
        help_zh="应用前的反向代理（如 nginx）层数，信任其 X-Forwarded-For / -Proto 头以获得客户端真实地址；直连时为 0。",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any) -> Any:
    if setting.kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"{setting.env_name}: expected true/false, got {value!r}")
    try:
        return setting.kind(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{setting.env_name}: expected {setting.kind.__name__}, got {value!r}") from exc


class Config(dict):
    """Resolved settings; attribute access for the names declared in SETTINGS."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    @property
    def instance_path(self) -> Path:
        return Path(self["instance_dir"])

    @property
    def sqlalchemy_url(self) -> str:
        return self["database_url"] or f"sqlite:///{self.instance_path / 'cockpit.db'}"


def load_config(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}

    instance_dir = (overrides or {}).get("instance_dir") or env.get("COCKPIT_INSTANCE_DIR") or values["instance_dir"]
    toml_path = Path(instance_dir) / "cockpit.toml"
    if toml_path.is_file():
        with toml_path.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                if key not in _BY_NAME:
                    raise ValueError(f"{toml_path}: unknown setting {key!r}")
                values[key] = value

    for setting in SETTINGS:
        if setting.env_name in env:
            values[setting.name] = env[setting.env_name]

    for key, value in (overrides or {}).items():
        if key not in _BY_NAME:
            raise ValueError(f"unknown setting {key!r}")
        values[key] = value

    config = Config({name: _coerce(_BY_NAME[name], value) for name, value in values.items()})
    if config["log_format"] not in ("text", "json"):
        raise ValueError("COCKPIT_LOG_FORMAT must be text or json")
    if config["default_language"] not in ("zh", "en"):
        raise ValueError("COCKPIT_DEFAULT_LANGUAGE must be zh or en")
    return config


def ensure_secret_key(config: Config) -> str:
    """The configured key, or the one kept in the instance folder (generated once, mode 0600)."""
    if config["secret_key"]:
        return config["secret_key"]
    path = config.instance_path / "secret_key"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Written whole to a private file, then linked into place: several gunicorn workers starting on a
    # fresh instance race here, and exactly one link wins; the others read the winner's key.
    tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        tmp.unlink()
    return key


def settings_markdown_table() -> str:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for s in SETTINGS:
        default = "(project)/instance" if s.name == "instance_dir" else s.default
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        rows.append(f"| `{s.env_name}` | {shown} | {s.help} |")
    return "\n".join(rows)
