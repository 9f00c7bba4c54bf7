"""Automatic grading of reported problems (DESIGN.md 5.1, 5.2): a category, a grade, the cues and a confidence.

Two sources of evidence, combined:
- a hand-written lexicon of general community-office vocabulary in Chinese and English (category words with a
  weight, and urgent / priority cues). It works with no data at all and is the floor: an urgent cue is never
  graded down, whatever a model says.
- a multinomial naive Bayes model trained on handled cases (staff corrections included), over Chinese character
  1-3-grams and English word unigrams + bigrams. It learns the community's own wording, and it decides where
  the lexicon is silent or weak. Its say is scaled by how much of the text it has seen in training (coverage),
  so a report worded unlike anything handled before is left to the lexicon.

Pure Python and numpy: the web app, intake and the bench call it in-process.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from domain.catalog import CATEGORIES, GRADES

MAX_CHARS = 2000  # longer texts are graded on their beginning: reports put the problem first
MIN_EXAMPLES = 40  # below this a trained model is more noise than signal
MODEL_FULL_WEIGHT_AT = 200  # training cases at which the model gets its full say
GRADE_RANK = {g: i for i, g in enumerate(GRADES)}  # 0 = most severe

# What the mobile camera car can see from the street (DESIGN.md 1); its reports lean to these.
CAMERA_CATEGORIES = ("illegal_parking", "fire_lane_blocked", "road_damage", "shop_spillover", "greenery_damage")


@dataclass(frozen=True)
class Grading:
    category: str  # category code
    grade: str  # "urgent" | "priority" | "routine"
    confidence: float  # 0..1, how sure of the category/grade
    cues: tuple[str, ...]  # the words/phrases of the text that drove the result (shown to staff)
    method: str  # "rules" or "model" (model with rule floor)


# --- text -----------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """Full-width to half-width and lower case, one character for one, so that every position in the
    normalised text is the same position in the reporter's text (cues are cut from the original)."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        if len(n) != 1:
            n = ch
        low = n.lower()
        out.append(low if len(low) == 1 else n)
    return "".join(out)


_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
# English word edges by ASCII only: Python counts Chinese characters as word characters, and reporters write
# "电梯stuck了" or "bldg 3的lift"
_B = r"(?<![a-z0-9])"
_E = r"(?![a-z0-9])"
_WORD_RE = re.compile(r"[a-z][a-z']*[a-z]|[a-z]")


# --- lexicon --------------------------------------------------------------------------------------
# Each row: category (None: a cue that says nothing about the category), weight, grade it implies (None,
# "priority" or "urgent"), Chinese terms (space-separated regexes) and English phrases (";"-separated; words
# separated by spaces match spaces or hyphens, "word*" matches any ending, "(a|b)" is a regex group).
# Weights: 3 names the problem or its object, 2 is typical of it, 1 is a hint.

