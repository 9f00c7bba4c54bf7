"""Strings of the public parking-permit pages: {key: (zh, en)}.

The SMS notice texts are in `domain/notify.py` (composed in data_access and jobs, which may not
import i18n).
"""

from __future__ import annotations

PERMIT_MESSAGES: dict[str, tuple[str, str]] = {
    # the application form
    "permit.title": ("潮汐共享停车申请", "Tidal shared parking: apply for a permit"),
    "permit.intro": (
        "小区白天空出的车位和园区夜间空出的车位按时段共享。请选择时段，按意向依次选择最多 3 个停车场；"
        "系统会尽量让更多人获得车位，并尽量满足靠前的志愿。",
        "Estates share their empty spaces by day and office parks by night. Choose a time window and rank "
        "up to 3 car parks; the allocation serves as many people as it can, then the highest choices it can.",
    ),
    "permit.window": ("共享时段", "Time window"),
    "permit.window.day": ("白天", "Daytime"),
    "permit.window.night": ("夜间", "Night-time"),
    "permit.window.day_hint": (
        "小区车位，工作日 {start}–{end}",
        "Estate car parks, weekdays {start}–{end}",
    ),
    "permit.window.night_hint": (
        "园区车位，工作日 {start}–次日 {end}",
        "Office-park car parks, weekdays {start} to {end} next morning",
    ),
    "permit.window.none": ("该时段暂无共享停车场。", "No car park shares spaces in this window yet."),
    "permit.kind": ("申请人类型", "I am"),
    "permit.kind.resident": ("社区居民", "a resident"),
    "permit.kind.employee": ("园区/周边单位员工", "an employee working nearby"),
    "permit.name": ("姓名", "Name"),
    "permit.plate": ("车牌号", "Licence plate"),
    "permit.plate_help": (
        "例如 浙A12345；新能源车牌为 8 位，例如 浙AD12345。",
        "For example 浙A12345; new-energy plates have 8 characters, for example 浙AD12345.",
    ),
    "permit.contact": ("手机号码", "Mobile phone"),
    "permit.contact_help": (
        "仅用于短信通知审批结果，不会公开。",
        "Only used to text you the decision; never shown publicly.",
    ),
    "permit.choices": ("意向停车场（按优先顺序）", "Car parks, in order of preference"),
    "permit.choice.1": ("第一志愿", "1st choice"),
    "permit.choice.2": ("第二志愿", "2nd choice"),
    "permit.choice.3": ("第三志愿", "3rd choice"),
    "permit.choice.none": ("— 不选 —", "— none —"),
    "permit.lot_option": ("{lot}（可共享 {n} 个车位）", "{lot} ({n} spaces shared)"),
    "permit.lot_unavailable": ("{lot}（暂不可用）", "{lot} (unavailable for now)"),
    "permit.submit": ("提交申请", "Apply"),
    "permit.privacy": (
        "您的姓名、手机号和车牌仅供社区工作人员审核使用；查询页面只显示打码后的车牌。",
        "Your name, phone and plate are seen only by community staff; the status page shows a masked plate.",
    ),
    "permit.errors_title": ("请修改以下问题后重新提交：", "Please fix the following and apply again:"),
    "permit.error.kind": ("请选择申请人类型。", "Please say whether you are a resident or an employee."),
    "permit.error.name_required": ("请填写姓名。", "Please enter your name."),
    "permit.error.name_too_long": ("姓名不能超过 80 个字符。", "The name may have at most 80 characters."),
    "permit.error.plate_required": ("请填写车牌号。", "Please enter your licence plate."),
    "permit.error.plate_format": (
        "车牌号格式不正确，例如 浙A12345 或新能源车牌 浙AD12345。",
        "That is not a valid Chinese plate: for example 浙A12345, or 浙AD12345 for a new-energy car.",
    ),
    "permit.error.contact_required": ("请填写手机号码。", "Please enter a mobile phone number."),
    "permit.error.contact_format": (
        "手机号码格式不正确，请只填写数字（可带 + 号）。",
        "That phone number does not look right: use digits only (a leading + is fine).",
    ),
    "permit.error.window": ("请选择共享时段。", "Please choose a time window."),
    "permit.error.choice_required": ("请至少选择一个停车场。", "Please choose at least one car park."),
    "permit.error.too_many_choices": ("最多可选择 3 个停车场。", "You may rank at most 3 car parks."),
    "permit.error.repeated_choice": (
        "同一个停车场只能选择一次。",
        "Each car park may be chosen only once.",
    ),
    "permit.error.choice_window": (
        "所选停车场不在该时段共享，请重新选择。",
        "A chosen car park does not share spaces in this window: please choose again.",
    ),
    "permit.error.csrf": (
        "页面已过期，请重新提交。",
        "This form has expired: please submit it again.",
    ),
    # the status page
    "permit.status.title": ("申请进度", "Application status"),
    "permit.status.code": ("申请编号", "Tracking code"),
    "permit.status.keep_code": (
        "请保存申请编号，可随时凭编号查询进度。",
        "Keep this tracking code: it lets you check your application at any time.",
    ),
    "permit.status.plate": ("车牌", "Plate"),
    "permit.status.window": ("共享时段", "Time window"),
    "permit.status.choices": ("意向停车场", "Your choices"),
    "permit.status.applied": ("申请时间", "Applied"),
    "permit.status.decided": ("最近决定", "Last decision"),
    "permit.status.pending": ("审核中", "Being processed"),
    "permit.status.pending_detail": (
        "您的申请已收到，将在下一次分配时处理。",
        "Your application has arrived and will be decided at the next allocation.",
    ),
    "permit.status.granted": ("已获批", "Granted"),
    "permit.status.granted_detail": ("可停放于：{lot}", "You may park at: {lot}"),
    "permit.status.waitlisted": ("候补中", "On the waiting list"),
    "permit.status.waitlisted_detail": (
        "暂无空余共享车位，您目前候补第 {position} 位；有车位时将短信通知您。",
        "No shared space is free yet. You are number {position} on the waiting list; we will text you "
        "when a space is yours.",
    ),
    "permit.status.withdrawn": ("已收回", "Withdrawn"),
    "permit.status.withdrawn_detail": (
        "该停车许可已收回，请查看下方通知。",
        "This permit has been withdrawn: see the notice below.",
    ),
    "permit.status.cancelled": ("已取消", "Cancelled"),
    "permit.status.cancelled_detail": ("该申请已取消。", "This application has been cancelled."),
    "permit.status.notice": ("最新通知", "Latest notice"),
    "permit.lookup": ("查询申请进度", "Check an application"),
    "permit.lookup.code": ("申请编号", "Tracking code"),
    "permit.lookup.submit": ("查询", "Check"),
    "permit.apply_link": ("申请共享停车", "Apply for shared parking"),
    "permit.not_found.title": ("未找到该申请", "Application not found"),
    "permit.not_found.text": (
        "没有找到这个申请编号，请核对后重试。",
        "There is no application with this tracking code: please check it and try again.",
    ),
}
