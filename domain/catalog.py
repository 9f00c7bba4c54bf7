"""Reference data every module shares: categories, grades, levels, roles, sources, ballot aspects,
index indicators, talent specialties. Seeded into the store as editable defaults (DESIGN.md 5)."""

from __future__ import annotations

from dataclasses import dataclass

GRADES = ("urgent", "priority", "routine")  # most severe first
GRADE_ZH = {"urgent": "紧急", "priority": "较急", "routine": "一般"}
GRADE_EN = {"urgent": "Urgent", "priority": "Priority", "routine": "Routine"}

# L1 grid worker -> L4 street cadre / department (DESIGN.md 5.3)
LEVELS = (1, 2, 3, 4)
LEVEL_ROLE = {1: "grid_worker", 2: "grid_leader", 3: "secretary", 4: "street_cadre"}

ROLES = ("grid_worker", "grid_leader", "secretary", "street_cadre", "department", "admin", "viewer")
STAFF_ROLES = ROLES  # every role is a staff role; residents have no account

SOURCES = ("resident", "staff", "camera_car", "iot", "open311")

# A case's life: reported -> in_progress -> resolved -> closed, with reopen (返工) taking a
# resolved case back to in_progress; rejected and duplicate end it without resolution.
STATUSES = ("reported", "in_progress", "resolved", "closed", "rejected", "duplicate")
OPEN_STATUSES = ("reported", "in_progress", "resolved")
FINAL_STATUSES = ("closed", "rejected", "duplicate")


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    kind: str  # safety / facility / order / environment / other
    default_grade: str


CATEGORIES: tuple[Category, ...] = (
    Category("illegal_parking", "机动车违停", "Illegal parking", "order", "routine"),
    Category("fire_lane_blocked", "消防通道占用", "Blocked fire lane / stairwell", "safety", "priority"),
    Category("ebike_charging", "电动车违规充电", "Unsafe e-bike charging", "safety", "priority"),
    Category("road_damage", "道路破损", "Road or pavement damage", "facility", "routine"),
    Category("shop_spillover", "出店经营", "Shop spill-over trading", "order", "routine"),
    Category("greenery_damage", "绿化缺失", "Missing or damaged greenery", "environment", "routine"),
    Category("elevator_fault", "电梯故障", "Elevator fault", "safety", "priority"),
    Category("fire_equipment", "消防设施损坏", "Fire equipment fault", "safety", "priority"),
    Category("garbage", "垃圾堆放", "Garbage / sorting", "environment", "routine"),
    Category("water_leak", "漏水", "Water leak / burst pipe", "facility", "priority"),
    Category("public_lighting", "照明故障", "Lighting fault", "facility", "routine"),
    Category("noise", "噪声扰民", "Noise nuisance", "order", "routine"),
    Category("dog_nuisance", "不文明养犬", "Dog nuisance", "order", "routine"),
    Category("waterlogging", "积水", "Waterlogging / flood", "safety", "priority"),
    Category("other", "其他", "Other", "other", "routine"),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}

# Default time limit per grade and level, in minutes. Urgent runs on the clock; the others count
# working time only (08:30-17:30 Mon-Fri): 4 h, and 2 working days of 9 h.
DEFAULT_LIMIT_MINUTES = {"urgent": 30, "priority": 4 * 60, "routine": 2 * 9 * 60}
WORKING_TIME_GRADES = ("priority", "routine")

# Monthly resident ballot (DESIGN.md 5.5): code, zh, en
BALLOT_ASPECTS: tuple[tuple[str, str, str], ...] = (
    ("fire_safety", "消防安全", "Fire safety"),
    ("elevator", "电梯运行", "Elevator running"),
    ("garbage_sorting", "垃圾分类", "Garbage sorting"),
    ("property_management", "物业管理", "Property management"),
    ("sanitation", "环境卫生", "Sanitation"),
    ("epidemic_prevention", "疫情防控", "Epidemic prevention"),
    ("dog_keeping", "文明养犬", "Civil dog-keeping"),
)


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str  # property / committee
    name_zh: str
    name_en: str
    meaning_zh: str
    meaning_en: str


def _ind(code, group, zh, en, mzh, men):
    return Indicator(code, group, zh, en, mzh, men)


