"""Notices of the services module, in both languages (a notice is queued before anyone knows which
language its reader will pick). Composed in `data_access.services`, which may import `domain` but not
`i18n` (DESIGN.md section 2), so the texts live here like the permit notices in `domain.notify`.

Residents and the people of the library get them through the outbox (SMS, or e-mail when the contact
is an address); coordinators get theirs in the in-app inbox. Parameters: code, specialty_zh/_en,
language_zh/_en, times_zh/_en, name (how residents see the person, `domain.services.public_name`),
team_zh/_en, when, link, rating, note_zh/_en (a reason, or nothing), lead.
"""

from __future__ import annotations

_TAG_ZH, _TAG_EN = "【东信社区】", "[Dongxin Community] "

SERVICE_NOTICES: dict[str, tuple[str, str]] = {
    # to the resident
    "notice.svc_received": (
        _TAG_ZH
        + "已收到您的服务需求（{specialty_zh}），查询码 {code}。我们会尽快为您匹配会讲{language_zh}的志愿者。进度：{link}",
        _TAG_EN + "We have your request for {specialty_en}, tracking code {code}. We will match you with someone "
        "who speaks {language_en} as soon as we can. Progress: {link}",
    ),
    "notice.svc_matched": (
        _TAG_ZH + "您的服务需求 {code}（{specialty_zh}）已匹配：{team_zh}的{name}，讲{language_zh}。"
        "社区将与您约定具体时间。",
        _TAG_EN + "Your request {code} ({specialty_en}) is matched with {name} of the {team_en}, who speaks "
        "{language_en}. The community office will agree a time with you.",
    ),
    "notice.svc_scheduled": (
        _TAG_ZH + "您的服务需求 {code}（{specialty_zh}）已约定于 {when}，由{name}为您服务。",
        _TAG_EN + "Your request {code} ({specialty_en}) is booked for {when} with {name}.",
    ),
    "notice.svc_done": (
        _TAG_ZH + "您的服务需求 {code}（{specialty_zh}）已完成。欢迎在查询页为本次服务打分：{link}",
        _TAG_EN + "Your request {code} ({specialty_en}) is done. Please rate the service on its page: {link}",
    ),
    "notice.svc_cancelled": (
        _TAG_ZH + "您的服务需求 {code}（{specialty_zh}）已取消。{note_zh}",
        _TAG_EN + "Your request {code} ({specialty_en}) is cancelled. {note_en}",
    ),
    # to the person of the library
    "notice.svc_assigned": (
        _TAG_ZH + "您好！有一项{specialty_zh}服务需求 {code} 请您协助：需用{language_zh}，居民希望的时间：{times_zh}。"
        "社区工作人员将与您联系确认。",
        _TAG_EN + "Hello! Could you help with a request for {specialty_en} ({code})? It needs {language_en}; the "
        "resident prefers {times_en}. Community staff will call you to confirm.",
    ),
    "notice.svc_released": (
        _TAG_ZH + "服务需求 {code}（{specialty_zh}）已改由其他志愿者承接，感谢您！",
        _TAG_EN + "Request {code} ({specialty_en}) has gone to another volunteer. Thank you!",
    ),
    "notice.svc_scheduled_talent": (
        _TAG_ZH + "服务需求 {code}（{specialty_zh}）已约定于 {when}，请准时前往。",
        _TAG_EN + "Request {code} ({specialty_en}) is booked for {when}. Thank you for being there.",
    ),
    "notice.svc_cancelled_talent": (
        _TAG_ZH + "服务需求 {code}（{specialty_zh}）已取消，无需再前往。{note_zh}",
        _TAG_EN + "Request {code} ({specialty_en}) is cancelled; you need not go. {note_en}",
    ),
    "notice.svc_done_talent": (
        _TAG_ZH + "服务需求 {code}（{specialty_zh}）已记录为完成，感谢您的付出！",
        _TAG_EN + "Request {code} ({specialty_en}) is recorded as done. Thank you for your help!",
    ),
    "notice.svc_rated_talent": (
        _TAG_ZH + "居民为您提供的服务 {code}（{specialty_zh}）打了 {rating} 分（满分 5 分）。谢谢！",
        _TAG_EN + "The resident rated your service {code} ({specialty_en}) {rating} out of 5. Thank you!",
    ),
    # to the coordinators' inbox
    "notice.svc_to_confirm": (
        "新服务需求 {code}（{specialty_zh}，{language_zh}）待确认匹配：人选得分接近，请在服务需求页确认。",
        "New service request {code} ({specialty_en}, {language_en}) needs a match confirmed: the best people "
        "score close together.",
    ),
    "notice.svc_no_common_time": (
        "新服务需求 {code}（{specialty_zh}，{language_zh}）待确认匹配：最合适的人选与居民希望的时间（{times_zh}）不重合。",
        "New service request {code} ({specialty_en}, {language_en}) needs a match confirmed: the best person is "
        "not free at the resident's times ({times_en}).",
    ),
    "notice.svc_no_candidate": (
        "新服务需求 {code}（{specialty_zh}，{language_zh}）暂无空闲人选：会讲该语言的人员都已满额。",
        "New service request {code} ({specialty_en}, {language_en}) has nobody free: everyone who speaks the "
        "language is fully booked.",
    ),
    "notice.svc_language_gap": (
        "语言缺口：服务需求 {code}（{specialty_zh}）需要{language_zh}，人才库中该专长无人会讲，请人工安排。",
        "Language gap: service request {code} ({specialty_en}) needs {language_en}, which nobody with that "
        "specialty speaks. Please arrange it by hand.",
    ),
    "notice.svc_auto_matched": (
        "服务需求 {code}（{specialty_zh}，{language_zh}）已自动匹配给{team_zh}的{name}（领先 {lead} 分），请约定时间。",
        "Service request {code} ({specialty_en}, {language_en}) was matched automatically with {name} of the "
        "{team_en} (ahead by {lead} points). Please agree a time.",
    ),
    "notice.svc_resident_cancelled": (
        "居民取消了服务需求 {code}（{specialty_zh}）。{note_zh}",
        "The resident cancelled service request {code} ({specialty_en}). {note_en}",
    ),
    "notice.svc_rated": (
        "服务需求 {code}（{specialty_zh}）获居民评分 {rating} 分。",
        "Service request {code} ({specialty_en}) was rated {rating} out of 5 by the resident.",
    ),
}

# how a decision that left a new request to staff is announced to them (domain.services.Decision.outcome)
OUTCOME_NOTICE = {"close_call": "notice.svc_to_confirm", "off": "notice.svc_to_confirm", "no_common_time": "notice.svc_no_common_time",
                  "no_candidate": "notice.svc_no_candidate", "language_gap": "notice.svc_language_gap"}  # fmt: skip

REASON_NOTE = ("原因：{note}", "Reason: {note}")


def service_notice(key: str, **params: object) -> tuple[str, str]:
    """The (zh, en) bodies of a services notice; `note` (a reason) is added in both when given."""
    note = params.pop("note", None)
    params.setdefault("note_zh", REASON_NOTE[0].format(note=note) if note else "")
    params.setdefault("note_en", REASON_NOTE[1].format(note=note) if note else "")
    zh, en = SERVICE_NOTICES[key]
    return zh.format(**params).strip(), en.format(**params).strip()
