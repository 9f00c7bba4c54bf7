"""The deterministic demo community: 东信社区 (Dongxin), 浦沿街道, 滨江区 — invented data only.

`build_demo(engine, seed=..., as_of=...)` fills a migrated, empty store with one street, one
community, five estates, six grids, about 3,000 households and 8,000 residents (500+ of them foreign,
from 38 countries), staff accounts for every role, a year of cases with their trails, 90 days of
parking counts, a week of IoT telemetry, a year of alarms, two weeks of door events, a year of
resident ballots and indicator scores, the talent library and its service requests.

Same seed and same `as_of` give the very same rows (every column of every table), except the salted
password hash and the random token hashes. Randomness comes only from `random.Random(seed)`: each
part of the build draws from its own stream, split off the master stream in a fixed order, so the
parts do not disturb one another. Rows go in with bulk `insert(Model)` in one transaction.

The parking history is built so that the default tidal-parking method (DESIGN.md 5.4: q=0.9 per
15-minute slot over the last 8 weeks of weekdays, peak = max over the window's slots, shareable =
capacity - peak - buffer) gives exactly 126 day-time and 182 night-time spaces: on every weekday every
sample inside the window is at most P = capacity - buffer - target, and the samples at both ends of
the window equal P, so the figure does not depend on whether a window end is inclusive.
"""

from __future__ import annotations

import math
import random
import secrets
import time as _time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from data_access.clock import local_now, to_local_naive
from data_access.db import writing
from data_access.demo_services import simulate_requests
from data_access.devices import refresh_device_status
from data_access.models import (
    AccessEvent,
    Alarm,
    Ballot,
    Base,
    Building,
    Category,
    Community,
    Device,
    Estate,
    Event,
    EventAction,
    Grid,
    Household,
    IndicatorDef,
    IndicatorScore,
    Notification,
    ParkingLot,
    ParkingSample,
    Resident,
    ServiceAction,
    ServiceRequest,
    Street,
    Talent,
    Telemetry,
    User,
    WelfareWatch,
)
from data_access.reference import DEFAULT_ALARM_RULES, seed_reference
from data_access.tokens import issue_token
from domain import catalog
from domain.workcalendar import add_working_minutes, due_at
from domain.workflow import holder_notice

DEMO_SEED = 20261125
COMMUNITY_CODE = "dongxin"


@dataclass
class DemoResult:
    password: str  # the one password of every demo account
    logins: list[tuple[str, str]]  # (username, role) of the accounts named after roles, in catalog.ROLES order
    wall_token: str
    open311_key: str
    machine_token: str
    counts: dict[str, int]  # table name -> row count after seeding
    seconds: float  # wall time of the build


# --- places ---------------------------------------------------------------------------------------

STREET = {
    "code": "puyan",
    "name_zh": "浦沿街道",
    "name_en": "Puyan Street",
    "district_zh": "滨江区",
    "district_en": "Binjiang District",
}
COMMUNITY = {
    "code": COMMUNITY_CODE,
    "name_zh": "东信社区",
    "name_en": "Dongxin Community",
    "center_lat": 30.1935,
    "center_lon": 120.1830,
}

# code, zh, en, kind, (lon_min, lat_min, lon_max, lat_max), grid codes (west to east), buildings (lo, hi)
ESTATES: tuple[tuple[str, str, str, str, tuple[float, float, float, float], tuple[str, ...], tuple[int, int]], ...] = (
    ("junjing", "君景庭", "Junjing Court", "residential", (120.1780, 30.1940, 120.1812, 30.1978), ("G1", "G2"), (13, 16)),
    ("yitian", "逸天广场", "Yitian Plaza", "residential", (120.1815, 30.1940, 120.1845, 30.1978), ("G5",), (10, 12)),
    ("fengshang", "风尚蓝湾", "Fengshang Blue Bay", "residential", (120.1848, 30.1940, 120.1880, 30.1978), ("G3", "G4"),
     (15, 18)),
    ("eastcom", "东方通信", "Eastcom Park", "office", (120.1780, 30.1892, 120.1828, 30.1934), ("G6",), (2, 4)),
    ("zhicheng", "志成大厦", "Zhicheng Tower", "office", (120.1832, 30.1892, 120.1880, 30.1934), ("G6",), (2, 4)),
)  # fmt: skip
GRID_NUMERALS = ("一", "二", "三", "四", "五", "六")
GRID_MARGIN = 0.0001
GATES = {
    "junjing": ("north", "south"),
    "yitian": ("east", "west"),
    "fengshang": ("north", "south", "east"),
    "eastcom": ("main", "garage"),
    "zhicheng": ("main",),
}

# lot settings (DESIGN.md 5.4): estate, capacity, window, start, end, buffer, target shareable
PARKING = (
    ("junjing", 420, "day", "08:00", "18:00", 10, 42),
    ("yitian", 380, "day", "08:00", "18:00", 8, 40),
    ("fengshang", 460, "day", "08:00", "18:00", 10, 44),
    ("eastcom", 300, "night", "18:00", "08:00", 10, 102),
    ("zhicheng", 200, "night", "18:00", "08:00", 6, 80),
)

FLOOD_ITEMS = {
    "junjing": ("sandbags", "沙袋", 300, 500),
    "yitian": ("pumps", "抽水泵", 4, 6),
    "fengshang": ("boards", "挡水板", 40, 60),
    "eastcom": ("sandbags", "沙袋", 200, 300),
    "zhicheng": ("boards", "挡水板", 30, 50),
}

# --- people ---------------------------------------------------------------------------------------

SURNAMES_COMMON = "王李张刘陈杨黄赵吴周"
SURNAMES_OTHER = (
    "徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦"
    "付方邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤俞楼应郦"
)
GIVEN_OLD = {
    "M": (
        "建国",
        "国强",
        "志明",
        "德华",
        "建华",
        "卫东",
        "永康",
        "福生",
        "国平",
        "振华",
        "德明",
        "春生",
        "荣根",
        "金土",
    ),
    "F": (
        "秀英",
        "桂兰",
        "玉珍",
        "凤英",
        "秀兰",
        "淑珍",
        "美华",
        "素芬",
        "金凤",
        "月娥",
        "玉兰",
        "爱华",
        "彩娟",
        "阿香",
    ),
}
GIVEN_CHARS = {
    "M": "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林峰建志文海东晨阳",
    "F": "芳娜敏静丽艳娟霞秀玲英婷雪慧琳颖倩洁萍燕红梅兰晓佳欣悦怡思雨涵琪雯嘉",
}
GIVEN_YOUNG = {
    "M": (
        "子轩",
        "浩然",
        "梓睿",
        "一鸣",
        "宇航",
        "俊熙",
        "博文",
        "思远",
        "皓轩",
        "铭泽",
        "天佑",
        "嘉懿",
        "睿泽",
        "沐辰",
    ),
    "F": (
        "欣怡",
        "梓涵",
        "诗琪",
        "一诺",
        "语桐",
        "雨萱",
        "可欣",
        "思彤",
        "若汐",
        "佳怡",
        "芷若",
        "梦琪",
        "安然",
        "依依",
    ),
}

# name groups: (family names, male given names, female given names, family name first)
NAME_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool]] = {
    "ko": (("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin"),
           ("Minjun", "Seojun", "Dohyun", "Jiho", "Hyunwoo", "Junseo", "Sungmin", "Taeyang"),
           ("Seoyeon", "Jiwoo", "Minseo", "Hayoon", "Soyeon", "Yuna", "Jiyoung", "Eunji"), True),
    "ja": (("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"),
           ("Haruto", "Yuto", "Sota", "Kenji", "Takumi", "Ren", "Daiki", "Hiroshi"),
           ("Yui", "Aoi", "Hina", "Sakura", "Yuka", "Mei", "Naomi", "Emi"), True),
    "en": (("Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark", "Walker", "Hall", "Young",
            "King", "Wright", "Hughes", "Evans", "Murphy"),
           ("James", "Michael", "David", "Daniel", "Thomas", "Ryan", "Matthew", "Andrew", "Oliver", "Jack"),
           ("Emily", "Sarah", "Emma", "Olivia", "Hannah", "Grace", "Chloe", "Laura", "Sophie", "Megan"), False),
    "de": (("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Koch"),
           ("Lukas", "Jonas", "Felix", "Maximilian", "Tobias", "Florian"),
           ("Lena", "Anna", "Laura", "Sophie", "Julia", "Katharina"), False),
    "fr": (("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"),
           ("Louis", "Hugo", "Lucas", "Julien", "Antoine", "Nicolas"),
           ("Camille", "Léa", "Chloé", "Manon", "Julie", "Claire"), False),
    "es": (("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Díaz"),
           ("Alejandro", "Carlos", "Javier", "Diego", "Pablo", "Miguel"),
           ("María", "Lucía", "Sofía", "Carmen", "Elena", "Valentina"), False),
    "pt": (("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira", "Rodrigues", "Lima"),
           ("João", "Pedro", "Gabriel", "Lucas", "Rafael", "Tiago"),
           ("Ana", "Beatriz", "Mariana", "Juliana", "Larissa", "Inês"), False),
    "ru": (("Ivanov", "Smirnov", "Kuznetsov", "Popov", "Volkov", "Sokolov", "Petrov", "Orlov"),
           ("Alexei", "Dmitry", "Sergei", "Ivan", "Nikolai", "Andrei"),
           ("Anna", "Elena", "Olga", "Natalia", "Tatiana", "Irina"), False),
    "uk": (("Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk"),
           ("Oleksandr", "Andriy", "Mykola", "Taras", "Yurii"),
           ("Olena", "Oksana", "Iryna", "Kateryna", "Natalia"), False),
    "kk": (("Nurlanov", "Akhmetov", "Seitkali", "Zhaksylykov", "Bekov"),
           ("Nurlan", "Arman", "Yerlan", "Daniyar", "Askar"),
           ("Aigerim", "Dana", "Aruzhan", "Madina", "Saule"), False),
    "hi": (("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Mehta", "Rao"),
           ("Rahul", "Arjun", "Vikram", "Amit", "Rohan", "Sanjay"),
           ("Priya", "Ananya", "Neha", "Pooja", "Kavya", "Divya"), False),
    "ur": (("Khan", "Ahmed", "Malik", "Hussain", "Qureshi", "Butt"),
           ("Ali", "Hassan", "Usman", "Bilal", "Imran"),
           ("Ayesha", "Fatima", "Sana", "Hina", "Zainab"), False),
    "bn": (("Rahman", "Hossain", "Islam", "Chowdhury", "Das"),
           ("Rafiq", "Tanvir", "Arif", "Sohel", "Nayeem"),
           ("Nusrat", "Farzana", "Sadia", "Tania", "Rumana"), False),
    "ar": (("Hassan", "Mahmoud", "Ibrahim", "Mostafa", "Abdelrahman", "Saleh"),
           ("Omar", "Ahmed", "Youssef", "Karim", "Mohamed"),
           ("Nour", "Mariam", "Salma", "Yasmin", "Heba"), False),
    "fa": (("Hosseini", "Rezaei", "Mohammadi", "Karimi", "Ahmadi", "Jafari"),
           ("Reza", "Ali", "Mehdi", "Amir", "Hamid"),
           ("Maryam", "Zahra", "Sara", "Neda", "Leila"), False),
    "tr": (("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın"),
           ("Mehmet", "Emre", "Burak", "Can", "Murat"),
           ("Elif", "Zeynep", "Ayşe", "Merve", "Ece"), False),
    "vi": (("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui"),
           ("Minh", "Tuan", "Duc", "Hung", "Quang"),
           ("Linh", "Huong", "Lan", "Mai", "Thao"), True),
    "th": (("Saetang", "Srisuk", "Wongsakul", "Chaiyaporn", "Thongdee", "Boonmee"),
           ("Somchai", "Anan", "Krit", "Nattapong", "Prasert"),
           ("Siriporn", "Pimchanok", "Kanya", "Malee", "Ratana"), False),
    "ms": (("Abdullah", "Ismail", "Tan", "Lim", "Wong", "Ibrahim"),
           ("Ahmad", "Hafiz", "Wei Jie", "Arif", "Kumar"),
           ("Nur Aisyah", "Siti", "Mei Ling", "Farah", "Nadia"), False),
    "id": (("Santoso", "Wijaya", "Saputra", "Hidayat", "Pratama", "Kusuma"),
           ("Budi", "Agus", "Dimas", "Rizky", "Andi"),
           ("Dewi", "Sari", "Putri", "Ayu", "Intan"), False),
    "tl": (("Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Dela Cruz"),
           ("Jose", "Mark", "John Paul", "Paolo", "Miguel"),
           ("Maria", "Kristine", "Angelica", "Joy", "Camille"), False),
    "nl": (("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit"),
           ("Daan", "Sem", "Lars", "Bram", "Thijs"),
           ("Emma", "Sanne", "Lotte", "Fleur", "Anouk"), False),
    "sv": (("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"),
           ("Erik", "Lars", "Oskar", "Johan", "Anders"),
           ("Anna", "Elin", "Sara", "Maja", "Ingrid"), False),
    "it": (("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo"),
           ("Marco", "Luca", "Giuseppe", "Alessandro", "Matteo"),
           ("Giulia", "Francesca", "Chiara", "Sara", "Martina"), False),
    "pl": (("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński"),
           ("Piotr", "Jakub", "Tomasz", "Krzysztof", "Paweł"),
           ("Anna", "Katarzyna", "Magdalena", "Agnieszka", "Zofia"), False),
    "mn": (("Bat-Erdene", "Ganbold", "Enkhbayar", "Tsogt", "Batbayar"),
           ("Temuulen", "Bilguun", "Erdene", "Munkh-Orgil", "Tuguldur"),
           ("Anu", "Solongo", "Oyun", "Nomin", "Saruul"), False),
    "ng": (("Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Bello"),
           ("Chinedu", "Tunde", "Emeka", "Olumide", "Ifeanyi"),
           ("Ngozi", "Amaka", "Funmilayo", "Chiamaka", "Aisha"), False),
    "sg": (("Tan", "Lim", "Lee", "Ng", "Wong", "Goh", "Chua"),
           ("Wei Ming", "Jun Jie", "Kai Wen", "Zhi Hao"),
           ("Hui Min", "Xin Yi", "Jia Hui", "Shu Ting"), True),
}  # fmt: skip