_LEXICON: tuple[tuple[str | None, float, str | None, str, str], ...] = (
    # illegal parking
    ("illegal_parking", 3, None,
     "违停 违章停车 违规停车 乱停 乱停车 乱停乱放 占道停车 僵尸车 挪车 挪一下车 车位 停车位 占位 双排停 压线 "
     "车停 停车 停满 停着",
     "illegally parked; parked illegally; illegal parking; double park*; tow; towed; towing; parking space*; "
     "parking spot*; parking bay*; parking lot*; reserved spot*; reserved space*; visitor spot*; visitor space*; "
     "disabled space*; disabled spot*; abandoned car*; zombie car*; parked; parking; parks"),
    ("illegal_parking", 1, None, "", "park"),  # as often a name ("Eastcom Park") as a verb
    ("illegal_parking", 2, None,
     "奔驰 宝马 奥迪 大众 丰田 本田 特斯拉 比亚迪 私家车 轿车 小轿车 面包车 快递车 货车 卡车 大货车 suv 出租车 网约车 汽车 小汽车 车主 牌照 车牌 外来车 开不出 开不进 "
     "停(在|到) 停了.{0,3}(天|周|月|星期) 横在",
     "car*; vehicle*; van*; truck*; lorr*; suv*; pickup*; taxi*; cab; number plate*; plate*; driveway*; "
     "garage exit*; visitor bay*; "
     "zebra crossing*; bmw; audi; tesla; honda; toyota; benz; mercedes; byd; blocked (me|us|my car|our car) in"),
    ("illegal_parking", 1, None, "车 停", ""),
    # fire lane / stairwell blocked: a car or junk on a fire lane is a blocked fire lane, so these outweigh the
    # parking and junk words around them
    ("fire_lane_blocked", 5, "priority",
     "消防通道 消防车道 消防车通道 生命通道 疏散通道 安全通道 逃生通道 登高场地 登高面 消防登高 楼道堆物 楼道堆放 楼道里堆 "
     "堵住安全出口 安全出口 楼梯间堆 楼梯口",
     "fire lane*; fire access*; fire route*; emergency (vehicle )?lane*; emergency access*; emergency exit*; "
     "fire exit*; escape route*; escape stair*; fire escape*; evacuation route*"),
    ("fire_lane_blocked", 2, None,
     "楼道 楼梯间 楼梯 过道 走廊 杂物 堆物 堵死 堵住 堵了 旧家具 沙发 鞋柜 储藏室 锁上 铁链",
     "stairwell*; stairway*; stairs; staircase*; stair; corridor*; hallway*; landing*; junk; clutter*; "
     "piled with; piled up; chained; padlock*; barely get past; can't get past; fire hazard*"),
    ("fire_lane_blocked", 1, None, "堆满 堆了 纸箱", ""),
    # e-bike charging
    ("ebike_charging", 3, None,
     "电动车 电瓶车 电动自行车 电驴 小电驴 电瓶 锂电池 电池 电车",
     "e bike*; ebike*; electric bike*; electric bicycle*; electric scooter*; e scooter*; escooter*; scooter*; "
     "electric moped*; moped*"),
    # charging is the problem wherever it happens, so it outweighs the stairwell or corridor it happens in
    ("ebike_charging", 4, "priority",
     "飞线充电 飞线 私拉电线 私拉乱接 拉电线 接电线 楼道充电 楼道里充 充电 插线板 接线板 插排 充电桩",
     "charg*; extension lead*; extension cord*; extension cable*; power strip*; power board*"),
    ("ebike_charging", 2, None, "插座 充", "batter*; cable*"),
    # road damage
    ("road_damage", 3, None,
     "路面 坑洼 坑坑洼洼 大坑 路坑 塌陷 地砖 路砖 井盖 窨井 窨井盖 减速带 路沿石 道牙 沥青 裂缝 翘起 沉降 下沉 "
     "沉下去 凹陷 台阶 道路 路坏 破损",
     "pothole*; paving*; road surface*; manhole*; drain cover*; speed bump*; speed hump*; kerb*; curb*; "
     "asphalt; tarmac; sunk; uneven"),
    ("road_damage", 2, None, "开裂 坑 洞 马路 路 砖",
     "crack*; road*; footpath*; sidewalk*; pavement*; walkway*; path; hole*"),
    ("road_damage", 1, None, "地面", "ground"),
    # shop spill-over
    ("shop_spillover", 3, None,
     "出店经营 占道经营 店外经营 门外经营 摆摊 摊贩 小贩 流动摊 地摊 外摆 商铺 店铺 店家 门店 店门口 货架 "
     "烧烤摊 夜宵摊 早餐摊 餐馆 饭店 餐厅 超市 便利店 水果店 小吃店 理发店 汽修 修车 奶茶店 菜市场 商户 卖",
     "shop*; store; stores; stall*; vendor*; hawker*; restaurant*; cafe*; bakery; bakeries; salon*; hotpot; bbq; "
     "barbecue*; grill*; display*; sign boards?; signboards?; "
     "sell*; goods; crate*; merchandise; food stall*; repair shop*; takes? up the (pavement|sidewalk|walkway)*; "
     "taken over; market*"),
    ("shop_spillover", 2, None,
     "店 摊 饭馆 餐饮 泔水 摆(到|在|满|出|了) 桌椅 桌子 椅子 货物 烧烤 夜宵 生意 招牌 广告牌",
     "tables?; chairs?; business*; customer*"),
    # greenery
    ("greenery_damage", 3, None,
     "绿化 灌木 树木 毁绿 种(菜|葱|蒜|地) 开荒 踩秃 枯死 砍树 补种 树苗 苗木 花草 绿篱 黄土",
     "tree*; hedge*; shrub*; bush*; flower bed*; flowerbed*; planter*; sapling*; greenery; vegetable*; weed*"),
    # the green places are also where other problems happen (a dog on the lawn, rubbish in the green belt)
    ("greenery_damage", 2, None, "绿化带 绿地 草坪 草地 花坛 草丛 树 树枝 枯 草 花 挖 砍 修剪",
     "grass*; lawn*; green belt*; green space*; plant*; branch*; dug up; cut down; soil"),
    ("greenery_damage", 1, None, "", "dead; died; dying"),
    # elevator
    # the lift decides the category whatever it does (stops, shakes, rattles, goes dark) ...
    ("elevator_fault", 4, None,
     "电梯 轿厢 直梯 扶梯 梯",
     "elevator*; lift; lifts; escalator*"),
    ("elevator_fault", 3, "priority",
     "电梯.{0,6}(坏|停运|停了|停梯|故障|不动|不能用|没法用|用不了|异响|响|声音|噪音|晃|抖) 停梯 异响 冲顶 蹲底 溜梯",
     "(lift|lifts|elevator|elevators) (\\w+ ){0,3}(broken|out of (order|service)|not working|stopped|down|stuck); "
     "(lift|lifts|elevator|elevators) (\\w+ ){0,6}(noise*|noisy|rattl*|bang*|grind*|jolt*|jerk*|shak*|skip*|vibrat*)"),
    ("elevator_fault", 2, None, "按键 按钮 楼层 下坠 维保 门夹", "button*; floors; skips"),
    # fire equipment
    # a named piece of fire equipment decides the category, whatever it does (leaks, beeps, is missing)
    ("fire_equipment", 4, "priority",
     "消防栓 消火栓 灭火器 消防水带 水带 水枪 喷淋 喷头 烟感 烟雾报警 火灾报警 应急灯 应急照明 疏散指示 "
     "安全出口指示 指示牌 指示灯 消防门 防火门 闭门器 消防泵 消防箱 消防器材 消防设施 消防报警 手报 消防",
     "extinguisher*; hydrant*; fire hose*; hose reel*; sprinkler*; smoke alarm*; smoke detector*; fire alarm*; "
     "exit sign*; emergency exit sign*; emergency light*; fire door*; fire pump*; fire equipment; fire cabinet*; "
     "fire safety"),
    ("fire_equipment", 2, None, "报警器 报警 压力表", "alarm*; detector*; beep*"),
    # garbage
    ("garbage", 3, None,
     "垃圾 垃圾桶 垃圾箱 垃圾房 垃圾袋 清运 厨余 乱扔 乱丢 建筑垃圾 装修垃圾 大件垃圾 废品 废料 烟头 果皮 倒垃圾 扔在 扔到 丢在 丢到",
     "garbage*; rubbish; trash; litter*; bin; bins; waste; recycl*; food scraps; rubble; debris; fly tipping"),
    ("garbage", 2, None,
     "分类 苍蝇 老鼠 蟑螂 臭 异味 馊 没人收 没人清 溢出 扔 床垫 泡沫 砖头 水泥 渣土",
     "bin room*; bin store*; dump*; overflow*; rats?; flies; cockroach*; stink*; smelly; emptied; collect*; sort*; "
     "mattress*; sofa*; "
     "fridge*"),
    # water leak
    ("water_leak", 3, "priority",
     "漏水 渗水 滴水 水管 爆管 渗漏 水表 自来水管 供水管 漏了",
     "leak*; drip*; burst pipe*; pipe burst; pipe*; water main*; seep*; water meter*; gush*"),
    ("water_leak", 2, None, "", "burst"),
    ("water_leak", 2, None,
     "管道 阀门 水箱 天花板 吊顶 发霉 墙皮 自来水 供水 漏 湿 滴 冒水 流水 接口 洗衣机",
     "ceiling*; damp*; valve*; water tank*; hose*; mould*; mold*; water stain*; pouring; washing machine*"),
    # lighting
    ("public_lighting", 3, None,
     "路灯 灯不亮 灯坏 声控灯 感应灯 楼道灯 照明 灯泡 灯罩 灯杆 灯管 黑灯瞎火 漆黑 一片黑 黑漆漆",
     "street light*; streetlight*; street lamp*; (stairwell|stairway|stair|corridor|hallway|landing) lights?; "
     "lamp*; lamppost*; light pole*; lamp post*; bulb*; pitch black; "
     "pitch dark; flicker*; lights? (are |is )?out"),
    ("public_lighting", 2, None, "灯 不亮 亮着 闪 黑", "light; lights; lighting; dark"),
    # noise
    ("noise", 3, None,
     "噪音 噪声 扰民 吵 太吵 吵死 电钻 电锯 电镐 冲击钻 切割机 砸墙 敲打 打桩 广场舞 音响 喇叭 ktv 唱歌 低音炮 鸣笛 轰油门 划拳 喧哗 "
     "跑跳 睡不着",
     "noise*; noisy; loud*; music; party; parties; partying; drill*; drum*; chainsaw*; jackhammer*; leaf blower*; "
     "power tool*; karaoke; loudspeaker*; speaker*; "
     "square danc*; shout*; scream*; revv*; bang*; can'?t sleep"),
    ("noise", 2, None,
     "施工 半夜 深夜 凌晨 嗡嗡 响 声音 音乐 咚咚 敲 叮叮当当 乒乒乓乓",
     "construction; midnight; all night; late at night; through the wall*; hear; tv; guitar*; piano*; amp; amps; "
     "instrument*; car alarm*; (till|until|til|at|past) [0-9]{1,2} ?am"),
    # dogs
    ("dog_nuisance", 3, None,
     "狗 犬 遛狗 牵绳 拴绳 狗屎 狗粪 狗便 粪便 狗叫 宠物 金毛 泰迪 哈士奇 柯基 比熊 柴犬 阿拉斯加 藏獒 流浪狗",
     "dog*; pupp*; leash*; off the lead; poo; poos; poop*; dog mess; bark*; husky; huskies; poodle*; labrador*; "
     "retriever*; pitbull*; pit bull*; corgi*; terrier*; bulldog*; rottweiler*; muzzle*"),
    ("dog_nuisance", 2, None, "咬 撒尿 拉屎", "bit; bite*; bitten; pee*; pets?"),
    # waterlogging
    ("waterlogging", 3, None, "积水 内涝 水淹 淹了 淹 成河 排水不畅", ""),
    ("waterlogging", 3, "priority",
     "水深 没过 积水.{0,4}(很深|太深|深|齐腰|到膝盖|到小腿|过膝)",
     "flood*; waterlog*; puddle*; standing water; deep water; under water; underwater; knee deep; ankle deep; "
     "waist deep"),
    ("waterlogging", 2, None,
     "进水 暴雨 下雨 大雨 雨水 雨 排水 排水口 雨水井 下水道 排水沟 脚踝 膝盖 小腿 台风 积了",
     "rain*; storm*; drain*; gutter*; underpass*"),
    # other
    ("other", 3, None,
     "烧纸 焚烧 门禁 门锁 刷卡 防盗门 对讲 违建 违章搭建 私搭 搭建 扩建 加盖 健身器材 外墙 瓷砖 小广告 群租 "
     "监控 摄像头 空调外机 化粪池 马桶 诈骗 传销 水压 独居老人",
     "intercom*; door lock*; door entry; card reader*; gate card*; access gate*; access card*; key card*; "
     "illegal construction; "
     "illegal structure*; shed; sheds; roof*; facade*; gym machine*; gym equipment; outdoor gym; flyer*; ads; "
     "advert*; leaflet*; cctv; camera*; sublet*; scam*; stolen; theft; balcon*; concrete; stove*"),
    ("other", 2, "priority", "烟花 鞭炮 放炮", "firework*; firecracker*"),
    ("other", 2, "priority",
     "停电 停水 没水 没电 断电 断水",
     "power cut*; power outage*; no power; no electricity; blackout*; no water; "
     "power('s| is| has)? (been )?(out|off|down)"),
    ("other", 2, None, "快递", "parcel*; package*"),
    ("other", 1, None, "老人 邻居 电线杆", "neighbour*; neighbor*"),
    # urgent cues (DESIGN.md 5.2): danger to people now
    ("elevator_fault", 3, "urgent", "困人 电梯.{0,4}(关人|被困|困住)", "stuck in (the )?(lift|elevator)"),
    (None, 3, "urgent",
     "被困 困在 关在里面 锁在车里 锁车里 困在车里",
     "trapped; locked (alone )?(in|inside) (a|the) car; locked in"),
    # a fire is "other" unless the text names what burns (an e-bike, a bin)
    ("other", 1, "urgent",
     "着火 起火 失火 火灾 冒烟 浓烟 (?<!油)烟(好|很|太|特别)?(大|浓) (好|很|太)(大|浓)的烟 烧起来 烧着了 "
     "(?<=[车池瓶线座子屋家楼西圾树])着了 明火 火苗 火光 爆炸 自燃 烧焦 焦味 冒火 火花 打火 噼里啪啦 烧化 熔化",
     "on fire; caught fire; catch(es|ing)? fire; fire!+; there'?s a fire; a fire (in|on|at); flames?; burning; "
     "smoke(?! (alarm|detector|sensor)s?); (started|is|are|was|keeps?) smoking; "
     "smoking (battery|bike|scooter|charger|socket|plug|wire|box|outlet|meter)*; smoulder*; smolder*; melting; "
     "explo(sion|ded|de)*; spark*"),
    ("other", 3, "urgent",
     "煤气味 燃气味 天然气味 汽油味 柴油味 煤气泄漏 燃气泄漏 天然气泄漏 漏气 (煤气|燃气|天然气).{0,6}(味|泄漏|漏) 毒气 有毒 "
     "刺鼻",
     "gas leak*; leaking gas; smell* (\\w+ )?(of|like) (gas|petrol|gasoline|fuel); gas smell*; petrol smell*; "
     "smell* gas; carbon monoxide; "
     "chemical smell*; toxic; fumes"),
    ("other", 3, None, "煤气 燃气 天然气", "gas"),
    (None, 3, "urgent",
     "电线裸露 裸露的电线 电线外露 (电线|线头|电缆|线路).{0,6}(露|在外面|外露|垂下|掉下) 漏电 触电 被电 电到 电线掉 电线断 短路",
     "exposed wir*; live wir*; bare wir*; bare cable*; exposed cable*; wires? hanging; hanging wires?; "
     "(wires?|cables?) (\\w+ ){0,4}(are |is )?(exposed|bare|hanging out|sticking out|showing|visible); "
     "electric shock*; electrocut*; shocked; power lines? down"),
    ("road_damage", 3, "urgent",
     "井盖.{0,3}(缺失|不见|没了|丢|被偷|偷|碎|破|掉|移位|翻) 没有井盖 无井盖 窨井.{0,4}(敞开|开着)",
     "(manhole|drain) (cover )?(\\w+ )?(missing|gone|open|broken|off|stolen); missing (manhole|drain) cover*; "
     "open hole; open manhole*; uncovered (manhole|drain)*; sinkhole*"),
    (None, 3, "urgent",
     "倒塌 坍塌 塌了 塌方 垮塌 塌下来 泡塌 砸到 砸伤 砸中 砸在 高空坠物 坠落 刮倒",
     "collaps*; caved in; cave in; fell (on|onto|off|from)*; falling (debris|objects?|concrete|glass)"),
    # a person in danger is itself the problem ("other") unless the text names a category's object
    ("other", 2, "urgent",
     "摔倒 跌倒 晕倒 昏倒 昏迷 晕过去 晕了 休克 倒地 叫不醒 (叫|喊|敲门|敲|拍|摇|推|人|老人|他|她).{0,4}没(有)?反应 不省人事 没呼吸 没有呼吸 没气了 没意识 "
     "呼吸困难 喘不上气 心脏病 抽搐 吐血 一动不动 人不动了 躺着不动 起不来 爬不起来 站不起来 动不了 "
     "摔(了|伤|下来|下去|断|破) 跌(伤|下来|下去) 跳楼 要跳 想不开 轻生 自杀 打架 打起来 打人 动手 斗殴 家暴 持刀 拿刀 "
     "拿着(刀|棍|棒) 砍人 中毒 一氧化碳 窒息 溺水 落水 走失 走丢",
     "fainted; faint; passed out; unconscious; (not|isn'?t|stopped) breathing; unresponsive; "
     "(he|she|they|him|her|someone|somebody|man|woman|lady|guy|person|neighbou?r|kid|child|baby|mum|mom|dad)"
     "('s|'re| is| are| was| isn'?t| wasn'?t)? (\\w+ )?(not|isn'?t|wasn'?t|doesn'?t|didn'?t|won'?t|does not) respond*; "
     "not respond* to (knock*|call*); "
     "not moving; has fallen; fell over; fell down; fallen (down|over); can'?t get up; cannot get up; can'?t move; "
     "hit (his|her|their) head; knocked out; seizure*; stroke; choking; can'?t breathe; chest pains?; heart attack; "
     "broke (his|her|their) (leg|arm|hip)*; fight*; beating; knife; knives; suicid*; jump off; jumping off; "
     "domestic violence; threatening; drown*; missing (child|kid|boy|girl|old man|old lady); lost (child|kid)"),
    # something or someone fell: a person or a falling object, either way danger now (a leaf falling is not reported)
    (None, 2, "urgent", "", "fell"),
    ("other", 1, "urgent", "流血 出血 受伤 骨折 夹伤 烫伤 划破 划伤 割破 割伤 扎伤 刺伤 撞伤",
     "bleeding; blood; injur*; attacked; (is|was|got|been|are|were|badly|seriously) hurt; "
     "hurt (him|her|them|himself|herself|themselves)"),
    ("other", 2, "urgent", "(孩子|小孩|儿童|宝宝).{0,6}(窗台|窗户外|阳台边|护栏外|楼顶|天台)",
     "(child|children|kid|kids|toddler|baby) (\\w+ ){0,4}(on|at|over|out of) the (window ?sill|windowsill|ledge|"
     "balcony (railing|edge)|roof edge|window)"),
    # someone nobody has seen for days: the welfare case that cannot wait
    ("other", 2, "urgent", "(几|好几|两|三|四|五|多)天没(见|看到|出门|出来|露面|动静) 屋里有(怪味|臭味) 尸臭",
     "(haven'?t|have not|hasn'?t|has not|not) (been )?seen (\\w+ ){0,2}(for|in) (days|a week|\\w+ days)"),
    (None, 3, "urgent", "救护车 (?<!\\d)120(?!\\d) (?<!\\d)110(?!\\d) (?<!\\d)119(?!\\d) 急救 救命 紧急 快来人 快来救 十万火急",
     "ambulance*; call(ed)? (120|110|119); help!+; emergency!*; urgent!*; hurry"),
    ("dog_nuisance", 2, "urgent", "咬伤 被咬 咬了人 咬人了",
     "bitten; bit (a|an|my|the|our|his|her|their)? ?(kid|child|boy|girl|man|woman|lady|person|someone|me|him|her)"),
    # water entering homes (the English form is the WATER + INTO_HOME combination below); mostly from a pipe
    ("water_leak", 1, "urgent",
     "(家里|屋里|房间|室内|客厅|卧室|厨房|家中|住户|几户|人家).{0,4}(进水|进了水|都是水|全是水|淹了|被淹|泡了) "
     "(家里|屋里|房间|室内|家中).{0,3}水.{0,6}(深|高) "
     "(流|灌|漫|渗)进.{0,3}(家|屋|户|房) 漫进 进家里",
     ""),
    ("waterlogging", 3, "urgent", "倒灌", "backflow*"),
    # things thrown from a height: a hazard even when nobody was hit
    ("other", 3, "priority", "高空抛物 往下扔 往楼下扔 从楼上扔 往窗外扔",
     "throw* (\\w+ ){0,2}(out of|from|off) (the |a |their |his |her )?(window|balcon)*"),
    # priority cues outside their own category
    (None, 2, "priority",
     "摇摇欲坠 随时.{0,2}(会|要)?掉 快掉下来 要掉下来 井盖.{0,2}(松动|响|翘) 安全隐患",
     "about to fall; could fall; might fall; loose manhole*; manhole cover (is )?loose"),
    # words that name a place or a vehicle, not a problem, and riding the lift (... but taking an e-bike into it is
    # about the e-bike): they keep shorter words inside them quiet
    (None, 0, None,
     "车库 地库 地下车库 停车场 车棚 消防车 垃圾车 自行车 三轮车 公交车 电梯厅 楼下 门口 单元门 倒车 花园 花盆 影响 外卖 "
     "进电梯 坐电梯 乘电梯 上电梯 推进电梯 带进电梯 紧急出口 紧急呼叫 紧急按钮",
     "car park*; bike shed*; parking garage*; fire (engine|truck)s?; garbage truck*; rubbish truck*; bin lorr*; "
     "into the (lift|elevator); up in the (lift|elevator); emergency (button|call|phone|stair)*"),
)  # fmt: skip

