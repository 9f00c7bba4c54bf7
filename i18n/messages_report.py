"""Strings of the residents' report pages `/report` (社区连线) and `/report/<code>`: {key: (zh, en)}.

Also the reporter-facing wording of the intake and photo error codes (`report.intake.<code>` for
`data_access.intake.IntakeError`, `report.photo.<code>` for `domain.photos.PhotoError`) and of the
workflow errors a reporter can meet on the tracking page (`report.wf_error.<code>`).
"""

from __future__ import annotations

REPORT_MESSAGES: dict[str, tuple[str, str]] = {
    # the frame
    "report.brand": ("社区连线", "Community line"),
    "report.lang.zh": ("中文", "中文"),
    "report.lang.en": ("English", "English"),
    "report.lang.label": ("语言", "Language"),
    # the form
    "report.title": ("反映问题", "Report a problem"),
    "report.intro": (
        "看到小区里需要处理的问题？写下来告诉我们。提交后您会得到一个查询码，凭它随时查看办理进度。"
        "遇到起火、有人被困等紧急危险，请先拨打 119 / 110。",
        "Seen something in the neighbourhood that needs fixing? Tell us here. You get a tracking code to follow "
        "what happens. If people are in danger now (fire, someone trapped), call 119 / 110 first.",
    ),
    "report.text": ("发生了什么？", "What is the problem?"),
    "report.text_help": (
        "请写清楚是什么问题、在哪里、从什么时候开始。可用中文或英文，最多 4000 字。",
        "Say what is wrong, where, and since when. Chinese or English, up to 4000 characters.",
    ),
    "report.suggest": ("系统判断：{category} · 等级：{grade}", "Suggested: {category} · grade: {grade}"),
    "report.suggest.use": ("采用此分类", "Use this category"),
    "report.category": ("问题分类（可选）", "Category (optional)"),
    "report.category_none": ("— 不确定，由系统判断 —", "— not sure, let us decide —"),
    "report.place": ("位置", "Where is it?"),
    "report.place_help": (
        "选择小区或园区，能确定楼栋更好；也可以在下面的平面图上点出位置。",
        "Choose the estate or office park, and the building if you know it; or tap the spot on the plan below.",
    ),
    "report.estate": ("小区 / 园区", "Estate or office park"),
    "report.estate_none": ("— 请选择 —", "— choose —"),
    "report.building": ("楼栋（可选）", "Building (optional)"),
    "report.building_none": ("— 不选 —", "— none —"),
    "report.plan": ("在平面图上点选位置（可选）", "Tap the spot on the site plan (optional)"),
    "report.plan_help": (
        "点一下标记位置，再点可移动；点在楼栋旁会同时选中该楼栋。",
        "Tap to mark the spot, tap again to move it; tapping next to a building also chooses that building.",
    ),
    "report.plan_marked": ("已标记位置。", "Spot marked."),
    "report.plan_none": ("尚未标记位置。", "No spot marked yet."),
    "report.plan_clear": ("清除标记", "Clear the mark"),
    "report.photos": ("照片（可选，最多 3 张）", "Photos (optional, up to 3)"),
    "report.photos_help": (
        "JPEG、PNG 或 WebP，每张不超过 {mb} MB。照片中的拍摄位置等信息（EXIF）会被去除。",
        "JPEG, PNG or WebP, up to {mb} MB each. Location and other EXIF data are removed from the photos.",
    ),
    "report.photos_again": ("请重新选择照片（出错后浏览器不会保留已选的照片）。", "Please choose your photos again."),
    "report.contact": ("联系方式（可选）", "Contact (optional)"),
    "report.contact_help": (
        "手机号或电子邮箱，仅供工作人员联系您、通知办理结果，查询页面不会显示。",
        "A phone number or email, only for staff to reach you and tell you the outcome; never on the tracking page.",
    ),
    "report.privacy": (
        "查询页面只显示您的描述、照片和办理进度，不显示联系方式和工作人员姓名。",
        "The tracking page shows only your description, photos and the progress; never your contact or staff names.",
    ),
    "report.submit": ("提交", "Send report"),
    "report.sending": ("正在提交…", "Sending…"),
    "report.errors_title": ("请修改以下问题后重新提交：", "Please fix the following and send again:"),
    "report.error.csrf": ("页面已过期，请重新提交。", "This page has expired; please send it again."),
    "report.error.rate_limited": (
        "提交太频繁，请 {minutes} 分钟后再试。",
        "Too many reports from this connection; please try again in {minutes} minutes.",
    ),
    "report.error.request_too_large": (
        "照片加起来太大了，请少选几张或换小一点的照片。",
        "The photos are too large altogether; choose fewer or smaller photos.",
    ),
    "report.error.contact_format": (
        "联系方式请填写手机号或电子邮箱。",
        "Please give a phone number or an email address as contact.",
    ),
    "report.photo_problem": ("照片“{name}”：{error}", 'Photo "{name}": {error}'),
    # the lookup box
    "report.lookup": ("查询办理进度", "Track a report"),
    "report.lookup.submit": ("查询", "Look up"),
    "report.new_link": ("反映新问题", "Report another problem"),
    "report.form_link": ("我要反映问题", "Report a problem"),
    # the tracking page
    "report.status.title": ("办理进度", "Progress of a report"),
    "report.status.sent": (
        "已收到您的反映，谢谢！请保存下面的查询码。",
        "Thank you, we have your report. Keep the tracking code below.",
    ),
    "report.status.code": ("查询码", "Tracking code"),
    "report.status.keep_code": (
        "凭查询码可随时打开本页查看进度，请妥善保存。",
        "Anyone with this code can open this page: keep it to follow your report.",
    ),
    "report.status.category": ("问题分类", "Category"),
    "report.status.grade": ("处置等级", "Grade"),
    "report.status.place": ("位置", "Place"),
    "report.status.reported_at": ("反映时间", "Reported"),
    "report.status.description": ("您的描述", "What you wrote"),
    "report.status.now": ("当前进度", "Now"),
    "report.stage.reported": ("已提交", "Reported"),
    "report.stage.in_progress": ("处理中", "In progress"),
    "report.stage.resolved": ("已处理，待确认", "Resolved, awaiting check"),
    "report.stage.closed": ("已办结", "Closed"),
    "report.stage.done": ("已完成", "done"),
    "report.stage.current": ("当前", "current step"),
    "report.stage.todo": ("未开始", "not yet"),
    "report.rejected.title": ("未予受理", "Not accepted"),
    "report.rejected.reason": ("原因：{reason}", "Reason: {reason}"),
    "report.rejected.no_reason": ("未说明原因。", "No reason was given."),
    "report.duplicate.title": (
        "已与之前反映的同一问题合并",
        "Merged with an earlier report of the same problem",
    ),
    "report.duplicate.text": (
        "附近已有人反映了同一问题，我们会一并处理。下面是该问题的办理进度。",
        "Someone nearby already reported the same problem; it is dealt with once. Below is the progress of "
        "that report.",
    ),
    "report.original.title": ("合并后的问题", "The report it joined"),
    "report.resolution": ("处理说明", "What was done"),
    "report.timeline": ("办理记录", "What has happened"),
    "report.step.report": ("收到反映", "Report received"),
    "report.step.accept": ("工作人员已受理", "Taken on by the community staff"),
    "report.step.push_up": ("转交上级处理", "Passed up for handling"),
    "report.step.escalate": ("超过时限，已自动转交上级", "Time limit passed; moved up automatically"),
    "report.step.resolve": ("已处理", "Resolved"),
    "report.step.verify": ("核查通过，已办结", "Checked and closed"),
    "report.step.verify_reporter": ("反映人确认已解决，已办结", "Confirmed fixed by the reporter; closed"),
    "report.step.reopen": ("核查未通过，重新处理", "Check failed; reopened for more work"),
    "report.step.reopen_reporter": ("反映人表示未解决，重新处理", "Reporter said it is not fixed; reopened"),
    "report.step.reject": ("未予受理", "Not accepted"),
    "report.step.link_duplicate": ("与之前的同一问题合并", "Merged with an earlier report"),
    "report.step.duplicate_joined": ("又有居民反映了同一问题", "Someone else reported the same problem"),
    "report.step.regrade": ("调整了分类或等级", "Category or grade adjusted"),
    "report.photos.report": ("反映时的照片", "Photos sent with the report"),
    "report.photos.resolve": ("处理后的照片", "Photos after the work"),
    "report.photo_alt": ("照片 {n}", "Photo {n}"),
    "report.check.title": ("问题解决了吗？", "Is it fixed?"),
    "report.check.text": (
        "工作人员表示已处理。请确认：如果还没解决，说明一下情况，我们会重新处理。",
        "The staff say it is dealt with. Please check: if it is not fixed, tell us what is still wrong and it "
        "goes back for more work.",
    ),
    "report.check.verify": ("已解决，谢谢", "Fixed, thank you"),
    "report.check.reopen": ("没有解决", "Not fixed"),
    "report.check.reopen_note": ("哪里还没有解决？", "What is still wrong?"),
    "report.check.verified": ("感谢您的确认，此事已办结。", "Thank you for confirming; the report is closed."),
    "report.check.reopened": (
        "已退回重新处理，我们会尽快跟进。",
        "It has gone back for more work; we will follow it up soon.",
    ),
    "report.wf_error.wrong_status": (
        "这件事现在不在等待确认的状态，页面已更新。",
        "This report is no longer waiting for your check; the page shows where it stands now.",
    ),
    "report.wf_error.note_required": ("请说明哪里还没有解决。", "Please say what is still wrong."),
    "report.wf_error.note_too_long": ("说明不能超过 2000 字。", "Please keep it under 2000 characters."),
    "report.wf_error.forbidden": ("这一步无法在本页操作。", "This step cannot be taken here."),
    "report.not_found.title": ("没有找到这个查询码", "Tracking code not found"),
    "report.not_found.text": (
        "请检查查询码是否输入正确（以 DX 开头，共 10 位）。",
        "Please check the code (it starts with DX and has 10 characters).",
    ),
    # intake errors (data_access.intake.IntakeError codes)
    "report.intake.bad_source": ("无法识别的提交来源。", "Unknown report source."),
    "report.intake.bad_ref": (
        "表单已失效，请刷新页面后重新提交。",
        "This form is no longer valid; reload the page and send it again.",
    ),
    "report.intake.text_required": ("请描述一下问题。", "Please describe the problem."),
    "report.intake.text_too_long": ("描述不能超过 4000 字。", "The description may have at most 4000 characters."),
    "report.intake.contact_too_long": ("联系方式不能超过 120 个字符。", "The contact may have at most 120 characters."),
    "report.intake.bad_point": (
        "平面图上的位置无效，请重新点选或清除标记。",
        "The spot on the plan is not valid; tap it again or clear the mark.",
    ),
    "report.intake.unknown_building": (
        "所选楼栋不在所选小区内，请重新选择。",
        "That building is not in the chosen estate; please choose again.",
    ),
    "report.intake.unknown_estate": ("没有这个小区，请重新选择。", "That estate does not exist; please choose again."),
    "report.intake.place_required": (
        "请选择小区，或在平面图上标出位置。",
        "Please choose an estate or mark the spot on the plan.",
    ),
    "report.intake.unknown_community": ("没有这个社区。", "That community does not exist."),
    "report.intake.unknown_category": (
        "没有这个问题分类，请重新选择。",
        "That category does not exist; please choose again.",
    ),
    # photo errors (domain.photos.PhotoError codes)
    "report.photo.empty": ("文件是空的。", "the file is empty."),
    "report.photo.too_large": ("文件太大（每张不超过 {mb} MB）。", "the file is too large (at most {mb} MB each)."),
    "report.photo.not_image": ("不是 JPEG、PNG 或 WebP 图片。", "it is not a JPEG, PNG or WebP image."),
    "report.photo.not_found": ("照片不存在。", "the photo does not exist."),
    "report.photo.too_many": ("最多只能上传 3 张照片。", "You can send at most 3 photos."),
}