# The 38 countries of the foreign residents: code, people, name group, native languages (ISO 639-1).
# Many people from a few countries, a few from many.
FOREIGN: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("KR", 110, "ko", ("ko",)), ("JP", 70, "ja", ("ja",)), ("US", 55, "en", ("en",)), ("IN", 32, "hi", ("hi", "en")),
    ("GB", 26, "en", ("en",)), ("DE", 24, "de", ("de",)), ("RU", 22, "ru", ("ru",)), ("FR", 20, "fr", ("fr",)),
    ("CA", 15, "en", ("en", "fr")), ("AU", 14, "en", ("en",)), ("SG", 14, "sg", ("en", "zh")),
    ("MY", 12, "ms", ("ms", "en")), ("VN", 12, "vi", ("vi",)), ("TH", 10, "th", ("th",)), ("IT", 10, "it", ("it",)),
    ("ES", 10, "es", ("es",)), ("BR", 9, "pt", ("pt",)), ("PH", 9, "tl", ("tl", "en")), ("ID", 8, "id", ("id",)),
    ("PK", 7, "ur", ("ur", "en")), ("NL", 6, "nl", ("nl",)), ("MX", 6, "es", ("es",)), ("UA", 6, "uk", ("uk",)),
    ("TR", 6, "tr", ("tr",)), ("SE", 5, "sv", ("sv",)), ("NG", 5, "ng", ("en",)), ("KZ", 5, "kk", ("kk", "ru")),
    ("MN", 5, "mn", ("mn",)), ("EG", 4, "ar", ("ar",)), ("IR", 4, "fa", ("fa",)), ("NZ", 4, "en", ("en",)),
    ("PL", 4, "pl", ("pl",)), ("PT", 3, "pt", ("pt",)), ("AR", 3, "es", ("es",)), ("ZA", 3, "en", ("en",)),
    ("BD", 3, "bn", ("bn",)), ("IE", 3, "en", ("en",)), ("CH", 3, "de", ("de", "fr")),
)  # fmt: skip
MIXED_MARRIAGE = ("KR", "JP", "US", "GB", "DE", "FR", "RU", "CA", "AU", "SG", "MY")

# role accounts: username == role; display name (invented), department
ROLE_ACCOUNTS = {
    "grid_worker": ("张明远", None),
    "grid_leader": ("李晓燕", None),
    "secretary": ("王建华", None),
    "street_cadre": ("赵立新", None),
    "department": ("陈志强", "城管执法中队"),
    "admin": ("周敏", None),
    "viewer": ("吴静", None),
}
ORDER_CATEGORIES = ("illegal_parking", "shop_spillover", "noise", "dog_nuisance")  # L4 is the 城管 squad

# --- cases ----------------------------------------------------------------------------------------

# relative frequency of categories; months where a category is more (or less) frequent
CATEGORY_WEIGHTS = {
    "illegal_parking": 16, "fire_lane_blocked": 7, "ebike_charging": 6, "road_damage": 6, "shop_spillover": 6,
    "greenery_damage": 4, "elevator_fault": 7, "fire_equipment": 4, "garbage": 12, "water_leak": 5,
    "public_lighting": 5, "noise": 8, "dog_nuisance": 5, "waterlogging": 3, "other": 6,
}  # fmt: skip
CATEGORY_SEASON = {
    "waterlogging": {5: 1.5, 6: 4.0, 7: 4.0, 8: 3.5, 9: 3.0, 10: 1.2},
    "noise": {6: 1.4, 7: 1.6, 8: 1.6, 9: 1.2},
    "ebike_charging": {12: 1.3, 1: 1.4, 2: 1.3},
    "water_leak": {1: 1.5, 2: 1.3, 7: 1.2},
    "garbage": {7: 1.2, 8: 1.2},
}
CAMERA_CATEGORIES = ("illegal_parking", "fire_lane_blocked", "road_damage", "shop_spillover", "greenery_damage")
URGENT_RATE = {
    "elevator_fault": 0.08, "water_leak": 0.06, "waterlogging": 0.08, "road_damage": 0.03,
    "public_lighting": 0.03, "ebike_charging": 0.04, "other": 0.05,
}  # fmt: skip

SPOTS = (
    ("楼下", "outside"), ("东侧", "on the east side of"), ("西侧", "on the west side of"),
    ("地下车库入口", "at the garage entrance of"), ("单元门口", "at the entrance of"), ("绿化带旁", "by the green belt of"),
    ("快递柜旁", "by the parcel lockers of"), ("北面", "north of"),
)  # fmt: skip
GATE_NAMES = {"north": "北门", "south": "南门", "east": "东门", "west": "西门", "main": "正门", "garage": "侧门"}