# Markers just before a cue that make it a negation or a hypothesis ("没有人被困", "no smoke", "万一着火"). A near
# miss ("差点砸到人", "nearly hit") is not one: whatever nearly hit someone is still there.
_NEG_ZH = re.compile(
    "(没有|没|无|未|不是|并非|不会|万一|如果|要是|容易|会不会|担心|怕|防止|预防|以防)(人|人员|谁)?(被|在|会)?$"
)
_NEG_EN = re.compile(
    rf"{_B}(no|not|nobody|never|without|if|in case|could|might|may|will|would|gonna|going to|risk of|no one|"
    r"isn'?t|wasn'?t|"
    r"don'?t|didn'?t|there'?s no)\W+((is|are|was|were|got|been|being|has been|have been|a|an|the|any|some)\W+){0,2}$"
)

# Combinations: every tag present in the text gives the grade. Cues are the first match of each tag.
_TAGS = {
    "ELEV": re.compile(rf"电梯|轿厢|{_B}(lift|lifts|elevator|elevators){_E}"),
    "STUCK": re.compile(
        rf"卡在|卡住|不动|不走|停住|困住|出不来|出不去|打不开|冲顶|蹲底|关在|停在.{{0,4}}(之间|中间)|{_B}(stuck|stopped|jammed|won'?t open|"
        rf"doesn'?t open|can'?t open|can'?t get out){_E}"
    ),
    "INSIDE": re.compile(rf"里面|里头|在里|有人|{_B}(inside|in it|in there|we'?re|we are|i'?m|i am){_E}"),
    "WATER": re.compile(rf"{_B}(water|flood\w*|rain\w*|sewage|storm\w*){_E}"),
    "INTO_HOME": re.compile(
        rf"{_B}(into|in to|entering|inside)\W+(\w+\W+){{0,3}}(homes?|flats?|apartments?|houses?|rooms?|bedrooms?|"
        rf"kitchens?|living\W+rooms?|lounge){_E}|{_B}(home|flat|apartment|house|room)s?\W+(is|are|was|got|has been|"
        rf"have been)?\W*flooded{_E}|"
        rf"{_B}all over (the|my|our|their) (flat|floor|house|home|apartment|kitchen|place){_E}"
    ),
    "COMING_IN": re.compile(
        rf"{_B}(coming|getting|pouring|running|flowing|seeping|gushing) in{_E}|"
        rf"{_B}through the (front |back )?doors?{_E}|"
        rf"{_B}under the doors?{_E}"
    ),
    "WET": re.compile(
        rf"漏水|进水|渗水|爆管|水管.{{0,2}}(爆|破|裂)|淹|泡在水|(流|灌|漫|渗)进|{_B}(water|flood\w*|leak\w*|soaked|submerged){_E}"
    ),
    "ELECTRIC": re.compile(
        rf"配电房|配电箱|配电柜|电箱|电表箱|电闸|插座|变电|灯座|灯具|{_B}(electric(al)? (box|room|panel|cabinet|meter)s?|"
        rf"light (fitting|fixture)s?|"
        rf"fuse ?box(es)?|switchboards?|sockets?|outlets?|meter box(es)?|power box(es)?){_E}"
    ),
    "HOME": re.compile(rf"{_B}(homes?|flats?|apartments?|houses?|ground floor|living room|bedrooms?|kitchens?){_E}"),
}
_COMBOS: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (("ELEV", "STUCK", "INSIDE"), "urgent", "elevator_fault"),
    (("WATER", "INTO_HOME"), "urgent", None),
    (("WATER", "COMING_IN", "HOME"), "urgent", None),
    (("WET", "ELECTRIC"), "urgent", None),  # water reaching live electrics
)


