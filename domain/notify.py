"""Notices to residents (SMS now, WeChat later): the sending interface and the permit notices.

`Notifier` is what the domain asks for; `data_access.notify.OutboxNotifier` implements it by
writing outbox rows that a gateway drains, and tests may pass a fake. Every notice carries both
languages, because a resident's language is not known when the notice is queued.

The permit notice texts live here, not in `i18n/`, because they are composed in `data_access`
and `jobs`, which may import `domain` but not `i18n` (DESIGN.md section 2). Parameters: code
(tracking code), plate (masked), lot_zh / lot_en, window_zh / window_en, position.
"""

from __future__ import annotations

from typing import Protocol


class Notifier(Protocol):
    def send(self, channel: str, recipient: str, subject_key: str, body_zh: str, body_en: str, ref: str) -> None: ...

    def send_many(self, messages: list[tuple[str, str, str, str, str, str]]) -> None:
        """Many `send` argument tuples at once (a district's permit run queues tens of thousands)."""
        ...


PERMIT_NOTICES: dict[str, tuple[str, str]] = {
    "notice.permit_granted": (
        "【东信社区】您的共享停车申请（{code}，车牌{plate}）已获批：{window_zh}可停放于{lot_zh}。",
        "[Dongxin Community] Your shared-parking application {code} (plate {plate}) is granted: {lot_en}, {window_en}.",
    ),
    "notice.permit_waitlisted": (
        "【东信社区】您的共享停车申请（{code}，车牌{plate}）暂无空余车位，已进入候补，当前第{position}位；"
        "有车位时将另行通知。",
        "[Dongxin Community] No shared space is free for your application {code} (plate {plate}) yet: "
        "you are on the waiting list, position {position}. We will tell you when a space is yours.",
    ),
    "notice.permit_moved": (
        "【东信社区】因共享车位调整，您的停车许可（{code}，车牌{plate}）改为{window_zh}停放于{lot_zh}。",
        "[Dongxin Community] Shared spaces have changed: your permit {code} (plate {plate}) is now for "
        "{lot_en}, {window_en}.",
    ),
    "notice.permit_withdrawn": (
        "【东信社区】因{lot_zh}可共享车位减少，您的停车许可（{code}，车牌{plate}）自即日起收回。"
        "您已自动进入候补，当前第{position}位，有车位时将优先通知。",
        "[Dongxin Community] The shared spaces at {lot_en} have dropped, so your permit {code} "
        "(plate {plate}) is withdrawn from now on. You are back on the waiting list, position {position}, "
        "and will be told first when a space frees up.",
    ),
}

WINDOW_NAMES: dict[str, tuple[str, str]] = {
    "day": ("白天（{start}–{end}）", "daytime ({start}–{end})"),
    "night": ("夜间（{start}–次日{end}）", "night-time ({start} to {end} next morning)"),
}


def permit_notice(key: str, **params: object) -> tuple[str, str]:
    """The (zh, en) bodies of a permit notice."""
    zh, en = PERMIT_NOTICES[key]
    return zh.format(**params), en.format(**params)


def window_names(window: str, start: str, end: str) -> tuple[str, str]:
    zh, en = WINDOW_NAMES[window]
    return zh.format(start=start, end=end), en.format(start=start, end=end)