# Per category: zh texts and en texts, each with the cue words a grader would pick up.
# Placeholders: {b} building (3幢 / building 3), {u} unit, {f} floor, {f1} floor above, {e} estate, {g} gate
TEXTS: dict[str, dict[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "illegal_parking": {
        "zh": (("{b}{spot}有机动车违停，堵住了单元出入口", ("违停",)),
               ("{g}门口私家车乱停，早上出门车开不出去", ("乱停",)),
               ("小区主干道两侧长期停满车辆，{b}附近尤其严重", ("停满车辆",)),
               ("{b}门口一辆白色轿车停了三天没动", ("停了三天",)),
               ("地下车库入口有车辆违停，影响进出", ("违停",)),
               ("有车停在{b}旁的人行道上，行人只能走机动车道", ("停在人行道",))),
        "en": (("A car is parked across the entrance of {b}, unit {u}.", ("parked",)),
               ("Cars parked illegally along the road near the {g} gate.", ("parked illegally",)),
               ("Someone keeps parking on the pavement next to {b}.", ("parking on the pavement",))),
    },
    "fire_lane_blocked": {
        "zh": (("{b}楼下消防通道被私家车堵住", ("消防通道", "堵")),
               ("{b}{u}单元楼道里堆满纸箱和旧家具，堵住了安全出口", ("楼道", "安全出口")),
               ("消防登高场地上停了好几辆车，就在{b}旁边", ("消防登高场地",)),
               ("{g}的消防通道被快递车长期占用", ("消防通道", "占用")),
               ("{b}{f}楼楼道堆放杂物，消防栓被挡住打不开", ("消防栓", "堆放"))),
        "en": (("Car parked on the fire lane behind {b}.", ("fire lane",)),
               ("The stairwell of {b}, unit {u} is blocked with boxes and old furniture.", ("stairwell", "blocked")),
               ("Delivery vans block the fire access road near the {g} gate every morning.", ("fire access", "block"))),
    },
    "ebike_charging": {
        "zh": (("{b}{u}单元有人从楼上拉电线给电动车充电", ("拉电线", "充电")),
               ("{b}楼道里停着电动车在充电，晚上一直插着", ("楼道", "充电")),
               ("有住户把电动车电瓶拿回家充电，{b}{f}楼", ("电瓶", "充电")),
               ("{b}{u}单元有人推电动车进电梯上楼", ("电动车", "电梯"))),
        "en": (("Someone is charging an e-bike in the stairwell of {b}.", ("charging", "stairwell")),
               ("A cable runs from a window on floor {f} of {b} to charge an e-bike.", ("cable", "charge")),
               ("People take e-bikes into the elevator of {b}, unit {u}.", ("e-bike", "elevator"))),
        "zh_urgent": (("{b}{u}单元楼道电动车充电时起火冒烟，快来人！", ("起火", "冒烟")),),
        "en_urgent": (("Smoke coming from an e-bike charging in the stairwell of {b}! Fire!", ("smoke", "fire")),),
    },
    "road_damage": {
        "zh": (("{b}前面的路面破损，出现一个大坑", ("路面破损",)),
               ("{g}附近人行道地砖松动，老人容易绊倒", ("地砖松动",)),
               ("地下车库减速带损坏，螺丝外露", ("损坏",)),
               ("{b}{spot}的道路有裂缝，下雨就积水", ("裂缝",))),
        "en": (("There is a pothole in the road in front of {b}.", ("pothole",)),
               ("Loose paving stones on the footpath near the {g} gate.", ("loose paving",))),
        "zh_urgent": (("{g}门口窨井盖缺失，晚上路过很危险", ("窨井盖缺失",)),
                      ("{b}旁的井盖不见了，有小孩差点掉下去", ("井盖不见",))),
        "en_urgent": (("A manhole cover is missing on the path beside {b}; someone could fall in.",
                       ("manhole cover", "missing")),),
    },
    "shop_spillover": {
        "zh": (("{g}外沿街商铺把货物摆到人行道上经营", ("出店经营",)),
               ("{g}门口的水果店占道经营，行人只能绕行", ("占道经营",)),
               ("底商餐馆把桌椅摆到门外，晚上很吵", ("桌椅", "门外"))),
        "en": (("The shop near the {g} gate puts its goods all over the pavement.", ("goods", "pavement")),
               ("A restaurant outside the {g} gate sets tables on the footpath every evening.", ("tables", "footpath"))),
    },
    "greenery_damage": {
        "zh": (("{b}{spot}的绿化带被踩秃了一大片", ("绿化带",)),
               ("有住户在{b}旁的绿地里种菜", ("绿地", "种菜")),
               ("中心花园的几棵树枯死了，一直没人补种", ("枯死", "补种")),
               ("{b}前的绿化被挖掉改成了停车位", ("绿化", "挖掉"))),
        "en": (("The grass next to {b} has been dug up for vegetable plots.", ("grass", "dug up")),
               ("Several dead trees in the central garden have not been replaced.", ("dead trees",))),
    },
    "elevator_fault": {
        "zh": (("{b}{u}单元电梯停运了，老人上下楼很不方便", ("电梯停运",)),
               ("{b}{u}单元电梯运行时有异响，晃得厉害", ("异响",)),
               ("{b}{u}单元电梯门关不上，反复开关", ("电梯门",)),
               ("{b}{u}单元电梯按钮失灵，{f}楼按了没反应", ("按钮失灵",))),
        "en": (("The elevator in {b}, unit {u} has been out of service since yesterday.", ("elevator", "out of service")),
               ("The lift in {b} makes a loud noise and shakes.", ("lift", "shakes"))),
        "zh_urgent": (("{b}{u}单元电梯困人，里面有老人和小孩，快来人！", ("困人",)),
                      ("{b}{u}单元电梯突然停在{f}楼和{f1}楼之间，有人被关在里面", ("被关在里面",))),
        "en_urgent": (("Someone is trapped in the elevator of {b}, unit {u}! Please hurry.", ("trapped", "elevator")),),
    },
    "fire_equipment": {
        "zh": (("{b}{f}楼消防栓箱里没有水带", ("消防栓", "水带")),
               ("{b}{u}单元的灭火器过期了", ("灭火器", "过期")),
               ("{b}楼道应急照明灯不亮", ("应急照明",)),
               ("{b}安全出口指示灯坏了", ("安全出口指示灯",)),
               ("地下车库的烟感报警器一直在响", ("烟感",))),
        "en": (("The fire extinguisher on floor {f} of {b} has expired.", ("extinguisher", "expired")),
               ("The fire hose cabinet in {b} is empty.", ("fire hose",)),
               ("Emergency exit sign broken in {b}, unit {u}.", ("exit sign",))),
    },
    "garbage": {
        "zh": (("{b}{spot}垃圾桶满了没人清运，味道很大", ("垃圾", "清运")),
               ("垃圾分类投放点乱扔垃圾，厨余和其他垃圾混在一起", ("垃圾分类",)),
               ("有人在{b}楼道里堆放装修垃圾", ("装修垃圾",)),
               ("{g}门口的大件垃圾堆了一周了", ("大件垃圾",))),
        "en": (("The bins next to {b} are overflowing and smell bad.", ("bins", "overflowing")),
               ("Renovation waste has been dumped near the {g} gate.", ("waste", "dumped")),
               ("People do not sort their garbage at the collection point near {b}.", ("garbage", "sort"))),
    },
    "water_leak": {
        "zh": (("{b}{u}单元{f}楼楼上漏水，天花板一直在滴", ("漏水",)),
               ("{b}地下室水管破裂在漏水", ("水管破裂",)),
               ("{b}{spot}的供水管爆了，水流到路上", ("水管", "爆")),
               ("{b}{u}单元楼道水表井漏水", ("漏水",))),
        "en": (("Water is leaking from the ceiling of a flat on floor {f} of {b}.", ("leaking",)),
               ("A water pipe has burst in the basement of {b}.", ("pipe", "burst"))),
        "zh_urgent": (("{b}{u}单元{f}楼水管爆裂，水已经漫进好几户家里了", ("水管爆裂", "漫进家里")),),
        "en_urgent": (("A burst pipe in {b}: water is entering homes on floor {f}!", ("burst pipe", "entering homes")),),
    },
    "public_lighting": {
        "zh": (("{b}{spot}的路灯坏了，晚上一片漆黑", ("路灯",)),
               ("{b}{u}单元楼道声控灯不亮", ("声控灯",)),
               ("地下车库有一排灯不亮", ("灯不亮",)),
               ("{g}门口的路灯白天一直亮着", ("路灯",))),
        "en": (("The street lamp next to {b} is broken; it is pitch dark at night.", ("street lamp", "broken")),
               ("Stairwell lights in {b}, unit {u} do not work.", ("lights",))),
        "zh_urgent": (("{b}旁边路灯杆底座的盖子掉了，电线裸露在外面，小孩在旁边玩", ("电线裸露",)),),
        "en_urgent": (("Exposed live wires at the lamp post near {b}; children play there.", ("exposed", "live wires")),),
    },
    "noise": {
        "zh": (("{b}{f}楼住户深夜还在装修，电钻声很响", ("装修", "深夜")),
               ("广场舞音响声音太大，晚上九点以后还在跳", ("广场舞", "声音太大")),
               ("{b}楼上每天晚上拖动家具，吵得睡不着", ("吵",)),
               ("{g}门外工地夜间施工，噪声扰民", ("夜间施工", "噪声"))),
        "en": (("Loud drilling from a renovation in {b} late at night.", ("loud", "late at night")),
               ("Square dancing music near {b} is far too loud after 9 pm.", ("music", "loud")),
               ("Construction noise from the site outside the {g} gate all night.", ("construction noise",))),
    },
    "dog_nuisance": {
        "zh": (("{b}有人遛狗不牵绳，小孩被吓哭了", ("遛狗", "不牵绳")),
               ("{b}{spot}狗粪便没人清理", ("狗粪便",)),
               ("{b}{f}楼家里的狗整夜叫", ("狗", "叫")),
               ("有大型犬在中心花园乱跑", ("大型犬",))),
        "en": (("A large dog off the leash near {b} scared my child.", ("dog", "off the leash")),
               ("Dog mess everywhere on the path beside {b}.", ("dog mess",))),
    },
    "waterlogging": {
        "zh": (("暴雨后{b}{spot}积水很深，没过脚踝", ("积水",)),
               ("地下车库入口积水，车辆无法进出", ("积水", "地下车库")),
               ("{g}门口积水排不出去，雨水井堵了", ("积水", "雨水井"))),
        "en": (("After the rain, deep water stands at the garage entrance.", ("deep water",)),
               ("Water is ankle-deep in front of {b}; the drain is blocked.", ("water", "drain"))),
        "zh_urgent": (("暴雨积水倒灌，{b}一楼住户家里进水了", ("倒灌", "进水")),),
        "en_urgent": (("Flood water is entering ground-floor homes in {b}!", ("flood", "entering homes")),),
    },
    "other": {
        "zh": (("{b}{u}单元门禁坏了，外人随便进出", ("门禁",)),
               ("{b}外墙瓷砖有松动，担心掉下来", ("瓷砖松动",)),
               ("{g}快递柜旁边乱堆快递包裹", ("快递",)),
               ("{b}有住户在楼顶私搭违建", ("违建",)),
               ("小区健身器材坏了，有安全隐患", ("健身器材",))),
        "en": (("The entrance door lock of {b}, unit {u} is broken.", ("door lock", "broken")),
               ("Someone built a shed on the roof of {b}.", ("shed", "roof"))),
        "zh_urgent": (("{b}{u}单元楼道里有很浓的煤气味", ("煤气味",)),
                      ("{b}{f}楼有位老人摔倒在楼道里，叫不醒", ("摔倒", "叫不醒"))),
        "en_urgent": (("Strong smell of gas in the stairwell of {b}, unit {u}.", ("smell of gas",)),
                      ("An elderly man has fallen in the stairwell of {b} and does not respond.",
                       ("fallen", "does not respond"))),
    },
}  # fmt: skip
CAMERA_TEXTS = {
    "illegal_parking": ("巡检车自动抓拍：{g}外机动车违停", ("违停",)),
    "fire_lane_blocked": ("巡检车自动抓拍：{b}旁消防通道被车辆占用", ("消防通道", "占用")),
    "road_damage": ("巡检车自动识别：{b}{spot}路面破损", ("路面破损",)),
    "shop_spillover": ("巡检车自动抓拍：{g}外出店经营", ("出店经营",)),
    "greenery_damage": ("巡检车自动识别：{b}旁绿化缺失", ("绿化缺失",)),
}
ZH_SUFFIXES = ("", "", "，请尽快处理", "，已经好几天了", "，麻烦派人来看看", "，影响通行", "，希望物业重视一下", "。")
ZH_URGENT_SUFFIXES = ("", "", "，请马上派人来", "，太危险了")
EN_PREFIXES = ("", "", "Hello, ", "Hi, ")
EN_SUFFIXES = ("", "", " Please send someone.", " It has been like this for days.", " Thank you.")

RESOLVE_NOTES = {
    "illegal_parking": ("已联系车主挪车，现场恢复通行", "已张贴违停告知单，并通知物业加强巡查", "车辆已由交警拖离"),
    "fire_lane_blocked": ("已联系车主移走车辆，消防通道畅通", "已组织物业清理楼道杂物", "已清理完毕并告知住户不得堆放"),
    "ebike_charging": ("已劝导住户停止飞线充电并拆除电线", "已将电动车移至集中充电棚", "已上门宣传并签订安全承诺书"),
    "road_damage": ("物业已修补路面", "已设置警示标志并安排维修", "已更换损坏地砖和井盖"),
    "shop_spillover": ("已劝导商户将货物收回店内", "联合城管约谈商户，已整改"),
    "greenery_damage": ("已安排物业补种", "已劝导住户恢复绿地"),
    "elevator_fault": ("维保单位已到场维修，电梯恢复运行", "已更换门机部件，试运行正常"),
    "fire_equipment": ("已更换过期灭火器", "已补齐消防水带", "已修复应急照明和指示灯"),
    "garbage": ("已安排保洁清运", "已在投放点加派督导员"),
    "water_leak": ("已关闭阀门并维修管道", "已协调楼上住户维修防水层"),
    "public_lighting": ("已更换灯具，照明恢复", "已维修线路并加装防护盖"),
    "noise": ("已上门劝导，住户承诺不在夜间施工", "已联系广场舞队调低音量并调整时间"),
    "dog_nuisance": ("已上门宣传文明养犬规定", "已联系物业清理并加强巡查"),
    "waterlogging": ("已疏通雨水井，积水已排除", "已安排抽水泵排水并转移受影响住户物品"),
    "other": ("已联系物业处理完毕", "已现场处置"),
}  # fmt: skip
URGENT_NOTES = {
    "elevator_fault": "维保人员到场，被困人员已安全救出，电梯停梯检修",
    "other": "已联系燃气公司和120到场处置，隐患排除",
    "water_leak": "已关闭总阀并组织抢修，协助受影响住户转移物品",
    "waterlogging": "已调用抽水泵排水，并用沙袋封堵",
    "road_damage": "已设置围挡并更换井盖",
    "public_lighting": "已断电并加装防护盖，线路维修完成",
    "ebike_charging": "已扑灭明火并疏散住户，电动车已移出楼道",
}
PUMP_NOTE = "消防泵已检修，出水压力恢复正常"
PUSH_REASONS = (
    "涉及执法权限，网格层面无法处置",
    "需物业公司动用维修资金，需上级协调",
    "当事人拒不配合整改，提请上级协调",
    "涉及多个部门职责，需社区统一协调",
    "需要专业维修单位，超出网格处置能力",
)
REOPEN_NOTES = ("复核发现问题未彻底解决，退回返工", "居民反映问题反复出现，要求重新处理", "现场核查未达标，返工")
REJECT_NOTES = (
    "经核实不属于社区职责范围，已告知反映人拨打12345",
    "现场核查未发现反映的问题",
    "属于业主之间的私人纠纷，已引导通过调解途径解决",
)
VERIFY_NOTES = ("现场核查，已整改到位", "回访反映人，表示满意", "核查通过")

# --- index, services ------------------------------------------------------------------------------

ASPECTS = tuple(code for code, _zh, _en in catalog.BALLOT_ASPECTS)
ASPECT_OFFSET = {
    "fire_safety": 0.0, "elevator": -0.1, "garbage_sorting": -0.2, "property_management": -0.15,
    "sanitation": 0.0, "epidemic_prevention": 0.2, "dog_keeping": -0.3,
}  # fmt: skip
ESTATE_MOOD = {"junjing": 4.2, "yitian": 4.0, "fengshang": 3.5}
ESTATE_SCORE = {"junjing": 86.0, "yitian": 81.0, "fengshang": 72.0}
# two months before as_of's month yitian has a good month and runs neck and neck with junjing, so the index's
# Monte Carlo rank intervals overlap there (mood and score lift)
CLOSE_RACE = {"yitian": (0.2, 3.4)}
COMMENTS_GOOD = ("物业服务越来越好了", "小区环境干净，点赞", "垃圾分类做得不错", "电梯维保很及时", "保安很负责")
COMMENTS_BAD = (
    "地下车库照明希望改善",
    "垃圾分类点有异味",
    "电梯经常停运，希望尽快维修",
    "楼道堆物没人管",
    "遛狗不牵绳的现象还是很多",
    "希望增加电动车充电桩",
)
COMMENTS_RED = (
    "消防通道经常被堵，很担心安全",
    "楼道里堆满杂物，消防栓都打不开",
    "灭火器好久没人检查了",
    "物业对消防隐患不重视",
)
COMMENTS_EN = (
    "Great management, thank you.",
    "Please fix the lights in the garage.",
    "Dogs off the leash are a problem.",
)

TALENT_PLAN = (  # primary specialty, people, teams (zh names from catalog.TALENT_TEAMS)
    ("legal", 10, ("公共议事会", "红领工作室")),
    ("engineering", 10, ("党员邮政站", "雷锋基金")),
    ("international", 10, ("国际疫情志愿团队",)),
    ("culture_arts", 10, ("家长爱心吧", "红领工作室")),
    ("antiques", 5, ("雷锋基金", "公共议事会")),
    ("medical", 15, ("党员邮政站", "雷锋基金", "家长爱心吧")),
)
FOREIGN_VOLUNTEERS = (("KR", "ko", ["ko", "en", "zh"]), ("JP", "ja", ["ja", "en", "zh"]), ("US", "en", ["en", "zh"]),
                      ("FR", "fr", ["fr", "en"]), ("DE", "de", ["de", "en"]), ("RU", "ru", ["ru", "en"]))  # fmt: skip
# Korean and Japanese residents mostly ask for these (data_access.demo_services): their volunteers cover them
FOREIGN_SECOND_SPECIALTY = {"KR": "legal", "JP": "medical"}
BIOS = {
    "legal": (("执业律师，擅长婚姻家事和租赁纠纷", "Practising lawyer: family matters and tenancy disputes"),
              ("退休法官，热心社区调解", "Retired judge, active in community mediation"),
              ("法律援助中心志愿者", "Legal aid volunteer")),
    "engineering": (("高级工程师，从事建筑结构三十年", "Senior structural engineer, thirty years in practice"),
                    ("电气工程师，熟悉老旧小区改造", "Electrical engineer, old-estate renovation"),
                    ("暖通工程师", "Heating and ventilation engineer")),
    "international": (("在杭外籍志愿者，帮助新来的外籍居民", "Foreign volunteer in Hangzhou who helps newcomers"),
                      ("大学外语教师", "University language teacher"), ("外事翻译", "Interpreter")),
    "culture_arts": (("书法家协会会员", "Member of the calligraphers' association"),
                     ("退休音乐教师，指导社区合唱团", "Retired music teacher who coaches the community choir"),
                     ("摄影爱好者", "Photography enthusiast")),
    "antiques": (("古陶瓷鉴定专家", "Expert in antique ceramics"), ("书画鉴定师", "Painting and calligraphy appraiser")),
    "medical": (("社区卫生服务中心全科医生", "General practitioner at the community health centre"),
                ("退休护士长，擅长老年护理", "Retired head nurse, elderly care"), ("康复治疗师", "Physiotherapist"),
                ("中医师", "Doctor of traditional Chinese medicine")),
}  # fmt: skip
REQUEST_TEXTS = {
    "zh": {
        "legal": ("想咨询房屋租赁合同纠纷怎么处理", "老人想立遗嘱，需要法律指导", "装修公司拖延工期，想了解如何维权",
                  "邻里之间漏水赔偿问题，想咨询律师", "劳动合同到期公司不续签，想了解补偿"),
        "engineering": ("家里墙面渗水，想请专业人员看看原因", "想咨询老房子电路改造的注意事项",
                        "阳台防水层老化，需要技术指导", "想给老人家里加装扶手和防滑设施"),
        "international": ("新搬来的外籍邻居需要办理居住登记，想请志愿者陪同", "想了解外籍人员在杭州就医的手续",
                          "外籍家庭孩子入学需要准备哪些材料"),
        "culture_arts": ("想给社区老年合唱团请一位指导老师", "孩子想学书法，有没有志愿者老师", "想组织一次社区摄影活动"),
        "antiques": ("家里有一件祖传瓷器，想请专家看看", "想了解老字画的保存方法"),
        "medical": ("老人血压控制不好，想请医生上门咨询", "想了解术后康复训练方法", "独居老人需要定期健康随访",
                    "想咨询儿童疫苗接种安排"),
    },
    "en": {
        "legal": ("I need advice on my lease; the landlord will not return the deposit.",
                  "Could a lawyer help me understand my employment contract?"),
        "engineering": ("Water is leaking from my bathroom ceiling; can someone check it?",),
        "international": ("I just moved here and need help registering my residence.",
                          "How do I open a bank account and get a local phone number?"),
        "culture_arts": ("I would like to join a Chinese calligraphy class.",),
        "antiques": ("I have an old vase and would like to know more about it.",),
        "medical": ("My mother needs a doctor who speaks English for a check-up.", "Where can my child get vaccinated?"),
    },
    "ko": {
        "legal": ("임대 계약서 내용을 이해하는 데 도움이 필요합니다.",),
        "international": ("외국인 거주 등록을 도와주실 분이 필요합니다.",),
        "medical": ("아이 예방접종 병원을 알고 싶어요.",),
    },
    "ja": {
        "legal": ("賃貸契約について相談したいです。",),
        "international": ("住民登録の手続きを手伝ってほしいです。",),
        "medical": ("子どもの予防接種について知りたいです。",),
    },
    "ar": {"international": ("أحتاج مساعدة في فهم عقد الإيجار الخاص بي.",)},
    "th": {"international": ("ต้องการคำแนะนำเรื่องสัญญาเช่าบ้าน",)},
    "tr": {"international": ("Kira sözleşmem hakkında yardıma ihtiyacım var.",)},
}  # fmt: skip
GAP_LANGUAGES = ("ar", "th", "tr")  # nobody in the talent library speaks these
RATING_COMMENTS = {
    "zh": ("老师很专业，解答很耐心", "上门很及时，问题解决了", "非常感谢志愿者的帮助", "服务很好，下次还会找", "有帮助，但时间有点短"),
    "en": ("Very helpful, thank you!", "Clear advice in English, much appreciated.", "Good service, arrived on time."),
}  # fmt: skip

HOUR_WEIGHTS = {
    "resident": (1, 0.5, 0.3, 0.2, 0.2, 0.5, 2, 5, 7, 7, 6, 5, 4, 4, 5, 5, 5, 6, 7, 8, 8, 6, 4, 2),
    "staff": (0, 0, 0, 0, 0, 0, 0, 0.5, 3, 6, 6, 5, 2, 4, 6, 6, 5, 2, 0.5, 0, 0, 0, 0, 0),
    "camera_car": (0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 4, 0, 0, 5, 6, 4, 0, 0, 0, 0, 0, 0, 0),
}
HOUR_WEIGHTS["open311"] = HOUR_WEIGHTS["resident"]
ESTATE_CASE_WEIGHTS = {"junjing": 30, "yitian": 20, "fengshang": 32, "eastcom": 9, "zhicheng": 9}

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOTS = ("09:00-12:00", "14:00-17:00", "19:00-21:00")
TRIPS = {  # elevator trips per hour, by hour of day
    "residential": (2, 1, 0, 0, 0, 1, 4, 12, 14, 8, 6, 6, 7, 6, 5, 5, 6, 10, 14, 12, 9, 7, 5, 3),
    "office": (0, 0, 0, 0, 0, 0, 1, 6, 25, 20, 12, 10, 18, 12, 10, 10, 12, 22, 15, 6, 3, 1, 0, 0),
    "office_weekend": (0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0),
}
NOTICE_DAYS = 10  # how far back the demo's inboxes reach
NOTICE_ACTIONS = ("report", "push_up", "escalate", "reopen", "resolve")  # what tells someone (domain.workflow)
STREAMS = (
    "places", "people", "staff", "devices", "alarms", "parking", "cases", "trail", "duplicates", "telemetry",
    "doors", "ballots", "indicators", "talent", "requests",
)  # fmt: skip
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 96.2  # at 30.19° N


# --- public entry point ---------------------------------------------------------------------------


def build_demo(
    engine: Engine, *, seed: int = DEMO_SEED, as_of: datetime | None = None, password: str | None = None
) -> DemoResult:
    """Seed the demo community into a migrated store; raise ValueError if it is already there."""
    started = _time.perf_counter()
    as_of = to_local_naive(as_of) if as_of is not None else local_now().replace(second=0)
    as_of = as_of.replace(microsecond=0)
    password = password or secrets.token_urlsafe(9)
    password_hash = generate_password_hash(password)  # once: one password, one hash, every account
    with writing(engine) as session:
        if session.scalar(select(Community.id).where(Community.code == COMMUNITY_CODE)) is not None:
            raise ValueError(f"the demo community {COMMUNITY_CODE!r} is already in this store; it is seeded once")
        seed_reference(session, as_of)
        builder = _Builder(session, seed, as_of, password_hash)
        builder.run()
        cid = builder.community_id
        wall = issue_token(session, "wall", "demo wall", as_of, community_id=cid)
        open311 = issue_token(session, "open311", "demo open311 client", as_of, community_id=cid)
        machine = issue_token(session, "machine", "demo gateway", as_of, community_id=cid)
        counts = {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    return DemoResult(
        password=password,
        logins=[(role, role) for role in catalog.ROLES],
        wall_token=wall,
        open311_key=open311,
        machine_token=machine,
        counts=dict(sorted(counts.items())),
        seconds=round(_time.perf_counter() - started, 3),
    )


# --- helpers --------------------------------------------------------------------------------------


def notice_rows(cases: list[_Case], as_of: datetime, secretary_id: int) -> list[dict]:
    """The staff inboxes as the last NOTICE_DAYS of the trails left them: each hand-over told its new
    holder and each resolution the one who checks it (DESIGN.md 5.3); notices older than two days have
    been read. `cases` carry their ids."""
    since = as_of - timedelta(days=NOTICE_DAYS)
    rows = []
    for c in cases:
        if c.plan == "duplicate":
            continue
        category = catalog.CATEGORY_BY_CODE[c.category]
        for a in c.actions:
            if a["at"] < since or a["action"] not in NOTICE_ACTIONS:
                continue
            checker = c.l2[0] if a["to_level"] <= 2 else secretary_id  # who checks resolved work
            user_id = checker if a["action"] == "resolve" else a["_holder"]
            if user_id is None:
                continue
            due = a["_due"].strftime("%m-%d %H:%M") if a["_due"] else "—"
            zh, en = holder_notice(
                a["action"], code=c.tracking_code, category_zh=category.name_zh, category_en=category.name_en,
                grade_zh=catalog.GRADE_ZH[c.grade], grade_en=catalog.GRADE_EN[c.grade], due=due,
                note=a["note"] or "",
            )  # fmt: skip
            read = a["at"] + timedelta(hours=2) if a["at"] < as_of - timedelta(days=2) else None
            rows.append(
                {"user_id": user_id, "event_id": c.id, "kind": f"case.{a['action']}", "message_zh": zh[:300],
                 "message_en": en[:300], "created_at": a["at"], "read_at": read}
            )  # fmt: skip
    return sorted(rows, key=lambda r: (r["created_at"], r["user_id"]))


def _insert(session: Session, model: type[Base], rows: list[dict], ids: bool = False) -> list[int]:
    """Bulk insert; with ids=True return the new primary keys in the order of `rows`."""
    if not rows:
        return []
    if ids:
        stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, rows))
    session.execute(insert(model), rows)
    return []