@dataclass(frozen=True)
class _Term:
    pattern: re.Pattern
    category: str | None
    weight: float
    grade: str | None
    text: str  # the term as written, for the fuzzy vocabulary


def _english_regex(phrase: str) -> str:
    parts = []
    for token in phrase.split(" "):
        if not token:
            continue
        if token.endswith("*") and re.fullmatch(r"[a-z'\-]+\*", token):
            parts.append(re.escape(token[:-1]) + r"\w*")
        elif re.fullmatch(r"[a-z0-9'\-]+", token):
            parts.append(re.escape(token))
        else:
            parts.append(token)
    body = r"[\s\-]+".join(parts)
    return _B + "(?:" + body + ")" + _E


def _build_terms() -> tuple[_Term, ...]:
    terms = []
    for category, weight, grade, zh, en in _LEXICON:
        for term in zh.split():
            terms.append(_Term(re.compile(term), category, weight, grade, term))
        for phrase in (p.strip() for p in en.split(";")):
            if phrase:
                terms.append(_Term(re.compile(_english_regex(phrase)), category, weight, grade, phrase))
    return tuple(terms)


_TERMS = _build_terms()


def _fuzzy_vocabulary() -> tuple[frozenset[str], tuple[str, ...], dict[tuple[int, str], tuple[str, ...]]]:
    """The English lexicon words (with the usual endings of the open-ended ones) and stems, which are known and
    never mended, and the long ones a typo may be mended to, by (length, first letter). Short words are too close
    to ordinary ones ("showing" is one letter from "shoping"), and no typo is read as an urgent cue ("tripped" is
    one letter from "trapped")."""
    words: set[str] = set()
    stems: set[str] = set()
    targets: set[str] = set()
    for _category, _weight, grade, _zh, en in _LEXICON:
        for phrase in en.split(";"):
            for token in phrase.strip().split(" "):
                if re.fullmatch(r"[a-z]+\*", token):
                    stem = token[:-1]
                    forms = {stem + end for end in ("", "s", "es", "ed", "ing", "er")}
                    stems.add(stem)
                    words.update(forms)
                    if len(stem) >= 6 and grade != "urgent":
                        targets.update(forms)
                elif re.fullmatch(r"[a-z]+", token):
                    words.add(token)
                    if len(token) >= 7 and grade != "urgent":
                        targets.add(token)
    buckets: dict[tuple[int, str], list[str]] = {}
    for word in sorted(targets):
        buckets.setdefault((len(word), word[0]), []).append(word)
    return frozenset(words), tuple(sorted(stems)), {k: tuple(v) for k, v in buckets.items()}


