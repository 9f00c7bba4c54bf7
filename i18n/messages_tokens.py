"""Strings of the api-key section of /system (tok.*) and the texts Open311 clients show their users
(o311.*: status notes, service notices, service descriptions): {key: (zh, en)}.

Error descriptions of the APIs stay English in the code: machines read them, people read the logs.
"""

from __future__ import annotations

TOKEN_MESSAGES: dict[str, tuple[str, str]] = {
    # /system: issue and revoke api keys and tokens
    "tok.title": ("接口密钥与令牌", "API keys and tokens"),
    "tok.intro": (
        "Open311 api key 供第三方上报应用使用；机器令牌供巡查车、停车计数器等设备调用 /api/v1；"
        "大屏令牌供指挥大屏只读访问。限定社区的密钥只能看到并上报该社区的事件。",
        "Open311 api keys are for third-party reporting apps; machine tokens for the camera car, parking "
        "counters and other devices calling /api/v1; wall tokens for the read-only wall screens. A key limited "
        "to one community sees and reports that community's cases only.",
    ),
    "tok.kind": ("类型", "Kind"),
    "tok.kind.open311": ("Open311 api key", "Open311 api key"),
    "tok.kind.machine": ("机器令牌", "Machine token"),
    "tok.kind.wall": ("大屏令牌", "Wall token"),
    "tok.name": ("名称（持有者）", "Name (who holds it)"),
    "tok.name_help": (
        "例如“巡查车 1 号”或“市民通 App”，最多 80 个字符。",
        "For example 'camera car 1' or 'citizen app', at most 80 characters.",
    ),
    "tok.community": ("限定社区", "Community"),
    "tok.community_all": ("全部社区", "Every community"),
    "tok.issue": ("签发", "Issue"),
    "tok.issued": (
        "已签发“{name}”。请立即复制保存，此密钥只显示这一次：",
        "Issued '{name}'. Copy it now; it is shown this once only:",
    ),
    "tok.error.name": ("请填写名称（1–80 个字符）。", "Please give a name (1–80 characters)."),
    "tok.error.kind": ("请选择类型。", "Please choose a kind."),
    "tok.error.community": ("所选社区不存在。", "That community does not exist."),
    "tok.list": ("已签发的密钥", "Keys and tokens issued"),
    "tok.none": ("尚未签发任何密钥。", "No key or token has been issued yet."),
    "tok.id": ("编号", "No."),
    "tok.created": ("签发时间", "Issued"),
    "tok.last_used": ("最近使用", "Last used"),
    "tok.state": ("状态", "State"),
    "tok.active": ("有效", "Active"),
    "tok.revoked_at": ("已吊销 {at}", "Revoked {at}"),
    "tok.never": ("从未", "never"),
    "tok.revoke": ("吊销", "Revoke"),
    "tok.revoked": (
        "已吊销密钥 {id}，使用它的请求将立即被拒绝。",
        "Key {id} revoked; requests using it are refused at once.",
    ),
    "tok.revoke_failed": ("密钥 {id} 不存在或已被吊销。", "Key {id} does not exist or is already revoked."),
    "tok.screen": ("大屏设置", "Screen settings"),
    "tok.screen_defaults": ("默认", "defaults"),
    "tok.wall_url": ("在大屏电脑上打开：", "Open on the wall PC:"),
    # /system: the settings of each wall screen
    "tok.wall.title": ("大屏播放设置", "Wall screen settings"),
    "tok.wall.intro": (
        "为每块大屏设置轮播的页面、停留与刷新间隔和语言；地址栏中的参数优先于此处设置，留空则用系统默认值。"
        "大屏下次载入时生效。",
        "Set each wall screen's playlist, how long a view stays and how often figures refresh, and its "
        "language; parameters in the screen's address win over these, and an empty field uses the default. "
        "A screen applies them when it next loads.",
    ),
    "tok.wall.token": ("大屏令牌", "Wall token"),
    "tok.wall.none": ("尚无有效的大屏令牌；请先在上方签发一个。", "No active wall token yet: issue one above."),
    "tok.wall.views": ("轮播页面", "Views"),
    "tok.wall.rotate": ("每页停留（秒，5–3600）", "Seconds per view (5–3600)"),
    "tok.wall.refresh": ("数据刷新（秒，1–300）", "Refresh every (seconds, 1–300)"),
    "tok.wall.lang": ("语言", "Language"),
    "tok.wall.lang_default": ("默认", "Default"),
    "tok.wall.lang.zh": ("中文", "Chinese"),
    "tok.wall.lang.en": ("英文", "English"),
    "tok.wall.rotate_short": ("每页 {n} 秒", "{n} s per view"),
    "tok.wall.refresh_short": ("每 {n} 秒刷新", "refresh every {n} s"),
    "tok.wall.save": ("保存", "Save"),
    "tok.wall.saved": ("大屏令牌 {id} 的设置已保存：{settings}。", "Settings of wall token {id} saved: {settings}."),
    "tok.wall.error.token": ("该大屏令牌不存在或已被吊销。", "That wall token does not exist or has been revoked."),
    "tok.wall.error.views": ("请至少选择一个页面。", "Please choose at least one view."),
    "tok.wall.error.rotate": ("每页停留时间须为 5–3600 秒的整数。", "Seconds per view must be a whole number, 5–3600."),
    "tok.wall.error.refresh": (
        "刷新间隔须为 1–300 秒的整数。",
        "The refresh must be a whole number of seconds, 1–300.",
    ),
    "tok.wall.error.lang": ("请选择中文或英文。", "Please choose Chinese or English."),
    "tok.wall.error.field": ("设置项无法识别。", "An unknown setting."),
    # Open311 GeoReport v2: what a client shows its user about a service request
    "o311.note.reported": ("已受理，等待网格员处置。", "Received; waiting for the grid worker."),
    "o311.note.in_progress": ("处置中（{level}）。", "Being handled ({level})."),
    "o311.note.resolved": ("已处置，等待核查。", "Resolved; waiting to be checked."),
    "o311.note.closed": ("已处置并核查通过，已办结。", "Resolved and checked; closed."),
    "o311.note.rejected": ("不属于社区受理范围，未予受理。", "Rejected: not a matter for the community."),
    "o311.note.duplicate": (
        "附近已有同类事件 {code}，本次上报已合并处置。",
        "Merged into request {code}, the same problem reported nearby.",
    ),
    "o311.notice": ("处置等级：{grade}。", "Grade: {grade}."),
    "o311.notice_due": ("处置等级：{grade}；本级处置时限 {due}。", "Grade: {grade}; due at this level by {due}."),
    "o311.agency": ("{community}·{level}", "{community} · {level}"),
    "o311.service_description": (
        "{name}。系统根据描述自动判定处置等级，通常为“{grade}”；危及人身安全时为“紧急”。",
        "{name}. The grade is worked out from the description: usually {grade}, urgent when people are in danger.",
    ),
    "o311.contact": (
        "社区驾驶舱 Open311 接口；如需 api key，请联系社区管理员。",
        "Community Cockpit Open311 endpoint; ask the community's administrator for an api key.",
    ),
    "o311.key_service": (
        "api key 由社区管理员在“系统”页面或命令行签发。",
        "Api keys are issued by the community's administrator (System page or command line).",
    ),
}