def _round_s(moment: datetime) -> datetime:
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


def _later(start: datetime, minutes: float, grade: str) -> datetime:
    """`start` plus `minutes`: working time for the grades that count it, on the clock for urgent."""
    if grade in catalog.WORKING_TIME_GRADES:
        return _round_s(add_working_minutes(start, minutes))
    return _round_s(start + timedelta(minutes=minutes))


def _interp(anchors: tuple[tuple[int, float], ...], x: float) -> float:
    for (x0, y0), (x1, y1) in zip(anchors, anchors[1:], strict=False):
        if x0 <= x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return anchors[-1][1]


def _rect_polygon(rect: tuple[float, float, float, float]) -> dict[str, Any]:
    lon0, lat0, lon1, lat1 = (round(v, 6) for v in rect)
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


def _months_back(as_of: datetime, n: int) -> list[str]:
    """The n full months before as_of's month, oldest first, as 'YYYY-MM'."""
    y, m = as_of.year, as_of.month
    out = []
    for k in range(n, 0, -1):
        idx = y * 12 + (m - 1) - k
        out.append(f"{idx // 12:04d}-{idx % 12 + 1:02d}")
    return out


def _month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), 1)


def _next_month(month: str) -> datetime:
    y, m = int(month[:4]), int(month[5:])
    return datetime(y + (m == 12), m % 12 + 1, 1)


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("35789") + "".join(rng.choice("0123456789") for _ in range(9))