INDICATORS: tuple[Indicator, ...] = (
    _ind("P01", "property", "安保巡逻", "Security patrols", "按计划完成巡逻的比例", "Share of planned patrols done"),
    _ind(
        "P02", "property", "保洁质量", "Cleaning quality", "公共区域保洁抽查合格率", "Spot-check pass rate of cleaning"
    ),
    _ind(
        "P03", "property", "绿化养护", "Greenery upkeep", "绿化养护计划完成度", "Greenery maintenance plan completion"
    ),
    _ind("P04", "property", "设施维护", "Facility upkeep", "公共设施完好率", "Share of common facilities in order"),
    _ind("P05", "property", "电梯维保", "Elevator maintenance", "电梯按期维保率", "Elevators serviced on schedule"),
    _ind(
        "P06",
        "property",
        "消防管理",
        "Fire safety management",
        "消防设施检查合格率",
        "Fire equipment inspection pass rate",
    ),
    _ind("P07", "property", "停车秩序", "Parking order", "小区内停车秩序评分", "Score of parking order on site"),
    _ind("P08", "property", "报修响应", "Repair response", "报修按时响应率", "Repairs answered in time"),
    _ind("P09", "property", "投诉处理", "Complaint handling", "投诉按期办结率", "Complaints closed on time"),
    _ind("P10", "property", "收益公开", "Revenue disclosure", "公共收益按期公示", "Common revenue published on time"),
    _ind("P11", "property", "费用收缴", "Fee collection", "物业费收缴率", "Service-fee collection rate"),
    _ind(
        "P12",
        "property",
        "分类管理",
        "Sorting management",
        "垃圾分类督导到位率",
        "Garbage-sorting supervision coverage",
    ),
    _ind(
        "P13", "property", "装修管理", "Renovation control", "装修备案与巡查率", "Renovations registered and inspected"
    ),
    _ind(
        "P14", "property", "应急处置", "Emergency response", "应急演练与处置评分", "Drills and emergency handling score"
    ),
    _ind(
        "C01", "committee", "例会召开", "Regular meetings", "按期召开业委会会议", "Committee meetings held on schedule"
    ),
    _ind("C02", "committee", "业主大会", "Owners' assembly", "业主大会依规召开", "Owners' assembly held as required"),
    _ind("C03", "committee", "财务公开", "Financial transparency", "账目按期公开", "Accounts published on time"),
    _ind("C04", "committee", "维修资金", "Maintenance fund", "维修资金使用规范", "Maintenance fund used by the rules"),
    _ind(
        "C05",
        "committee",
        "合同监督",
        "Contract oversight",
        "对物业合同履约的监督",
        "Oversight of the property contract",
    ),
    _ind(
        "C06",
        "committee",
        "意见征集",
        "Owner consultation",
        "业主意见征集与反馈",
        "Owners' views collected and answered",
    ),
    _ind("C07", "committee", "议事规则", "Rules of procedure", "议事规则执行情况", "Rules of procedure followed"),
    _ind("C08", "committee", "档案管理", "Records", "档案完整规范", "Records complete and in order"),
    _ind("C09", "committee", "矛盾调解", "Mediation", "邻里矛盾调解成功率", "Neighbour disputes settled"),
    _ind("C10", "committee", "党建引领", "Party-building", "党建引领工作落实", "Party-building work carried out"),
    _ind("C11", "committee", "换届选举", "Elections", "按期依规换届", "Elections held on time and by the rules"),
    _ind("C12", "committee", "信息公示", "Notices", "重要事项按期公示", "Important matters posted on time"),
    _ind("C13", "committee", "委员履职", "Member attendance", "委员出勤与履职", "Members present and active"),
    _ind("C14", "committee", "收益监管", "Revenue oversight", "公共收益监管到位", "Common revenue overseen"),
    _ind(
        "C15",
        "committee",
        "社区协同",
        "Community cooperation",
        "配合社区工作情况",
        "Cooperation with the community office",
    ),
    _ind("C16", "committee", "志愿服务", "Volunteering", "组织志愿服务次数", "Volunteer activities organised"),
    _ind("C17", "committee", "安全巡查", "Safety walks", "参与安全巡查情况", "Part taken in safety inspections"),
    _ind(
        "C18",
        "committee",
        "业主满意",
        "Owner satisfaction",
        "业主对业委会满意度",
        "Owners' satisfaction with the committee",
    ),
)

# The "360 talent library" (DESIGN.md, issue 7): six founding specialties, more may be added.
SPECIALTIES: tuple[tuple[str, str, str], ...] = (
    ("legal", "法律咨询", "Legal advice"),
    ("engineering", "工程技术", "Engineering"),
    ("international", "国际社区", "International community work"),
    ("culture_arts", "文化艺术", "Culture and arts"),
    ("antiques", "古玩鉴定", "Antique appraisal"),
    ("medical", "医疗康养", "Medical care and wellness"),
)

TALENT_TEAMS: tuple[tuple[str, str], ...] = (
    ("党员邮政站", "Party members' post station"),
    ("国际疫情志愿团队", "International volunteer team"),
    ("公共议事会", "Public affairs council"),
    ("雷锋基金", "Lei Feng fund"),
    ("家长爱心吧", "Parents' care club"),
    ("红领工作室", "Red Collar studio"),
)

SERVICE_REQUEST_STATUSES = ("requested", "matched", "scheduled", "done", "rated", "cancelled")

DEVICE_KINDS = ("elevator", "fire_pump", "extinguisher", "flood_stock")
ALARM_SEVERITIES = ("critical", "major", "minor", "warning")