_VOCAB_WORDS, _VOCAB_STEMS, _VOCAB_BUCKETS = _fuzzy_vocabulary()
_FUZZY_MIN_LEN = 7


def _one_typo(a: str, b: str) -> bool:
    """Same length, and one letter replaced or two neighbours swapped."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _correct(norm: str, known: frozenset[str] | set[str] = frozenset()) -> tuple[str, list[int]]:
    """Mend English words one typo away from a lexicon word ("elavator", "leeking", "cieling"); returns the
    mended text and, for each of its characters, the position in the original it comes from. Only unknown
    words of seven letters or more, with the same first letter and length, and one candidate: a real word
    that happens to be near a lexicon word ("blocking", "nights") is left alone."""
    pieces: list[str] = []
    origin: list[int] = []
    last = 0
    for m in _WORD_RE.finditer(norm):
        word = m.group()
        if (
            len(word) < _FUZZY_MIN_LEN
            or not word.isalpha()
            or word in _VOCAB_WORDS
            or word in known
            or word.startswith(_VOCAB_STEMS)
        ):
            continue
        candidates = [c for c in _VOCAB_BUCKETS.get((len(word), word[0]), ()) if _one_typo(word, c)]
        if len(candidates) != 1:
            continue
        pieces.append(norm[last : m.start()])
        origin.extend(range(last, m.start()))
        pieces.append(candidates[0])
        origin.extend(range(m.start(), m.end()))
        last = m.end()
    pieces.append(norm[last:])
    origin.extend(range(last, len(norm)))
    return "".join(pieces), origin


@dataclass
class _Match:
    start: int  # in the mended text
    end: int
    term: _Term
    negated: bool = False


def _negated(text: str, start: int) -> bool:
    before = text[max(0, start - 24) : start]
    if _CJK_RE.search(text[start : start + 1]):
        return bool(_NEG_ZH.search(before[-6:]))
    return bool(_NEG_EN.search(before))


def _lexicon_matches(text: str) -> list[_Match]:
    """Every term occurrence, then the longest ones win where they overlap ("消防栓" over "消防", "smoke alarm"
    over "smoke"), so a word is read once, in its widest sense."""
    found = []
    for term in _TERMS:
        for m in term.pattern.finditer(text):
            if m.end() > m.start():
                found.append(_Match(m.start(), m.end(), term))
    found.sort(key=lambda x: (-(x.end - x.start), -x.term.weight, x.start))
    # a word inside a longer match is part of it, even where that longer match loses to another one
    # ("冒火花": 冒火 and 火花 overlap, and 花 alone is not a flower)
    inside = bytearray(len(found))
    for i, short in enumerate(found):
        for long in found[:i]:
            if long.end - long.start > short.end - short.start and long.start <= short.start and short.end <= long.end:
                inside[i] = 1
                break
    # neutral words have done their work once they hid the words inside them; they claim no other text
    found = [m for i, m in enumerate(found) if not inside[i] and (m.term.weight > 0 or m.term.grade)]
    taken = bytearray(len(text))
    kept = []
    for match in found:
        if any(taken[match.start : match.end]):
            continue
        taken[match.start : match.end] = b"\x01" * (match.end - match.start)
        if match.term.grade == "urgent":
            match.negated = _negated(text, match.start)
        kept.append(match)
    kept.sort(key=lambda x: x.start)
    return kept


def _combos(text: str) -> list[tuple[str, str | None, list[tuple[int, int]]]]:
    spans = {}
    for name, pattern in _TAGS.items():
        for m in pattern.finditer(text):
            if not _negated(text, m.start()):  # "no one inside" is not someone inside
                spans[name] = (m.start(), m.end())
                break
    return [
        (grade, category, [spans[t] for t in tags])
        for tags, grade, category in _COMBOS
        if all(t in spans for t in tags)
    ]


# --- the model ------------------------------------------------------------------------------------

_STOP_WORDS = (
    "a an the and or but of to in on at by for with from is are was were be been being it its it's this that "
    "there these those i me my we our you your he she his her they them their so as up out very just please pls "
    "hi hello thanks thank again"
)
_STOP = frozenset(_STOP_WORDS.split())
_RUN_RE = re.compile(f"[{_CJK}0-9]*[{_CJK}][{_CJK}0-9]*")
_DIGIT_RE = re.compile(r"[0-9]")


def _stem(word: str) -> str:
    for end in ("ing", "ed", "es", "s"):
        if len(word) > len(end) + 3 and word.endswith(end):
            return word[: -len(end)]
    return word


def _features(text: str) -> list[tuple[str, int, int]]:
    """(feature, start, end): Chinese character 1-3-grams within runs of Chinese (digits read as one symbol,
    so "3幢" and "12幢" are the same), English word unigrams (stop words dropped) and bigrams, lightly stemmed."""
    flat = _DIGIT_RE.sub("0", text)
    feats: list[tuple[str, int, int]] = []
    for run in _RUN_RE.finditer(flat):
        s = run.group()
        base = run.start()
        for n in (1, 2, 3):
            for i in range(len(s) - n + 1):
                gram = s[i : i + n]
                if n == 1 and gram == "0":
                    continue
                feats.append((gram, base + i, base + i + n))
    words = [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(flat)]
    prev = None
    for word, start, end in words:
        stem = _stem(word)
        if word not in _STOP:
            feats.append(("w:" + stem, start, end))
        if prev is not None and not (prev[0] in _STOP and word in _STOP):
            feats.append(("b:" + _stem(prev[0]) + " " + stem, prev[1], end))
        prev = (word, start, end)
    return feats


@dataclass
class _NB:
    labels: tuple[str, ...]
    log_prior: np.ndarray  # (labels,)
    log_prob: np.ndarray  # (labels, vocab)

    def scores(self, idx: np.ndarray) -> np.ndarray:
        return self.log_prior + self.log_prob[:, idx].sum(axis=1)


def _train_nb(docs: list[list[int]], labels: list[str], vocab_size: int, alpha: float = 0.5) -> _NB:
    names = tuple(sorted(set(labels)))
    pos = {n: i for i, n in enumerate(names)}
    counts = np.zeros((len(names), vocab_size), dtype=np.float64)
    doc_counts = np.zeros(len(names), dtype=np.float64)
    for doc, label in zip(docs, labels, strict=True):
        k = pos[label]
        doc_counts[k] += 1
        if doc:
            np.add.at(counts[k], np.asarray(doc, dtype=np.int64), 1.0)
    smoothed = counts + alpha
    log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
    prior = np.log((doc_counts + 1.0) / (doc_counts.sum() + len(names)))
    return _NB(names, prior, log_prob)


@dataclass
class GradingModel:
    """Naive Bayes over the handled cases: one model for the category, one for the grade. Plain numpy arrays
    and dicts, so it pickles and lives in memory; `size` is the number of training cases."""

    vocab: dict[str, int]
    category: _NB
    grade: _NB
    size: int
    doc_freq: np.ndarray = field(repr=False)
    words: frozenset[str] = frozenset()  # English words seen in training: known, so never mended as typos
    temperature: float = 3.0  # n-grams overlap (a character sits in up to six), so their evidence is shared

    def _known(self, feats: list[tuple[str, int, int]]) -> tuple[list[tuple[int, int, int]], float]:
        known = []
        informative = total = 0
        for name, start, end in feats:
            i = self.vocab.get(name)
            # single Chinese characters are nearly always known; coverage counts the longer grams and words
            counted = len(name) != 1
            total += counted
            if i is None:
                continue
            known.append((i, start, end))
            if counted and self.doc_freq[i] >= 2:
                informative += 1
        return known, (informative / total if total else 0.0)

    def predict(self, text: str) -> _Prediction:
        feats = _features(text)
        known, coverage = self._known(feats)
        idx = np.fromiter((k[0] for k in known), dtype=np.int64, count=len(known))
        cat_scores = self.category.scores(idx) / self.temperature if len(idx) else self.category.log_prior.copy()
        grade_scores = self.grade.scores(idx) / self.temperature if len(idx) else self.grade.log_prior.copy()
        cat_post = _softmax(cat_scores)
        grade_post = _softmax(grade_scores)
        top = int(np.argmax(cat_post))
        contributions = []
        if len(idx):
            lp = self.category.log_prob[:, idx]
            others = np.delete(lp, top, axis=0).max(axis=0) if lp.shape[0] > 1 else np.zeros(lp.shape[1])
            gain = lp[top] - others
            for j in np.argsort(-gain)[:12]:
                if gain[j] <= 0.5:
                    break
                contributions.append((float(gain[j]), known[j][1], known[j][2]))
        # squared: a text half made of words the model never saw is judged on the half it knows, which are often
        # the incidental ones (where, not what), so it earns a quarter of the say, not half
        weight = coverage**2 * min(1.0, self.size / MODEL_FULL_WEIGHT_AT)
        return _Prediction(
            dict(zip(self.category.labels, cat_post.tolist(), strict=True)),
            dict(zip(self.grade.labels, grade_post.tolist(), strict=True)),
            weight,
            contributions,
        )


@dataclass
class _Prediction:
    category: dict[str, float]
    grade: dict[str, float]
    weight: float  # 0..1: how far to trust it on this text
    contributions: list[tuple[float, int, int]]  # (log-odds gain, start, end) of the words behind the category


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def train_model(examples: Iterable[tuple[str, str, str]]) -> GradingModel | None:
    """Train on (text, category code, grade) of handled cases; None when there is too little data to learn."""
    vocab: dict[str, int] = {}
    docs: list[list[int]] = []
    cats: list[str] = []
    grades: list[str] = []
    for text, category, grade in examples:
        if not text or not text.strip() or grade not in GRADE_RANK or not category:
            continue
        mended, _ = _correct(_normalise(text[:MAX_CHARS]))
        doc = sorted({vocab.setdefault(name, len(vocab)) for name, _s, _e in _features(mended)})
        docs.append(doc)
        cats.append(category)
        grades.append(grade)
    if len(docs) < MIN_EXAMPLES or len(set(cats)) < 2:
        return None
    doc_freq = np.zeros(len(vocab), dtype=np.int32)
    for doc in docs:
        doc_freq[doc] += 1
    return GradingModel(
        vocab=vocab,
        category=_train_nb(docs, cats, len(vocab)),
        grade=_train_nb(docs, grades, len(vocab)),
        size=len(docs),
        doc_freq=doc_freq,
        words=frozenset(name[2:] for name in vocab if name.startswith("w:")),
    )


# --- classification -------------------------------------------------------------------------------

LEXICON_SCALE = 1.2  # nats per unit of lexicon weight: one strong word (3) makes its category ~35x likelier
OTHER_BASELINE = 0.5  # "other" is the answer when nothing is recognised
MODEL_CLIP = 8.0  # a model's disbelief counts at most this many nats against a category
MODEL_GRADE_CONFIDENT = 0.9  # the model's grade counts only above this probability ...
MODEL_GRADE_WEIGHT = 0.6  # ... and on texts it knows this well
CAMERA_BONUS = 1.5


def _merged(contributions: list[tuple[float, int, int]], shown: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The model's strongest n-grams as readable spans: overlapping ones joined ("单元电" + "元电梯" ->
    "单元电梯"), strongest first, leaving out what the lexicon already shows."""
    groups: list[list[int]] = []  # [start, end, rank of the strongest member]
    for rank, (_gain, start, end) in enumerate(contributions):
        for g in groups:
            if start <= g[1] and g[0] <= end:
                g[0], g[1] = min(g[0], start), max(g[1], end)
                break
        else:
            groups.append([start, end, rank])
    groups.sort(key=lambda g: g[2])
    return [(s, e) for s, e, _r in groups if not any(a < e and s < b for a, b in shown)]