def _code(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        code = prefix + "".join(rng.choice(B32) for _ in range(8))
        if code not in used:
            used.add(code)
            return code


def _cn_name(rng: random.Random, gender: str, age: int, surname: str | None = None) -> str:
    if surname is None:
        surname = rng.choice(SURNAMES_COMMON) if rng.random() < 0.45 else rng.choice(SURNAMES_OTHER)
    if age >= 62 and rng.random() < 0.7:
        given = rng.choice(GIVEN_OLD[gender])
    elif age <= 20 and rng.random() < 0.7:
        given = rng.choice(GIVEN_YOUNG[gender])
    elif rng.random() < 0.3:
        given = rng.choice(GIVEN_CHARS[gender])
    else:
        given = rng.choice(GIVEN_CHARS[gender]) + rng.choice(GIVEN_CHARS[gender])
    return surname + given


def _foreign_name(rng: random.Random, group: str, gender: str, family: str | None = None) -> tuple[str, str]:
    """(full name, family name) from the group's lists; family names of the ru/kk/pl kind take the female form."""
    families, males, females, family_first = NAME_GROUPS[group]
    family = family or rng.choice(families)
    shown = family
    if gender == "F":
        if group in ("ru", "kk") and family.endswith(("ov", "ev")):
            shown = family + "a"
        elif group == "pl" and family.endswith("ski"):
            shown = family[:-1] + "a"
    given = rng.choice(males if gender == "M" else females)
    return (f"{shown} {given}" if family_first else f"{given} {shown}"), family


def _tags(*tags: str) -> str:
    return ",".join(t for t in tags if t)


@dataclass
class _Case:
    reported_at: datetime
    category: str
    source: str
    grade: str
    estate: dict
    building: dict
    unit: int
    floor: int
    lang: str = "zh"
    plan: str = "normal"  # normal / hard / stuck / reject / duplicate / iot
    reopen: bool = False
    description: str = ""
    cues: list[str] = field(default_factory=list)
    confidence: float = 0.8
    lat: float = 0.0
    lon: float = 0.0
    l1: tuple[int, str] = (0, "")
    l2: tuple[int, str] = (0, "")
    l4: tuple[int, str] = (0, "")
    reporter: tuple[int | None, str] = (None, "resident")
    contact: str | None = None
    duplicate_of: _Case | None = None
    alarm: dict | None = None
    actions: list[dict] = field(default_factory=list)
    template: tuple[str, int] | None = None  # (language key, index) of the text, so a duplicate can say the same
    tracking_code: str = ""
    source_ref: str = ""
    id: int = 0


class _Trail:
    """The actions of one case in time order; stops for good at the first step after as_of."""

    def __init__(self, as_of: datetime) -> None:
        self.rows: list[dict] = []
        self.as_of = as_of
        self.stopped = False

    @property
    def last_at(self) -> datetime:
        return self.rows[-1]["at"]

    def add(
        self, at: datetime, action: str, actor: tuple[int | None, str], status: tuple, level: tuple, **extra
    ) -> bool:
        if self.stopped:
            return False
        if self.rows and at <= self.last_at:
            at = self.last_at + timedelta(seconds=1)
        if at > self.as_of:
            self.stopped = True
            return False
        self.rows.append(
            {
                "at": at,
                "actor_id": actor[0],
                "actor_label": actor[1],
                "action": action,
                "from_status": status[0],
                "to_status": status[1],
                "from_level": level[0],
                "to_level": level[1],
                "note": extra.get("note"),
                "_holder": extra.get("holder"),
                "_due": extra.get("due"),
            }
        )
        return True


class _Builder:
    estate_case_weights = ESTATE_CASE_WEIGHTS  # the district demo's communities bring their own

    def __init__(self, session: Session, seed: int, as_of: datetime, password_hash: str) -> None:
        self.s = session
        self.as_of = as_of
        self.today = datetime.combine(as_of.date(), time(0))
        self.password_hash = password_hash
        master = random.Random(seed)
        self.rng = {name: random.Random(master.getrandbits(64)) for name in STREAMS}

    def run(self) -> None:
        self.places()
        self.people()
        self.staff()
        self.devices()
        self.plan_alarms()
        self.parking()
        self.cases()
        self.notices()
        self.alarms()
        self.telemetry()
        self.doors()
        self.ballots()
        self.indicators()
        self.services()

    # --- places -----------------------------------------------------------------------------------

    def places(self) -> None:
        rng = self.rng["places"]
        self.street_id = _insert(self.s, Street, [STREET], ids=True)[0]
        self.community_id = _insert(self.s, Community, [{**COMMUNITY, "street_id": self.street_id}], ids=True)[0]

        m = GRID_MARGIN
        grid_rects: dict[str, list[float]] = {}
        for _code, _zh, _en, _kind, (lon0, lat0, lon1, lat1), grids, _n in ESTATES:
            if len(grids) == 2:
                mid = (lon0 + lon1) / 2
                grid_rects[grids[0]] = [lon0 - m, lat0 - m, mid, lat1 + m]
                grid_rects[grids[1]] = [mid, lat0 - m, lon1 + m, lat1 + m]
            elif grids[0] in grid_rects:  # the office parks share one grid
                r = grid_rects[grids[0]]
                grid_rects[grids[0]] = [
                    min(r[0], lon0 - m),
                    min(r[1], lat0 - m),
                    max(r[2], lon1 + m),
                    max(r[3], lat1 + m),
                ]
            else:
                grid_rects[grids[0]] = [lon0 - m, lat0 - m, lon1 + m, lat1 + m]
        grid_codes = sorted(grid_rects)
        grid_rows = [
            {
                "community_id": self.community_id,
                "code": code,
                "name_zh": f"东信第{GRID_NUMERALS[i]}网格",
                "name_en": f"Dongxin Grid {i + 1}",
                "polygon": _rect_polygon(tuple(grid_rects[code])),
            }
            for i, code in enumerate(grid_codes)
        ]
        self.grid_id = dict(zip(grid_codes, _insert(self.s, Grid, grid_rows, ids=True), strict=True))

        estate_rows = []
        for code, zh, en, kind, rect, grids, _n in ESTATES:
            lon0, lat0, lon1, lat1 = rect
            estate_rows.append(
                {
                    "community_id": self.community_id,
                    "grid_id": self.grid_id[grids[0]],
                    "code": code,
                    "name_zh": zh,
                    "name_en": en,
                    "kind": kind,
                    "lat": round((lat0 + lat1) / 2, 6),
                    "lon": round((lon0 + lon1) / 2, 6),
                    "polygon": _rect_polygon(rect),
                }
            )
        estate_ids = _insert(self.s, Estate, estate_rows, ids=True)
        self.estates = []
        for (code, zh, en, kind, rect, grids, n_range), row, eid in zip(ESTATES, estate_rows, estate_ids, strict=True):
            self.estates.append(
                {"id": eid, "code": code, "zh": zh, "en": en, "kind": kind, "rect": rect, "grids": grids,
                 "lat": row["lat"], "lon": row["lon"], "n": rng.randint(*n_range), "gates": GATES[code]}
            )  # fmt: skip
        self.estate_by_code = {e["code"]: e for e in self.estates}

        # buildings on a jittered lattice inside each estate; a split estate has an even number of columns
        self.household_target = rng.randint(2950, 3050)
        buildings = []
        for est in self.estates:
            lon0, lat0, lon1, lat1 = est["rect"]
            n = est["n"]
            w, h = (lon1 - lon0) * KM_PER_DEG_LON, (lat1 - lat0) * KM_PER_DEG_LAT
            cols = max(1, round(math.sqrt(n * w / h)))
            if len(est["grids"]) == 2 and cols % 2:
                cols += 1
            rows = math.ceil(n / cols)
            est["buildings"] = []
            for i in range(n):
                r, c = divmod(i, cols)
                fx = (c + 0.5 + rng.uniform(-0.12, 0.12)) / cols
                fy = (r + 0.5 + rng.uniform(-0.12, 0.12)) / rows
                lon = lon0 + (lon1 - lon0) * (0.08 + 0.84 * fx)
                lat = lat1 - (lat1 - lat0) * (0.08 + 0.84 * fy)
                grid = est["grids"][0] if len(est["grids"]) == 1 or fx < 0.5 else est["grids"][1]
                if est["kind"] == "residential":
                    floors, units = rng.choice((11, 11, 18, 18, 24, 26, 28, 30, 33)), rng.choice((2, 2, 3))
                    zh, en = f"{i + 1}幢", f"Building {i + 1}"
                else:
                    floors, units = rng.randint(12, 24), 2
                    zh, en = f"{i + 1}号楼", f"Tower {i + 1}"
                b = {"estate": est, "code": str(i + 1), "num": i + 1, "zh": zh, "en": en, "floors": floors,
                     "units": units, "lat": round(lat, 6), "lon": round(lon, 6), "grid": grid}  # fmt: skip
                est["buildings"].append(b)
                buildings.append(b)
        # enough flats for the households (two flats per floor and unit) with a realistic vacancy
        residential = [b for b in buildings if b["estate"]["kind"] == "residential"]
        low = [b for b in residential if b["floors"] < 33]
        while low and sum(b["floors"] * b["units"] * 2 for b in residential) < 1.3 * self.household_target:
            shortest = min(low, key=lambda b: (b["floors"] * b["units"], b["estate"]["code"], b["num"]))
            shortest["floors"] = 33
            low.remove(shortest)
        rows = [
            {"estate_id": b["estate"]["id"], "grid_id": self.grid_id[b["grid"]], "code": b["code"], "name_zh": b["zh"],
             "name_en": b["en"], "floors": b["floors"], "units": b["units"], "lat": b["lat"], "lon": b["lon"]}
            for b in buildings
        ]  # fmt: skip
        for b, bid in zip(buildings, _insert(self.s, Building, rows, ids=True), strict=True):
            b["id"] = bid
        self.buildings = buildings

    # --- households and residents ----------------------------------------------------------------

    def people(self) -> None:
        rng = self.rng["people"]
        year = self.as_of.year
        target_residents = rng.randint(7920, 8080)

        profiles: list[tuple[str, list[dict]]] = []  # (tenure, members; the first is the head)
        foreign_people = 0
        for country, count, group, langs in FOREIGN:
            left = count
            while left > 0:
                r = rng.random()
                if left >= 3 and r < 0.30:
                    size = min(left, rng.choice((3, 3, 4)))
                    members = self._foreign_family(rng, country, group, langs, size)
                elif left >= 2 and r < 0.55:
                    members = self._foreign_family(rng, country, group, langs, 2)
                elif country in MIXED_MARRIAGE and r < 0.68:
                    members = self._mixed_family(rng, country, group, langs)
                else:
                    g = rng.choice("FM")
                    members = [self._foreigner(rng, country, group, langs, g, rng.randint(22, 62), "self")]
                n_foreign = sum(1 for p in members if p["nationality"] != "CN")
                left -= n_foreign
                foreign_people += n_foreign
                profiles.append(("tenant" if rng.random() < 0.7 else "owner", members))
        assert foreign_people == sum(c for _code, c, _g, _l in FOREIGN)

        n_cn = self.household_target - len(profiles)
        cn_needed = target_residents - sum(len(m) for _t, m in profiles)
        sizes = rng.choices((1, 2, 3, 4, 5), weights=(14, 30, 31, 17, 8), k=n_cn)
        total = sum(sizes)
        while total != cn_needed:
            i = rng.randrange(n_cn)
            if total > cn_needed and sizes[i] > 1:
                sizes[i] -= 1
                total -= 1
            elif total < cn_needed and sizes[i] < 5:
                sizes[i] += 1
                total += 1
        for size in sizes:
            members, tenure = self._cn_family(rng, size)
            profiles.append((tenure, members))
        rng.shuffle(profiles)

        flats = [
            (b, u, f, r)
            for b in self.buildings
            if b["estate"]["kind"] == "residential"
            for u in range(1, b["units"] + 1)
            for f in range(1, b["floors"] + 1)
            for r in (1, 2)
        ]
        chosen = sorted(rng.sample(range(len(flats)), self.household_target))
        households = []
        for flat_index, (tenure, members) in zip(chosen, profiles, strict=True):
            b, u, f, r = flats[flat_index]
            room = f"{f}{r:02d}"
            households.append(
                {"external_id": f"HH-{b['estate']['code']}-{b['num']:02d}-{u}-{room}", "building": b, "unit": u,
                 "room": room, "floor": f, "tenure": tenure, "members": members}
            )  # fmt: skip
        hh_rows = [
            {"external_id": h["external_id"], "building_id": h["building"]["id"], "unit": h["unit"], "room": h["room"],
             "size": len(h["members"]), "tenure": h["tenure"]}
            for h in households
        ]  # fmt: skip
        for h, hid in zip(households, _insert(self.s, Household, hh_rows, ids=True), strict=True):
            h["id"] = hid
        res_rows, res_refs = [], []
        for h in households:
            for i, p in enumerate(h["members"], start=1):
                res_rows.append(
                    {"external_id": f"RS-{h['external_id'][3:]}-{i}", "household_id": h["id"], "name": p["name"],
                     "phone": p["phone"], "birth_year": year - p["age"], "gender": p["gender"],
                     "nationality": p["nationality"], "languages": p["languages"], "care_tags": p["care_tags"],
                     "relation": p["relation"]}
                )  # fmt: skip
                res_refs.append((h, p))
        for (_h, p), rid in zip(res_refs, _insert(self.s, Resident, res_rows, ids=True), strict=True):
            p["id"] = rid
        self.households = households

    def _foreigner(self, rng, country, group, langs, gender, age, relation, family=None) -> dict:
        name, _family = _foreign_name(rng, group, gender, family)
        languages = list(langs)
        if age >= 6 and "en" not in languages and rng.random() < 0.6:
            languages.append("en")
        if age >= 5 and "zh" not in languages and rng.random() < (0.5 if age < 18 else 0.2):
            languages.append("zh")
        return {"name": name, "phone": _phone(rng) if age >= 16 else None, "age": age, "gender": gender,
                "nationality": country, "languages": ",".join(languages), "care_tags": "child" if age < 14 else "",
                "relation": relation}  # fmt: skip

    def _foreign_family(self, rng, country, group, langs, size) -> list[dict]:
        head_g = rng.choice("FM")
        age = rng.randint(27, 52) if size > 2 else rng.randint(24, 66)
        families = NAME_GROUPS[group][0]
        family = rng.choice(families)
        shared = group not in ("ko", "sg", "vi", "ms", "ar", "fa", "mn")
        husband_family = family
        head = self._foreigner(rng, country, group, langs, head_g, age, "self", family)
        spouse_g = "M" if head_g == "F" else "F"
        spouse_family = family if shared else rng.choice(families)
        if spouse_g == "M":
            husband_family = spouse_family
        spouse = self._foreigner(rng, country, group, langs, spouse_g, max(22, age + rng.randint(-4, 4)), "spouse",
                                 spouse_family)  # fmt: skip
        members = [head, spouse]
        for _ in range(size - 2):
            child_age = rng.randint(max(0, age - 42), max(0, min(17, age - 24)))
            members.append(
                self._foreigner(rng, country, group, langs, rng.choice("FM"), child_age, "child", husband_family)
            )
        return members

    def _mixed_family(self, rng, country, group, langs) -> list[dict]:
        spouse_g = rng.choice("FM")
        head_g = "M" if spouse_g == "F" else "F"
        age = rng.randint(28, 52)
        head = self._cn_person(rng, head_g, age, "self")
        spouse = self._foreigner(rng, country, group, langs, spouse_g, max(24, age + rng.randint(-5, 5)), "spouse")
        members = [head, spouse]
        if rng.random() < 0.55:
            child = self._cn_person(rng, rng.choice("FM"), rng.randint(max(0, age - 40), min(17, age - 24)), "child",
                                    surname=head["name"][0] if head_g == "M" else None)  # fmt: skip
            child["languages"] = "zh," + langs[0] if langs[0] != "zh" else "zh"
            members.append(child)
        return members

    def _cn_person(self, rng, gender, age, relation, surname=None, alone=False, low_income=False) -> dict:
        tags = []
        if age < 14:
            tags.append("child")
        if alone:
            tags.append("elderly_alone")
        elif age >= 80 or (age >= 70 and rng.random() < 0.25):
            tags.append("elderly")
        if rng.random() < (0.05 if age >= 60 else 0.012):
            tags.append("disabled")
        if gender == "M" and age >= 45 and rng.random() < 0.02:
            tags.append("veteran")
        if low_income:
            tags.append("low_income")
        has_phone = age >= 14 and rng.random() < (0.5 if age >= 85 else 0.96)
        return {"name": _cn_name(rng, gender, age, surname), "phone": _phone(rng) if has_phone else None, "age": age,
                "gender": gender, "nationality": "CN", "languages": "zh", "care_tags": _tags(*tags),
                "relation": relation}  # fmt: skip

    def _cn_family(self, rng: random.Random, size: int) -> tuple[list[dict], str]:
        """A household of `size` Chinese residents (head first) and its tenure."""
        low = rng.random() < 0.035
        r = rng.random()
        tenure = "owner"
        p = self._cn_person

        def couple(age: int) -> list[dict]:
            hg = "M" if rng.random() < 0.7 else "F"
            sg = "F" if hg == "M" else "M"
            return [p(rng, hg, age, "self", low_income=low), p(rng, sg, max(20, age + rng.randint(-4, 4)), "spouse")]

        def father_surname(members: list[dict]) -> str:
            return next(m["name"][0] for m in members if m["gender"] == "M" and m["relation"] in ("self", "spouse"))

        def child(members: list[dict], parent_age: int, adult: bool = False) -> dict:
            age = rng.randint(20, 30) if adult else rng.randint(max(0, parent_age - 40), min(17, parent_age - 22))
            return p(rng, rng.choice("FM"), age, "child", surname=father_surname(members))

        def grandparent(head_age: int) -> dict:
            return p(rng, rng.choice("FFM"), min(95, head_age + rng.randint(24, 32)), "parent")

        if size == 1:
            if r < 0.38:
                members = [p(rng, "F" if rng.random() < 0.62 else "M", rng.randint(66, 92), "self", alone=True,
                             low_income=low)]  # fmt: skip
            else:
                members = [p(rng, rng.choice("FM"), rng.randint(22, 45), "self", low_income=low)]
                tenure = "tenant" if rng.random() < 0.5 else "owner"
        elif size == 2:
            if r < 0.45:
                members = couple(rng.randint(52, 86))
            elif r < 0.78:
                members = couple(rng.randint(24, 40))
                tenure = "tenant" if rng.random() < 0.3 else "owner"
            elif r < 0.90:
                age = rng.randint(32, 50)
                g = "F" if rng.random() < 0.7 else "M"
                head = p(rng, g, age, "self", low_income=low)
                kid_age = rng.randint(max(0, age - 40), min(17, age - 22))
                members = [head, p(rng, rng.choice("FM"), kid_age, "child", surname=head["name"][0])]
            else:
                members = [p(rng, rng.choice("FM"), rng.randint(22, 35), "self"),
                           p(rng, rng.choice("FM"), rng.randint(22, 35), "tenant")]  # fmt: skip
                tenure = "tenant"
        elif size == 3:
            if r < 0.55:
                age = rng.randint(28, 50)
                members = couple(age)
                members.append(child(members, age))
            elif r < 0.75:
                age = rng.randint(28, 45)
                members = couple(age)
                members.append(grandparent(age))
            else:
                age = rng.randint(46, 62)
                members = couple(age)
                members.append(child(members, age, adult=True))
        else:
            age = rng.randint(30, 48)
            members = couple(age)
            kids = 2 if size == 4 and r < 0.5 else 1
            for _ in range(kids):
                members.append(child(members, age))
            while len(members) < size:
                members.append(grandparent(age))
        return members, tenure

    # --- staff ------------------------------------------------------------------------------------

    def staff(self) -> None:
        rng = self.rng["staff"]
        created = datetime.combine(self.as_of.date() - timedelta(days=400), time(9, 0))
        base = {"password_hash": self.password_hash, "scope_kind": "community", "community_id": self.community_id,
                "street_id": None, "grid_id": None, "department": None, "active": True, "locked_until": None,
                "created_at": created}  # fmt: skip
        rows = []
        for role in catalog.ROLES:
            display, department = ROLE_ACCOUNTS[role]
            row = {**base, "username": role, "role": role, "display_name": display, "department": department}
            if role in ("grid_worker", "grid_leader"):
                row["grid_id"] = self.grid_id["G1"]
            if role == "street_cadre":
                row.update(scope_kind="street", street_id=self.street_id)
            rows.append(row)
        for prefix, role in (("gw", "grid_worker"), ("gl", "grid_leader")):
            for i, grid in enumerate(sorted(self.grid_id), start=1):
                name = _cn_name(rng, rng.choice("FM"), rng.randint(28, 50))
                rows.append({**base, "username": f"{prefix}{i}", "role": role, "display_name": name,
                             "grid_id": self.grid_id[grid]})  # fmt: skip
        ids = _insert(self.s, User, rows, ids=True)
        self.user = {row["username"]: (uid, row["username"]) for row, uid in zip(rows, ids, strict=True)}
        grids = sorted(self.grid_id)
        self.l1 = {g: [self.user[f"gw{i}"]] for i, g in enumerate(grids, start=1)}
        self.l2 = {g: [self.user[f"gl{i}"]] for i, g in enumerate(grids, start=1)}
        self.l1["G1"].insert(0, self.user["grid_worker"])  # the role-named accounts also serve grid 1
        self.l2["G1"].insert(0, self.user["grid_leader"])

    def _pick_staff(self, rng: random.Random, staff: list[tuple[int, str]]) -> tuple[int, str]:
        return staff[0] if len(staff) == 1 or rng.random() < 0.6 else staff[1]

    # --- devices and the alarm plan ---------------------------------------------------------------

    def devices(self) -> None:
        rng = self.rng["devices"]
        d0 = self.as_of.date()
        rows: list[dict] = []
        meta: list[dict] = []

        def add(kind: str, code: str, est: dict, b: dict | None, zh: str, en: str, attrs: dict, installed: date,
                unit: int | None = None) -> None:  # fmt: skip
            rows.append({"code": code, "kind": kind, "estate_id": est["id"], "building_id": b["id"] if b else None,
                         "name_zh": zh, "name_en": en, "attributes": attrs, "installed_on": installed, "active": True})  # fmt: skip
            meta.append({"code": code, "kind": kind, "estate": est, "building": b, "unit": unit, "attributes": attrs})

        for est in self.estates:
            for b in est["buildings"]:
                for u in range(1, b["units"] + 1):
                    installed = d0 - timedelta(days=rng.randint(3 * 365, 15 * 365))
                    attrs = {"brand": rng.choice(("奥的斯", "三菱", "日立", "通力", "迅达")),
                             "rated_load_kg": rng.choice((1000, 1000, 1350)), "stops": b["floors"],
                             "next_inspection": (d0 + timedelta(days=rng.randint(10, 360))).isoformat()}  # fmt: skip
                    unit_zh = f"{u}单元" if est["kind"] == "residential" else f"{u}号梯"
                    add("elevator", f"EL-{est['code']}-{b['num']:02d}-{u}", est, b, f"{est['zh']}{b['zh']}{unit_zh}电梯",
                        f"{est['en']} {b['en']} elevator {u}", attrs, installed, unit=u)  # fmt: skip
                for k in range(1, rng.randint(4, 8) + 1):
                    r = rng.random()
                    if r < 0.06:
                        days = rng.randint(1, 30)  # expiring within 30 days
                    elif r < 0.09:
                        days = -rng.randint(1, 60)  # expired
                    else:
                        days = rng.randint(31, 720)
                    expires = d0 + timedelta(days=days)
                    attrs = {"expires_on": expires.isoformat(), "type": "ABC干粉", "weight_kg": rng.choice((4, 4, 8))}
                    add("extinguisher", f"EX-{est['code']}-{b['num']:02d}-{k:02d}", est, b,
                        f"{est['zh']}{b['zh']}灭火器{k:02d}", f"{est['en']} {b['en']} extinguisher {k:02d}", attrs,
                        expires - timedelta(days=5 * 365))  # fmt: skip
            for k, b in enumerate((est["buildings"][0], est["buildings"][len(est["buildings"]) // 2]), start=1):
                add("fire_pump", f"FP-{est['code']}-{k}", est, b, f"{est['zh']}{k}号消防泵", f"{est['en']} fire pump {k}",
                    {"rated_pressure_mpa": 0.7, "low_pressure_mpa": 0.3}, d0 - timedelta(days=rng.randint(2000, 5000)))  # fmt: skip
            item, item_zh, required, season = FLOOD_ITEMS[est["code"]]
            add("flood_stock", f"FS-{est['code']}", est, None, f"{est['zh']}防汛物资（{item_zh}）",
                f"{est['en']} flood stock ({item})",
                {"item": item, "required_qty": required, "flood_season_required_qty": season,
                 "flood_season": ["04-15", "10-15"]},
                d0 - timedelta(days=rng.randint(400, 1500)))  # fmt: skip

        # one extinguisher that runs out in 12 days carries the active "expiring" alarm
        candidates = [
            i for i, m in enumerate(meta) if m["kind"] == "extinguisher" and m["estate"]["kind"] == "residential"
        ]
        self.expiring_index = rng.choice(candidates)
        expires = d0 + timedelta(days=12)
        rows[self.expiring_index]["attributes"] = {**rows[self.expiring_index]["attributes"],
                                                   "expires_on": expires.isoformat()}  # fmt: skip
        meta[self.expiring_index]["attributes"] = rows[self.expiring_index]["attributes"]
        for m, did in zip(meta, _insert(self.s, Device, rows, ids=True), strict=True):
            m["id"] = did
        self.devices_meta = meta
        self.by_kind = {k: [m for m in meta if m["kind"] == k] for k in catalog.DEVICE_KINDS}

    def plan_alarms(self) -> None:
        """Every alarm of the year, in memory; those that open a case get one in cases()."""
        rng = self.rng["alarms"]
        severity = {(kind, atype): sev for _c, kind, atype, sev, _p, _o in DEFAULT_ALARM_RULES}
        start, end = self.as_of - timedelta(days=365), self.as_of - timedelta(days=8)
        plan: list[dict] = []

        def staff_for(dev: dict) -> tuple[int, str]:
            return self._pick_staff(rng, self.l1[dev["estate"]["grids"][0]])

        def past(atype: str, kind: str, n: int, minutes: tuple[int, int], opens_case: bool = False,
                 months: tuple[int, ...] = ()) -> None:  # fmt: skip
            pool = self.by_kind[kind] if kind != "*" else self.by_kind["elevator"] + self.by_kind["fire_pump"]
            for _ in range(n):
                dev = rng.choice(pool)
                dur = timedelta(minutes=rng.randint(*minutes))
                span = int((end - dur - start).total_seconds())
                for _try in range(400):
                    raised = start + timedelta(seconds=rng.randrange(span))
                    if not months or raised.month in months:
                        break
                cleared = raised + dur
                alarm = {"device": dev, "alarm_type": atype, "severity": severity[(kind, atype)], "status": "cleared",
                         "raised_at": raised, "cleared_at": cleared, "opens_case": opens_case,
                         "repeat_count": rng.randint(1, 6 if atype == "door_fault" else 3),
                         "note": rng.choice((None, None, "维保单位已处理", "已现场确认", "已更换/补充"))}  # fmt: skip
                alarm["last_seen_at"] = cleared - timedelta(
                    seconds=rng.randint(0, min(600, int(dur.total_seconds()) // 2))
                )
                if opens_case or rng.random() < 0.85:
                    ack = raised + timedelta(seconds=rng.randint(120, 2400))
                    alarm.update(acknowledged=True, acknowledged_by=staff_for(dev)[0],
                                 acknowledged_at=min(ack, raised + (cleared - raised) / 2))  # fmt: skip
                plan.append(alarm)

        past("trapped_passenger", "elevator", 3, (20, 50), opens_case=True)
        past("pressure_low", "fire_pump", 2, (60, 240), opens_case=True)
        past("door_fault", "elevator", 40, (60, 1440))
        past("out_of_service", "elevator", 25, (120, 2880))
        past("silent", "*", 45, (15, 360))
        past("pressure_low", "extinguisher", 12, (1440, 7 * 1440))
        past("expiring", "extinguisher", 14, (3 * 1440, 30 * 1440))
        past("stock_short", "flood_stock", 8, (1440, 10 * 1440), months=(5, 6, 7, 8, 9))

        # active at as_of: a door fault (acknowledged), an expiring extinguisher, a silent office elevator
        res_elevators = [d for d in self.by_kind["elevator"] if d["estate"]["kind"] == "residential"]
        office_elevators = [d for d in self.by_kind["elevator"] if d["estate"]["kind"] == "office"]
        hour = self.as_of.replace(minute=0, second=0)
        door = rng.choice(res_elevators)
        raised = self.as_of - timedelta(minutes=rng.randint(150, 300))
        plan.append({"device": door, "alarm_type": "door_fault", "severity": severity[("elevator", "door_fault")],
                     "status": "active", "raised_at": raised, "last_seen_at": hour, "cleared_at": None,
                     "repeat_count": rng.randint(2, 5), "acknowledged": True, "acknowledged_by": staff_for(door)[0],
                     "acknowledged_at": raised + timedelta(minutes=12), "note": "已通知维保单位，预计今日修复",
                     "opens_case": False})  # fmt: skip
        ext = self.devices_meta[self.expiring_index]
        expires = date.fromisoformat(ext["attributes"]["expires_on"])
        daily = datetime.combine(self.as_of.date(), time(2, 0))
        plan.append({"device": ext, "alarm_type": "expiring", "severity": severity[("extinguisher", "expiring")],
                     "status": "active", "raised_at": datetime.combine(expires - timedelta(days=30), time(2, 0)),
                     "last_seen_at": daily if daily <= self.as_of else daily - timedelta(days=1), "cleared_at": None,
                     "repeat_count": 1, "note": None, "opens_case": False})  # fmt: skip
        silent = rng.choice(office_elevators)
        last = hour - timedelta(hours=3)
        plan.append({"device": silent, "alarm_type": "silent", "severity": severity[("*", "silent")],
                     "status": "active", "raised_at": last + timedelta(minutes=70),
                     "last_seen_at": self.as_of.replace(minute=self.as_of.minute // 5 * 5, second=0),
                     "cleared_at": None, "repeat_count": 1, "note": None, "opens_case": False})  # fmt: skip
        self.door_fault_device, self.silent_device, self.silent_since = door, silent, last
        self.door_fault_since = raised
        plan.sort(key=lambda a: (a["raised_at"], a["device"]["code"], a["alarm_type"]))
        for n, alarm in enumerate(plan, start=1):
            alarm["number"] = n
        self.alarm_plan = plan

    # --- parking ----------------------------------------------------------------------------------

    def parking(self) -> None:
        rng = self.rng["parking"]
        lot_rows = []
        for code, capacity, window, start, end, buffer, _target in PARKING:
            est = self.estate_by_code[code]
            lot_rows.append({"estate_id": est["id"], "code": f"P-{code}", "name_zh": f"{est['zh']}停车场",
                             "name_en": f"{est['en']} car park", "capacity": capacity, "share_window": window,
                             "window_start": start, "window_end": end, "weekdays_only": True, "quantile": 0.9,
                             "history_weeks": 8, "safety_buffer": buffer, "lat": est["lat"], "lon": est["lon"]})  # fmt: skip
        lot_ids = _insert(self.s, ParkingLot, lot_rows, ids=True)
        first = datetime.combine(self.as_of.date() - timedelta(days=90), time(0))
        last = self.as_of.replace(minute=self.as_of.minute // 15 * 15, second=0)
        n = int((last - first).total_seconds() // 900) + 1
        samples = []
        for (_code, capacity, window, _s, _e, buffer, target), lot_id in zip(PARKING, lot_ids, strict=True):
            peak = capacity - buffer - target  # P: the highest count allowed inside the window
            p = peak / capacity
            if window == "day":  # residential: full at night, empty by day
                weekday = ((0, 0.93), (360, 0.93), (420, 0.92), (450, 0.90), (480, p), (510, 0.80), (540, 0.70),
                           (600, 0.58), (720, 0.56), (840, 0.57), (960, 0.60), (1020, 0.64), (1050, 0.73),
                           (1065, 0.80), (1080, p), (1110, 0.89), (1140, 0.91), (1260, 0.94), (1440, 0.93))  # fmt: skip
                weekend = ((0, 0.94), (420, 0.94), (540, 0.88), (600, 0.80), (720, 0.76), (900, 0.75), (1020, 0.80),
                           (1140, 0.90), (1260, 0.94), (1440, 0.94))  # fmt: skip
            else:  # office park: full by day on weekdays, near empty at night and at weekends
                weekday = ((0, 0.05), (420, 0.06), (450, 0.12), (480, p), (510, 0.75), (540, 0.88), (600, 0.92),
                           (720, 0.85), (780, 0.90), (1020, 0.90), (1050, 0.80), (1080, p), (1110, 0.45), (1140, 0.30),
                           (1200, 0.15), (1260, 0.08), (1440, 0.05))  # fmt: skip
                weekend = ((0, 0.04), (540, 0.06), (600, 0.12), (720, 0.14), (960, 0.12), (1080, 0.06), (1440, 0.04))
            drift, day, noise = 0.0, None, 0.0
            for i in range(n):
                ts = first + timedelta(minutes=15 * i)
                if ts.date() != day:
                    day = ts.date()
                    drift = rng.gauss(0, 0.012)
                minute = ts.hour * 60 + ts.minute
                is_weekday = ts.weekday() < 5
                noise = 0.6 * noise + rng.gauss(0, 0.01)
                frac = _interp(weekday if is_weekday else weekend, minute) + drift + noise
                occupied = max(0, min(capacity, round(frac * capacity)))
                if window == "day":
                    if is_weekday and 480 <= minute <= 1080:
                        occupied = peak if minute in (480, 1080) else min(occupied, peak)
                elif minute >= 1080 or minute <= 480:
                    occupied = peak if is_weekday and minute in (480, 1080) else min(occupied, peak)
                samples.append({"lot_id": lot_id, "sampled_at": ts, "occupied": occupied, "source": "counter"})
        _insert(self.s, ParkingSample, samples)

    # --- cases and their trails -------------------------------------------------------------------

    def cases(self) -> None:
        rng = self.rng["cases"]
        self.category_id = dict(self.s.execute(select(Category.code, Category.id)).all())
        self.used_codes: set[str] = set()
        start = self.as_of - timedelta(days=365)
        first_day = start.date()
        days = [first_day + timedelta(days=k) for k in range((self.as_of.date() - first_day).days + 1)]
        weights = [
            (1 + 0.3 * math.cos(2 * math.pi * (d.timetuple().tm_yday - 196) / 365.25))
            * (0.8 if d.weekday() >= 5 else 1)
            for d in days
        ]
        target, total_w = 3760, sum(weights)
        primaries: list[_Case] = []
        for d, w in zip(days, weights, strict=True):
            lo = max(datetime.combine(d, time(0)), start)
            hi = min(datetime.combine(d, time(0)) + timedelta(days=1), self.as_of)
            if hi <= lo:
                continue
            expected = target * w / total_w
            k = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            if d == self.as_of.date():
                k = max(k, 6)  # today's cases, before as_of
            for _ in range(k):
                primaries.append(self._new_case(rng, lo, hi))
        primaries.sort(key=lambda c: c.reported_at)

        for c in primaries:
            r = rng.random()
            if r < 0.06:
                c.plan = "reject"
            elif r < 0.08:
                c.plan = "hard"  # goes all the way up to L4
            else:
                c.reopen = rng.random() < 0.055
        # a few cases stuck at L4 past their due time: overdue open cases at as_of
        for lo_days, hi_days, n in ((24, 14, 6), (10, 5, 2)):
            pool = [c for c in primaries if c.plan == "normal" and c.grade != "urgent"
                    and self.as_of - timedelta(days=lo_days) <= c.reported_at < self.as_of - timedelta(days=hi_days)
                    and (hi_days > 5 or c.grade == "priority")]  # fmt: skip
            for c in rng.sample(pool, min(n, len(pool))):
                c.plan, c.reopen = "stuck", False

        for alarm in self.alarm_plan:
            if alarm["opens_case"]:
                primaries.append(self._iot_case(rng, alarm))
        primaries.sort(key=lambda c: c.reported_at)

        trail_rng = self.rng["trail"]
        for c in primaries:
            self._simulate(c, trail_rng)

        # duplicates: a later report of the same problem within 50 m while the first case is open
        drng = self.rng["duplicates"]
        candidates = [c for c in primaries if c.plan in ("normal", "hard", "stuck")]
        cand_w = [3 if c.category in CAMERA_CATEGORIES else 1 for c in candidates]
        duplicates: list[_Case] = []
        wanted = round(0.07 * len(primaries))
        for _attempt in range(50 * wanted):
            if len(duplicates) >= wanted:
                break
            p = drng.choices(candidates, weights=cand_w)[0]
            end = next((a["at"] for a in p.actions if a["action"] == "resolve"), self.as_of)
            span = (end - p.reported_at).total_seconds()
            if span < 1200:
                continue
            at = p.reported_at + timedelta(seconds=int(span * drng.uniform(0.05, 0.95)))
            source = (drng.choices(("camera_car", "resident", "open311", "staff"), weights=(40, 35, 15, 10))[0]
                      if p.category in CAMERA_CATEGORIES
                      else drng.choices(("resident", "open311", "staff"), weights=(60, 25, 15))[0])  # fmt: skip
            d = _Case(reported_at=at, category=p.category, source=source, grade=p.grade, estate=p.estate,
                      building=p.building, unit=p.unit, floor=p.floor, plan="duplicate", duplicate_of=p,
                      l1=p.l1, l2=p.l2, l4=p.l4)  # fmt: skip
            self._fill_case(drng, d, like=p)
            d.lat = round(p.lat + drng.uniform(-0.00015, 0.00015), 6)
            d.lon = round(p.lon + drng.uniform(-0.00015, 0.00015), 6)
            self._simulate(d, trail_rng)
            duplicates.append(d)

        all_cases = sorted(primaries + duplicates, key=lambda c: c.reported_at)
        counters: dict[str, int] = {}
        for c in all_cases:
            if c.source == "iot":
                c.source_ref = f"alarm-{c.alarm['number']:06d}"
                continue
            key = c.source if c.source != "camera_car" else f"car0{rng.choice((1, 2))}"
            counters[key] = counters.get(key, 0) + 1
            n = counters[key]
            c.source_ref = {"resident": f"web-{n:06d}", "staff": f"staff-{n:06d}", "open311": f"o311-{n:06d}"}.get(
                key, f"{key}:det-{n:05d}"
            )

        rows = []
        for c in all_cases:
            acts = c.actions
            last = acts[-1]
            status = last["to_status"]
            resolves = [a["at"] for a in acts if a["action"] == "resolve"]
            closes = [a["at"] for a in acts if a["action"] == "verify"]
            rows.append(
                {"tracking_code": c.tracking_code, "community_id": self.community_id, "source": c.source,
                 "source_ref": c.source_ref, "category_id": self.category_id[c.category], "grade": c.grade,
                 "grade_confidence": c.confidence, "grade_cues": c.cues, "description": c.description,
                 "lat": c.lat, "lon": c.lon, "estate_id": c.estate["id"], "building_id": c.building["id"],
                 "grid_id": self.grid_id[c.building["grid"]], "status": status, "level": last["to_level"],
                 "holder_id": last["_holder"], "reporter_contact": c.contact, "reported_at": c.reported_at,
                 "due_at": last["_due"], "resolved_at": resolves[-1] if status in ("resolved", "closed") else None,
                 "closed_at": closes[-1] if status == "closed" else None,
                 "reopen_count": sum(1 for a in acts if a["action"] == "reopen"),
                 "escalation_count": sum(1 for a in acts if a["action"] == "escalate"),
                 "duplicate_of_id": None, "updated_at": last["at"]}
            )  # fmt: skip
        for c, eid in zip(all_cases, _insert(self.s, Event, rows, ids=True), strict=True):
            c.id = eid
        links = [{"id": c.id, "duplicate_of_id": c.duplicate_of.id} for c in all_cases if c.duplicate_of is not None]
        if links:
            self.s.execute(update(Event), links)
        actions = [
            {"event_id": c.id, **{k: v for k, v in a.items() if not k.startswith("_")}}
            for c in all_cases
            for a in c.actions
        ]
        _insert(self.s, EventAction, actions)
        self.cases_list = all_cases

    def notices(self) -> None:
        rows = notice_rows(self.cases_list, self.as_of, self.user["secretary"][0])
        _insert(self.s, Notification, rows)

    def _new_case(self, rng: random.Random, lo: datetime, hi: datetime) -> _Case:
        month = lo.month
        cats = list(CATEGORY_WEIGHTS)
        category = rng.choices(cats, weights=[CATEGORY_WEIGHTS[c] * CATEGORY_SEASON.get(c, {}).get(month, 1.0)
                                              for c in cats])[0]  # fmt: skip
        if category in CAMERA_CATEGORIES:
            source = rng.choices(("resident", "staff", "camera_car", "open311"), weights=(30, 18, 37, 15))[0]
        else:
            source = rng.choices(("resident", "staff", "open311"), weights=(52, 26, 22))[0]
        day = datetime.combine(lo.date(), time(0))
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS[source])[0]
        at = day + timedelta(hours=hour, seconds=rng.randrange(3600))
        if not lo <= at < hi:
            at = lo + timedelta(seconds=rng.randrange(max(1, int((hi - lo).total_seconds()))))
        codes = list(self.estate_case_weights)
        est = self.estate_by_code[rng.choices(codes, weights=[self.estate_case_weights[c] for c in codes])[0]]
        b = rng.choice(est["buildings"])
        grade = catalog.CATEGORY_BY_CODE[category].default_grade
        if source != "camera_car" and rng.random() < URGENT_RATE.get(category, 0.0):
            grade = "urgent"
        c = _Case(reported_at=at, category=category, source=source, grade=grade, estate=est, building=b,
                  unit=rng.randint(1, b["units"]), floor=rng.randint(2, b["floors"] - 1))  # fmt: skip
        grid = b["grid"]
        c.l1 = self._pick_staff(rng, self.l1[grid])
        c.l2 = self._pick_staff(rng, self.l2[grid])
        c.l4 = self.user["department" if category in ORDER_CATEGORIES else "street_cadre"]
        self._fill_case(rng, c)
        c.lat = round(b["lat"] + rng.uniform(-0.00012, 0.00012), 6)
        c.lon = round(b["lon"] + rng.uniform(-0.00012, 0.00012), 6)
        return c

    def _fill_case(self, rng: random.Random, c: _Case, like: _Case | None = None) -> None:
        """Tracking code, language, text, cues, confidence, reporter and contact of a new case; a duplicate
        (`like` the case it repeats) mostly tells the same problem in the same words."""
        c.tracking_code = _code(rng, "DX", self.used_codes)
        est, b = c.estate, c.building
        gate = rng.choice(est["gates"])
        spot_zh, spot_en = rng.choice(SPOTS)
        texts = TEXTS[c.category]
        if c.source == "camera_car":
            template, cues = CAMERA_TEXTS[c.category]
            text = est["zh"] + template.split("：", 1)[1]
            text = template.split("：", 1)[0] + "：" + text
            c.confidence = round(rng.uniform(0.9, 0.99), 2)
        else:
            c.lang = "en" if c.source in ("resident", "open311") and rng.random() < 0.24 else "zh"
            key = c.lang + ("_urgent" if c.grade == "urgent" else "")
            index = rng.randrange(len(texts[key]))
            if like is not None and like.template is not None and like.template[0] == key and rng.random() < 0.8:
                index = like.template[1]
            c.template = (key, index)
            template, cues = texts[key][index]
            if c.grade == "urgent":
                c.confidence = round(rng.uniform(0.85, 0.99), 2)
            else:
                c.confidence = round(rng.uniform(0.6, 0.95), 2)
            if c.lang == "zh":
                text = template
                if not text.startswith(("{g}", "小区", "地下车库", "中心花园", "广场舞", "垃圾分类", "底商", "暴雨")):
                    text = "{e}" + text if rng.random() < 0.5 else text
                elif text.startswith("{g}"):
                    text = "{e}" + text
                if c.source == "staff":
                    text = "网格巡查发现：" + text
                suffixes = ZH_URGENT_SUFFIXES if c.grade == "urgent" else ZH_SUFFIXES
                text += rng.choice(suffixes) if not text.endswith(("！", "。")) else ""
            else:
                text = rng.choice(EN_PREFIXES) + template + rng.choice(EN_SUFFIXES)
                if rng.random() < 0.4:
                    text = est["en"] + ": " + text
        if c.lang == "en" and c.source != "camera_car":
            num = b["num"]
            ctx = {"b": f"building {num}" if est["kind"] == "residential" else f"tower {num}", "e": est["en"],
                   "g": gate, "spot": spot_en}  # fmt: skip
        else:
            ctx = {"b": b["zh"], "e": est["zh"], "g": GATE_NAMES[gate], "spot": spot_zh}
        c.description = text.format(u=c.unit, f=c.floor, f1=c.floor + 1, **ctx)
        c.cues = list(cues)
        if c.source == "staff":
            c.reporter = c.l1
        elif c.source == "resident":
            c.reporter = (None, "resident")
            c.contact = _phone(rng) if rng.random() < 0.4 else None
        else:
            c.reporter = (None, c.source)

    def _iot_case(self, rng: random.Random, alarm: dict) -> _Case:
        dev = alarm["device"]
        est, b = dev["estate"], dev["building"]
        if alarm["alarm_type"] == "trapped_passenger":
            category, grade, unit = "elevator_fault", "urgent", dev["unit"]
            floor = rng.randint(2, b["floors"] - 1)
            text = f"物联网告警：{est['zh']}{b['zh']}{unit}单元电梯困人（{dev['code']}），轿厢停在{floor}楼"
            cues = ["困人", "TRAPPED"]
        else:
            category, grade, unit, floor = "fire_equipment", "priority", 1, 1
            reading = round(rng.uniform(0.12, 0.28), 2)
            text = f"物联网告警：{est['zh']}消防泵出水压力低（{dev['code']}），读数 {reading} MPa"
            cues = ["压力低", "pressure_mpa"]
        c = _Case(reported_at=alarm["raised_at"] + timedelta(seconds=rng.randint(5, 40)), category=category,
                  source="iot", grade=grade, estate=est, building=b, unit=unit, floor=floor, plan="iot",
                  description=text, cues=cues, confidence=round(rng.uniform(0.95, 0.99), 2), reporter=(None, "iot"),
                  alarm=alarm)  # fmt: skip
        c.tracking_code = _code(rng, "DX", self.used_codes)
        c.l1 = self._pick_staff(rng, self.l1[b["grid"]])
        c.l2 = self._pick_staff(rng, self.l2[b["grid"]])
        c.l4 = self.user["street_cadre"]
        c.lat, c.lon = b["lat"], b["lon"]
        alarm["case"] = c
        return c

    def _outcome(self, c: _Case, level: int, rng: random.Random) -> str:
        if c.plan == "stuck":
            return "timeout" if level < 4 else "never"
        if c.plan == "hard":
            return ("push" if rng.random() < 0.5 else "timeout") if level < 4 else "resolve"
        if c.plan == "iot" or level >= 4:
            return "resolve"
        p_push, p_timeout = {1: (0.05, 0.05), 2: (0.10, 0.10), 3: (0.10, 0.10)}[level]
        r = rng.random()
        return "push" if r < p_push else "timeout" if r < p_push + p_timeout else "resolve"

    def _resolve_fraction(self, c: _Case, level: int, rng: random.Random) -> float:
        """When the holder resolves it, as a fraction of the level's time limit (above 1: late)."""
        if c.plan == "iot":
            return rng.uniform(0.35, 0.85)
        if level >= 4:
            return rng.uniform(0.2, 0.95) if rng.random() < 0.75 else rng.uniform(1.05, 2.5)
        return 0.05 + 0.85 * rng.betavariate(2.0, 2.6)

    def _resolve_note(self, c: _Case, rng: random.Random) -> str:
        if c.plan == "iot" and c.category == "fire_equipment":
            return PUMP_NOTE
        if c.grade == "urgent" and c.category in URGENT_NOTES:
            return URGENT_NOTES[c.category]
        return rng.choice(RESOLVE_NOTES[c.category])

    def _simulate(self, c: _Case, rng: random.Random) -> None:
        """Walk the case through the closed loop (DESIGN.md 5.3) until it ends or as_of comes."""
        tr = _Trail(self.as_of)
        g = c.grade
        limit = catalog.DEFAULT_LIMIT_MINUTES[g]
        holders = {1: c.l1, 2: c.l2, 3: self.user["secretary"], 4: c.l4}
        t0 = c.reported_at
        due0 = due_at(t0, g)
        if c.plan == "duplicate":
            tr.add(t0, "report", c.reporter, (None, "reported"), (None, 1), holder=c.l1[0], due=None)
            tr.add(t0 + timedelta(seconds=rng.randint(3, 90)), "link_duplicate", (None, "system"),
                   ("reported", "duplicate"), (1, 1), holder=c.l1[0], due=None,
                   note=f"与案件{c.duplicate_of.tracking_code}同类且相距不足50米，合并处理")  # fmt: skip
            c.actions = tr.rows
            return
        tr.add(t0, "report", c.reporter, (None, "reported"), (None, 1), holder=c.l1[0], due=due0)
        if c.plan == "reject":
            at = _later(t0, rng.uniform(3, 20) if g == "urgent" else rng.uniform(10, 240), g)
            tr.add(at, "reject", c.l1, ("reported", "rejected"), (1, 1), holder=c.l1[0], due=due0,
                   note=rng.choice(REJECT_NOTES))  # fmt: skip
            c.actions = tr.rows
            return
        st = {"status": "reported", "level": 1, "arrival": t0, "due": due0, "since": t0}

        def bump(at: datetime) -> datetime:
            return max(at, tr.last_at + timedelta(seconds=1))

        def escalate_first(at: datetime) -> bool:
            """If the escalation job would move the case up before `at`, do it and say so."""
            if st["status"] not in ("reported", "in_progress") or st["level"] >= 4:
                return False
            esc = bump(max(st["due"], st["since"]) + timedelta(seconds=rng.randint(30, 300)))
            if esc >= at:
                return False
            lvl = st["level"]
            new_due = due_at(esc, g)
            if tr.add(esc, "escalate", (None, "system"), (st["status"], st["status"]), (lvl, lvl + 1),
                      holder=holders[lvl + 1][0], due=new_due, note=f"超过L{lvl}处置时限，系统自动升级至L{lvl + 1}"):  # fmt: skip
                st.update(level=lvl + 1, arrival=esc, since=esc, due=new_due)
            return True

        reopen_left = c.reopen
        rework = False
        while not tr.stopped:
            lvl = st["level"]
            holder = holders[lvl]
            outcome = "resolve" if rework else self._outcome(c, lvl, rng)
            if outcome == "never":
                break
            if st["status"] == "reported" and not (outcome == "timeout" and rng.random() < 0.35):
                delay = (
                    rng.uniform(1, 6)
                    if g == "urgent"
                    else rng.uniform(5, 60)
                    if g == "priority"
                    else rng.uniform(10, 240)
                )
                at = bump(_later(st["since"], delay, g))
                if escalate_first(at):
                    continue
                if not tr.add(at, "accept", holder, ("reported", "in_progress"), (lvl, lvl), holder=holder[0],
                              due=st["due"], note=rng.choice((None, "已接单，前往现场"))):  # fmt: skip
                    break
                st["status"] = "in_progress"
            if outcome == "timeout":
                escalate_first(datetime.max)
                continue
            if outcome == "push":
                at = bump(_later(st["arrival"], rng.uniform(0.2, 0.8) * limit, g))
                if escalate_first(at):
                    continue
                new_due = due_at(at, g)
                if not tr.add(at, "push_up", holder, (st["status"], st["status"]), (lvl, lvl + 1),
                              holder=holders[lvl + 1][0], due=new_due, note=rng.choice(PUSH_REASONS)):  # fmt: skip
                    break
                st.update(level=lvl + 1, arrival=at, since=at, due=new_due)
                continue
            if rework:
                at = _later(tr.last_at, rng.uniform(30, max(45, 0.5 * limit)), g)
            else:
                at = _later(st["arrival"], self._resolve_fraction(c, lvl, rng) * limit, g)
            at = max(at, tr.last_at + timedelta(minutes=2))
            if escalate_first(at):
                continue
            if not tr.add(at, "resolve", holder, ("in_progress", "resolved"), (lvl, lvl), holder=holder[0],
                          due=st["due"], note=self._resolve_note(c, rng)):  # fmt: skip
                break
            st["status"], rework = "resolved", False
            verify_delay = {"urgent": (5, 30), "priority": (15, 150), "routine": (20, 360)}[g]
            verify_at = bump(_later(at, rng.uniform(*verify_delay), g))
            # who signs off (domain.workflow): the grid leader for grid-level work, the street cadre for
            # the secretary's own work, the secretary for L4
            checker = c.l2 if lvl <= 2 else self.user["street_cadre"] if lvl == 3 else self.user["secretary"]
            if reopen_left:
                reopen_left = False
                rework_due = due_at(verify_at, g)  # rework gets a fresh time limit at its level
                if not tr.add(verify_at, "reopen", checker, ("resolved", "in_progress"), (lvl, lvl),
                              holder=holder[0], due=rework_due, note=rng.choice(REOPEN_NOTES)):  # fmt: skip
                    break
                st.update(status="in_progress", since=verify_at, due=rework_due)
                rework = True
                continue
            tr.add(verify_at, "verify", checker, ("resolved", "closed"), (lvl, lvl), holder=holder[0],
                   due=st["due"], note=rng.choice(VERIFY_NOTES))  # fmt: skip
            break
        c.actions = tr.rows

    # --- alarms and telemetry ---------------------------------------------------------------------

    def alarms(self) -> None:
        rng = self.rng["alarms"]
        rows = []
        for a in self.alarm_plan:
            row = {"device_id": a["device"]["id"], "alarm_type": a["alarm_type"], "severity": a["severity"],
                   "status": a["status"], "acknowledged": a.get("acknowledged", False), "raised_at": a["raised_at"],
                   "last_seen_at": a["last_seen_at"], "cleared_at": a["cleared_at"], "repeat_count": a["repeat_count"],
                   "acknowledged_by": a.get("acknowledged_by"), "acknowledged_at": a.get("acknowledged_at"),
                   "note": a["note"], "event_id": None}  # fmt: skip
            c = a.get("case")
            if c is not None:  # the alarm opened a case: acknowledged on accept, cleared on resolve
                row["event_id"] = c.id
                accept = next((x for x in c.actions if x["action"] == "accept"), None)
                resolve = next((x for x in c.actions if x["action"] == "resolve"), None)
                if accept is not None:
                    row.update(acknowledged=True, acknowledged_by=accept["actor_id"], acknowledged_at=accept["at"])
                if resolve is not None:
                    row["last_seen_at"] = max(a["raised_at"], resolve["at"] - timedelta(seconds=rng.randint(30, 120)))
                    row["cleared_at"] = resolve["at"] + timedelta(seconds=rng.randint(30, 180))
                    row["note"] = URGENT_NOTES["elevator_fault"] if c.category == "elevator_fault" else PUMP_NOTE
            rows.append(row)
        _insert(self.s, Alarm, rows)

    def telemetry(self) -> None:
        """The week before as_of: elevators and fire pumps hourly, extinguishers and flood stock daily."""
        rng = self.rng["telemetry"]
        hour0 = self.as_of.replace(minute=0, second=0)
        hours = [hour0 - timedelta(hours=k) for k in range(167, -1, -1)]
        week_ago = self.as_of - timedelta(days=7)
        days = [datetime.combine(self.as_of.date() - timedelta(days=k), time(6)) for k in range(7, -1, -1)]
        days = [d for d in days if week_ago < d <= self.as_of]
        rows = []
        for dev in self.devices_meta:
            did, kind = dev["id"], dev["kind"]
            if kind == "elevator":
                office = dev["estate"]["kind"] == "office"
                scale = dev["building"]["floors"] / 20
                for ts in hours:
                    if dev is self.silent_device and ts > self.silent_since:
                        continue
                    fault = dev is self.door_fault_device and ts >= self.door_fault_since
                    profile = (
                        TRIPS["residential"]
                        if not office
                        else TRIPS["office" if ts.weekday() < 5 else "office_weekend"]
                    )
                    trips = 0 if fault else round(profile[ts.hour] * scale * rng.uniform(0.7, 1.3))
                    rows.append(
                        {"device_id": did, "ts": ts, "metric": "trips", "value": float(trips), "fault_code": None}
                    )
                    rows.append({"device_id": did, "ts": ts, "metric": "status", "value": 1.0 if fault else 0.0,
                                 "fault_code": "DOOR" if fault else None})  # fmt: skip
            elif kind == "fire_pump":
                value = rng.uniform(0.66, 0.74)
                for ts in hours:
                    value = min(0.79, max(0.61, value + rng.gauss(0, 0.008)))
                    rows.append({"device_id": did, "ts": ts, "metric": "pressure_mpa", "value": round(value, 3),
                                 "fault_code": None})  # fmt: skip
            elif kind == "extinguisher":
                base = rng.uniform(1.04, 1.14) if rng.random() < 0.03 else rng.uniform(1.2, 1.4)
                for ts in days:
                    rows.append({"device_id": did, "ts": ts, "metric": "pressure_mpa",
                                 "value": round(base + rng.gauss(0, 0.004), 3), "fault_code": None})  # fmt: skip
            else:
                attrs = dev["attributes"]
                quantity = attrs["flood_season_required_qty"] + rng.randint(0, max(2, attrs["required_qty"] // 4))
                for ts in days:
                    rows.append({"device_id": did, "ts": ts, "metric": "quantity", "value": float(quantity),
                                 "fault_code": None})  # fmt: skip
        _insert(self.s, Telemetry, rows)
        refresh_device_status(self.s, [m["id"] for m in self.devices_meta])  # what ingestion keeps

    # --- door access and welfare watch ------------------------------------------------------------

    def doors(self) -> None:
        rng = self.rng["doors"]
        start = self.as_of - timedelta(days=14)
        alone = [p for h in self.households for p in h["members"] if "elderly_alone" in p["care_tags"]]
        home_of = {id(p): h for h in self.households for p in h["members"]}
        watched = rng.sample(alone, 3)
        used: set[str] = set()

        def pid() -> str:
            while True:
                value = f"p-{rng.getrandbits(48):012x}"
                if value not in used:
                    used.add(value)
                    return value

        residential = [e for e in self.estates if e["kind"] == "residential"]
        offices = [e for e in self.estates if e["kind"] == "office"]
        people = [{"pid": pid(), "kind": "elderly", "estate": home_of[id(p)]["building"]["estate"], "resident": p}
                  for p in watched]  # fmt: skip
        while len(people) < 200:
            if rng.random() < 0.15:
                kind, est = "office", rng.choice(offices)
            else:
                kind = rng.choices(("worker", "elderly", "student"), weights=(50, 30, 20))[0]
                est = rng.choices(residential, weights=[len(e["buildings"]) for e in residential])[0]
            people.append({"pid": pid(), "kind": kind, "estate": est, "resident": None})

        def at(day: date, lo: tuple[int, int], hi: tuple[int, int]) -> datetime:
            a = datetime.combine(day, time(*lo))
            return a + timedelta(seconds=rng.randrange(int((datetime.combine(day, time(*hi)) - a).total_seconds())))

        events = []
        n_days = (self.as_of.date() - start.date()).days + 1
        for person in people:
            gates = [f"{person['estate']['code']}-{g}" for g in person["estate"]["gates"]]
            home_gate = rng.choice(gates)
            mine = []
            for k in range(n_days):
                day = start.date() + timedelta(days=k)
                weekday = day.weekday() < 5
                trips: list[tuple[datetime, datetime]] = []  # (out, back) or, for office, (in, out)
                kind = person["kind"]
                if kind == "worker" or (kind == "student" and not weekday):
                    if weekday:
                        trips.append((at(day, (7, 0), (8, 45)), at(day, (17, 30), (20, 30))))
                    elif rng.random() < 0.6:
                        out = at(day, (9, 0), (15, 0))
                        trips.append((out, out + timedelta(minutes=rng.randint(120, 360))))
                elif kind == "student":
                    trips.append((at(day, (6, 50), (7, 40)), at(day, (16, 30), (18, 0))))
                elif kind == "elderly":
                    if rng.random() < 0.85:
                        out = at(day, (6, 30), (9, 0))
                        trips.append((out, out + timedelta(minutes=rng.randint(60, 180))))
                    if rng.random() < 0.5:
                        out = at(day, (14, 30), (16, 0))
                        trips.append((out, out + timedelta(minutes=rng.randint(60, 120))))
                elif weekday or rng.random() < 0.1:  # office: in, then out
                    arrive = at(day, (8, 0), (9, 40)) if weekday else at(day, (10, 0), (12, 0))
                    trips.append((arrive, arrive + timedelta(minutes=rng.randint(480, 720) if weekday else 180)))
                for first, second in trips:
                    gate = home_gate if rng.random() < 0.75 else rng.choice(gates)
                    d1, d2 = ("in", "out") if kind == "office" else ("out", "in")
                    mine.append((first, d1, gate))
                    mine.append((second, d2, home_gate if rng.random() < 0.75 else rng.choice(gates)))
            mine = [e for e in mine if start < e[0] <= self.as_of]
            if person is people[2]:  # no door activity for more than a day: the welfare job will notice
                mine = [e for e in mine if e[0] <= self.as_of - timedelta(hours=30)]
                while mine and mine[-1][1] != "in":
                    mine.pop()
            events.extend((t, person["pid"], d, g) for t, d, g in mine)
        events.sort()
        rows = [{"community_id": self.community_id, "source": "door-system", "source_id": f"ds-{n:08d}",
                 "person_pid": p, "gate": g, "direction": d, "at": t}
                for n, (t, p, d, g) in enumerate(events, start=1)]  # fmt: skip
        _insert(self.s, AccessEvent, rows)

        secretary = self.user["secretary"][0]
        watch_rows = []
        for person in people[:3]:
            consent = datetime.combine(self.as_of.date() - timedelta(days=rng.randint(60, 200)),
                                       time(rng.randint(9, 16), rng.randint(0, 59)))  # fmt: skip
            watch_rows.append({"resident_id": person["resident"]["id"], "person_pid": person["pid"],
                               "threshold_hours": 24, "consent_at": consent, "consent_given_by": "本人",
                               "consent_recorded_by": secretary, "consent_basis": "本人书面同意", "active": True,
                               "ended_at": None})  # fmt: skip
        _insert(self.s, WelfareWatch, watch_rows)

    # --- estate running index inputs --------------------------------------------------------------

    def ballots(self) -> None:
        rng = self.rng["ballots"]
        self.months = _months_back(self.as_of, 12)
        self.red_month = self.months[-4]  # four months before as_of's month: fengshang's red month
        rows = []
        for est in (e for e in self.estates if e["kind"] == "residential"):
            code = est["code"]
            households = [h for h in self.households if h["building"]["estate"] is est]
            for month in self.months:
                mstart = _month_start(month)
                red = code == "fengshang" and month == self.red_month
                mood = ESTATE_MOOD[code] + rng.gauss(0, 0.08)
                if month == self.months[-2]:
                    mood += CLOSE_RACE.get(code, (0.0, 0.0))[0]
                voters = rng.sample(households, round(rng.uniform(0.25, 0.45) * len(households)))
                voters.sort(key=lambda h: h["id"])
                for h in voters:
                    ballot = {"household_id": h["id"], "estate_id": est["id"], "month": month}
                    for aspect in ASPECTS:
                        if red and aspect == "fire_safety":
                            value = rng.choices((1, 2, 3, 4, 5), weights=(20, 35, 30, 10, 5))[0]
                        else:
                            mean = (3.1 if red else mood) + ASPECT_OFFSET[aspect]
                            value = max(1, min(5, round(rng.gauss(mean, 0.8))))
                        ballot[aspect] = value
                    comment = None
                    if rng.random() < 0.15:
                        if h["members"][0]["nationality"] != "CN" and rng.random() < 0.6:
                            comment = rng.choice(COMMENTS_EN)
                        elif red:
                            comment = rng.choice(COMMENTS_RED)
                        else:
                            good = sum(ballot[a] for a in ASPECTS) >= 7 * 3.8
                            comment = rng.choice(COMMENTS_GOOD if good else COMMENTS_BAD)
                    ballot["comment"] = comment
                    ballot["cast_at"] = mstart + timedelta(days=rng.randint(0, 27), hours=rng.randint(7, 22),
                                                           seconds=rng.randrange(3600))  # fmt: skip
                    rows.append(ballot)
        _insert(self.s, Ballot, rows)

    def indicators(self) -> None:
        rng = self.rng["indicators"]
        ids = dict(self.s.execute(select(IndicatorDef.code, IndicatorDef.id)).all())
        rows = []
        for est in (e for e in self.estates if e["kind"] == "residential"):
            for month in self.months:
                red = est["code"] == "fengshang" and month == self.red_month
                base = ESTATE_SCORE[est["code"]] + rng.gauss(0, 2)
                if month == self.months[-2]:
                    base += CLOSE_RACE.get(est["code"], (0.0, 0.0))[1]
                # entered in the month's last week, before the estate_index job computes it on the 1st
                entered = _month_start(month) + timedelta(days=24, hours=10, minutes=rng.randint(0, 300))
                entered = min(entered, self.as_of - timedelta(minutes=1))
                for ind in catalog.INDICATORS:
                    if red and ind.group == "property":
                        score = max(40.0, min(60.0, rng.gauss(50, 4)))
                    else:
                        score = max(55.0, min(98.0, rng.gauss(base, 6)))
                    rows.append({"estate_id": est["id"], "indicator_id": ids[ind.code], "month": month,
                                 "score": round(score, 1), "entered_by": "admin", "entered_at": entered})  # fmt: skip
        _insert(self.s, IndicatorScore, rows)

    # --- the talent library and service requests --------------------------------------------------

    def services(self) -> None:
        rng = self.rng["talent"]
        d0 = self.as_of.date()
        spec_codes = [code for code, _zh, _en in catalog.SPECIALTIES]
        talents = []
        for spec, n, teams in TALENT_PLAN:
            for i in range(n):
                gender = rng.choice("FM")
                if spec == "international" and i < len(FOREIGN_VOLUNTEERS):
                    country, group, languages = FOREIGN_VOLUNTEERS[i]
                    name = _foreign_name(rng, group, gender)[0]
                    languages = list(languages)
                else:
                    name = _cn_name(rng, gender, rng.randint(25, 70))
                    languages = ["zh"]
                    if (spec == "legal" and i < 3) or spec == "international" or rng.random() < 0.2:
                        languages.append("en")
                    if spec == "international" and i == len(FOREIGN_VOLUNTEERS):
                        languages.append("ko")
                    if spec == "international" and i == len(FOREIGN_VOLUNTEERS) + 1:
                        languages.append("ja")
                specialties = [spec]
                if rng.random() < 0.2:
                    specialties.append(rng.choice([c for c in spec_codes if c != spec]))
                if spec == "international" and i < len(FOREIGN_VOLUNTEERS) and country in FOREIGN_SECOND_SPECIALTY:
                    specialties = list(dict.fromkeys([*specialties, FOREIGN_SECOND_SPECIALTY[country]]))
                days = sorted(rng.sample(range(7), rng.randint(1, 3)))
                availability = {WEEKDAYS[d]: sorted(rng.sample(SLOTS, rng.randint(1, 2))) for d in days}
                bio_zh, bio_en = rng.choice(BIOS[spec])
                talents.append({"community_id": self.community_id, "name": name, "contact": _phone(rng),
                                "team": rng.choice(teams), "specialties": specialties, "languages": languages,
                                "availability": availability, "load_limit": rng.randint(2, 5), "bio_zh": bio_zh,
                                "bio_en": bio_en, "active": True,
                                "joined_on": d0 - timedelta(days=rng.randint(30, 1100))})  # fmt: skip
        for t, tid in zip(talents, _insert(self.s, Talent, talents, ids=True), strict=True):
            t["id"] = tid
        spoken = {lang for t in talents for lang in t["languages"]}
        assert not spoken & set(GAP_LANGUAGES)

        used: set[str] = set()
        rows, actions = simulate_requests(
            self.rng["requests"], talents, self.community_id, self.as_of,
            coordinators=[self.user["secretary"], self.user["grid_worker"]], texts=REQUEST_TEXTS,
            comments=RATING_COMMENTS, gap_languages=GAP_LANGUAGES, code=lambda r, prefix: _code(r, prefix, used),
            phone=_phone,
        )  # fmt: skip
        ids = _insert(self.s, ServiceRequest, rows, ids=True)
        for action in actions:
            action["request_id"] = ids[action.pop("_row")]
        _insert(self.s, ServiceAction, actions)