def classify(
    text: str,
    *,
    category_hint: str | None = None,
    source: str | None = None,
    model: GradingModel | None = None,
    default_grades: dict[str, str] | None = None,
) -> Grading:
    # the store's active categories when given (an administrator may add or retire some), else the catalog's
    defaults = {c.code: c.default_grade for c in CATEGORIES}
    if default_grades:
        defaults = {
            code: grade if grade in GRADE_RANK else defaults.get(code, "routine")
            for code, grade in default_grades.items()
        }
    hint = category_hint if category_hint and category_hint in defaults else None
    fallback = "other" if "other" in defaults else next(iter(defaults))

    original = (text or "")[:MAX_CHARS]
    norm = _normalise(original)
    if not norm.strip():
        category = hint or fallback
        return Grading(category, defaults[category], 0.0, (), "rules")

    mended, origin = _correct(norm, model.words if model is not None else frozenset())

    def cut(start: int, end: int) -> str:
        return original[origin[start] : origin[end - 1] + 1]

    matches = _lexicon_matches(mended)
    combos = _combos(mended)

    # category evidence: lexicon weights, plus the model's log-posterior scaled by how far to trust it
    lex = dict.fromkeys(defaults, 0.0)
    strongest = dict.fromkeys(defaults, 0.0)
    for term in {m.term.text: m.term for m in matches}.values():  # a word said twice is still one word
        if term.category in lex:
            lex[term.category] += term.weight
            strongest[term.category] = max(strongest[term.category], term.weight)
    for _grade, category, _spans in combos:
        if category in lex:
            lex[category] += 3
    # on a tie, the category with the strongest single word
    scores = {c: LEXICON_SCALE * (s + 0.01 * strongest[c]) for c, s in lex.items()}
    if not any(lex.values()):  # a recognised word of any category beats the fallback
        scores[fallback] += OTHER_BASELINE
    if source == "camera_car":
        for c in CAMERA_CATEGORIES:
            if c in scores:
                scores[c] += CAMERA_BONUS

    prediction = model.predict(mended) if model is not None else None
    if prediction is not None and prediction.weight > 0:
        for c in scores:
            p = prediction.category.get(c, 0.0)
            scores[c] += prediction.weight * max(math.log(p) if p > 0 else -MODEL_CLIP, -MODEL_CLIP)
    top = max(scores.values())
    exp = {c: math.exp(s - top) for c, s in scores.items()}
    total = sum(exp.values())
    posterior = {c: v / total for c, v in exp.items()}
    best = max(posterior, key=lambda c: (posterior[c], c != fallback))
    category = hint or best
    p_category = 1.0 if hint else posterior[best]

    # grade: the category's default, raised by the cues and by a confident model, never lowered
    grade = defaults[category]
    grade_from = "default"
    cue_spans: list[tuple[int, int]] = []
    for m in matches:
        if m.term.grade and not m.negated:
            if GRADE_RANK[m.term.grade] < GRADE_RANK[grade]:
                grade, grade_from = m.term.grade, "cue"
            if m.term.grade == "urgent":
                cue_spans.append((m.start, m.end))
    for combo_grade, _category, spans in combos:
        if GRADE_RANK[combo_grade] < GRADE_RANK[grade]:
            grade, grade_from = combo_grade, "cue"
        if combo_grade == "urgent":
            cue_spans.extend(spans)
    if grade == "priority":
        cue_spans += [(m.start, m.end) for m in matches if m.term.grade == "priority" and not m.negated]
    model_grade = None
    if prediction is not None and prediction.weight >= MODEL_GRADE_WEIGHT:
        g, p = max(prediction.grade.items(), key=lambda kv: kv[1])
        if p >= MODEL_GRADE_CONFIDENT and g in GRADE_RANK:
            model_grade = g
            if GRADE_RANK[g] < GRADE_RANK[grade]:
                grade, grade_from = g, "model"

    if grade_from == "cue":
        p_grade = 0.95 if grade == "urgent" else 0.85
    elif prediction is not None and prediction.weight > 0:
        p_model = prediction.grade.get(grade, 0.0)
        p_grade = prediction.weight * p_model + (1 - prediction.weight) * 0.6
        if grade_from == "model":
            p_grade = max(p_grade, p_model * prediction.weight)
    else:
        p_grade = 0.6
    confidence = max(0.0, min(1.0, min(p_category, p_grade)))

    # cues: what set the grade, the lexicon words behind the category (its hints only when nothing stronger), then
    # the model's strongest words; a span inside another one says nothing more
    spans = list(cue_spans)
    own = [m for m in matches if m.term.category == category and m.term.weight > 0]
    spans += [(m.start, m.end) for m in ([m for m in own if m.term.weight >= 2] or own)]
    used_model = prediction is not None and prediction.weight > 0
    if used_model and (category == max(prediction.category, key=prediction.category.get) or model_grade):
        negated = [(m.start, m.end) for m in matches if m.negated]  # "没有人被困" shows no "有人被困"
        spans += _merged(prediction.contributions[:6], spans + negated)[:3]
    spans = [(s, e) for s, e in spans if not any(a <= s and e <= b and (a, b) != (s, e) for a, b in spans)]
    cues: list[str] = []
    for start, end in spans:
        cue = cut(start, end).strip()
        if cue and cue not in cues:
            cues.append(cue)
    cues = cues[:6]
    return Grading(category, grade, round(confidence, 3), tuple(cues), "model" if used_model else "rules")
