"""Reading a shopper's request: language, and a budget said in words.

"waterproof hiking jacket under 500" and "500元以下的防水冲锋衣" both mean price <= 500; the
budget becomes a filter and the rest of the words go to retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kelian.language import CHINESE_CHARACTER, text_language

from retrieval.text import normalise


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ZH_NUMBER = r"[零〇一二两三四五六七八九十百千万]+"
NUMBER = rf"(?:\d+(?:\.\d+)?k?|{ZH_NUMBER})"
CURRENCY_BEFORE = r"(?:[¥￥$]|rmb|cny)?\s*"
CURRENCY_AFTER = r"\s*(?:元|块钱|块|rmb|cny|yuan|kuai|bucks|dollars)?"


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    language: str
    min_price: float | None = None
    max_price: float | None = None


def zh_number(text: str) -> float:
    """五百 -> 500, 三千五 -> 3500, 两百五十 -> 250, 一万 -> 10000."""
    total, section, digit = 0, 0, 0
    last_unit = 1
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _UNITS:
            unit = _UNITS[char]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
            last_unit = unit
    if digit and last_unit >= 100:
        digit *= last_unit // 10
    return float(total + section + digit)


def _number(text: str) -> float:
    text = text.strip().lower()
    if re.fullmatch(ZH_NUMBER, text):
        return zh_number(text)
    if text.endswith("k"):
        return float(text[:-1]) * 1000
    return float(text)


_N = rf"{CURRENCY_BEFORE}(?P<n>{NUMBER}){CURRENCY_AFTER}"
_A = rf"{CURRENCY_BEFORE}(?P<a>{NUMBER}){CURRENCY_AFTER}"
_B = rf"{CURRENCY_BEFORE}(?P<b>{NUMBER}){CURRENCY_AFTER}"

# (pattern, which bound(s) it sets); tried in order, each match removed from the text.
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"(?:between|from)\s+{_A}\s*(?:and|to|-|~)\s*{_B}", re.I), "range"),
    (re.compile(rf"(?:价格|价位|预算)?(?:在)?{_A}\s*(?:到|至|-|~|—)\s*{_B}(?:之间|左右)?", re.I), "range"),
    (
        re.compile(
            rf"(?:under|below|less than|cheaper than|no more than|not more than|at most|max(?:imum)?|up "
            rf"to|within|budget(?: of| is)?|<=?)\s*{_N}",
            re.I,
        ),
        "max",
    ),
    (re.compile(rf"(?:不超过|不高于|不到|低于|少于|小于|最多|预算|以内){_N}", re.I), "max"),
    (re.compile(rf"{_N}\s*(?:以下|以内|之内|内|之下|or less|or below|max)", re.I), "max"),
    (re.compile(rf"(?:over|above|more than|at least|min(?:imum)?|>=?)\s*{_N}", re.I), "min"),
    (re.compile(rf"(?:超过|高于|不低于|至少|大于){_N}", re.I), "min"),
    (re.compile(rf"{_N}\s*(?:以上|起|or more|plus|\+)", re.I), "min"),
]


def parse_query(text: str, language: str | None = None) -> ParsedQuery:
    cleaned = normalise(text)
    min_price: float | None = None
    max_price: float | None = None
    for pattern, bound in PATTERNS:
        match = pattern.search(cleaned)
        if not match:
            continue
        if bound == "range":
            low, high = sorted((_number(match["a"]), _number(match["b"])))
            min_price, max_price = low, high
        elif bound == "max" and max_price is None:
            max_price = _number(match["n"])
        elif bound == "min" and min_price is None:
            min_price = _number(match["n"])
        cleaned = (cleaned[: match.start()] + " " + cleaned[match.end() :]).strip()
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" ,，。.!！?？的")
    return ParsedQuery(cleaned or normalise(text), language or text_language(text), min_price, max_price)


# --- what the shopper asks for, and how a follow-up changes it ---------------------------------

MAX_REQUEST_CHARS = 500  # a shopping request longer than this is cut before any pattern runs on it
MAX_SHOWN = 40  # products remembered as shown for one request ("something else" skips them)


@dataclass(frozen=True)
class Vocabulary:
    """A thing a shopper names, with the words (regular expressions without nested repetition) that
    name it. English words match whole; Chinese ones anywhere."""

    key: str
    en: str
    zh: str
    words: tuple[str, ...]
    categories: tuple[str, ...] = ()  # catalogue category names (either language, any level)
    child: bool = False
    names: tuple[str, ...] = ()  # words in a product's name that make it this type within the categories


def _v(key: str, en: str, zh: str, categories: tuple[str, ...], *words: str, names: tuple[str, ...] = ()) -> Vocabulary:
    return Vocabulary(key, en, zh, words, categories, names=names)


# Product types by the noun that says what the thing is: "shoes for running" and "适合跑步的鞋" are
# running shoes; "running belt" is not. The most specific (longest) match wins ("running shoes"
# over "shoes"); a type whose categories the catalogue lacks filters nothing.
PRODUCT_TYPES: tuple[Vocabulary, ...] = (
    _v(
        "running_shoes",
        "running shoes",
        "跑鞋",
        ("Running Shoes",),
        r"running shoes?",
        r"running sneakers?",
        r"running trainers?",
        r"jogging shoes?",
        r"trail runners?",
        r"shoes? for (?:running|jogging|runs?|a marathon|marathons)",
        r"marathon shoes?",
        r"racing shoes?",
        r"runners",
        r"跑鞋",
        r"跑步鞋",
        r"慢跑鞋",
        r"跑步.{0,4}鞋",
        r"马拉松.{0,3}鞋",
        r"越野跑.{0,2}鞋",
    ),
    _v(
        "hiking_shoes",
        "hiking boots and shoes",
        "徒步鞋靴",
        ("Hiking Boots & Shoes", "Hiking Footwear"),
        r"hiking (?:boots?|shoes?)",
        r"walking boots?",
        r"trekking (?:boots?|shoes?)",
        r"snow boots?",
        r"(?:boots?|shoes?) for (?:hiking|trekking|the mountains?|hikes?)",
        r"徒步鞋",
        r"徒步靴",
        r"登山鞋",
        r"登山靴",
        r"雪地靴",
        r"徒步.{0,4}鞋",
        r"爬山.{0,4}鞋",
    ),
    _v(
        "sneakers",
        "sneakers",
        "休闲鞋",
        ("Sneakers",),
        r"sneakers?",
        r"canvas shoes?",
        r"casual shoes?",
        r"休闲鞋",
        r"帆布鞋",
        r"板鞋",
        r"小白鞋",
        r"运动休闲鞋",
    ),
    _v(
        "sandals",
        "sandals and slippers",
        "凉鞋拖鞋",
        ("Sandals & Slippers",),
        r"sandals?",
        r"slippers?",
        r"flip[- ]?flops?",
        r"凉鞋",
        r"拖鞋",
    ),
    _v(
        "leather_shoes",
        "leather shoes",
        "皮鞋",
        ("Leather Shoes",),
        r"leather shoes?",
        r"dress shoes?",
        r"oxfords?",
        r"loafers?",
        r"皮鞋",
        r"乐福鞋",
        r"牛津鞋",
    ),
    _v(
        "shoes",
        "shoes",
        "鞋",
        ("Shoes", "Running Shoes", "Hiking Footwear"),
        r"shoes?(?! rack| cabinet| box| horn)",
        r"footwear",
        r"boots?",
        r"trainers?",
        r"鞋(?!架|柜|盒)",
        r"靴",
    ),
    _v(
        "yoga_wear",
        "yoga wear",
        "瑜伽服",
        ("Sportswear", "Yoga & Fitness"),
        r"yoga (?:wear|clothes|clothing|outfits?|pants|leggings|tops?|set)",
        r"leggings",
        r"瑜伽服",
        r"瑜伽裤",
        r"瑜伽.{0,2}(?:衣|服|装|裤)",
        names=(r"yoga (?:leggings|pants|wear|tops?|bra)", r"leggings", r"瑜伽(?:裤|服|衣)"),
    ),
    _v(
        "sportswear",
        "sportswear",
        "运动服",
        ("Sportswear",),
        r"(?:sports?|gym|workout|running|athletic|fitness) (?:wear|clothes|clothing|outfits?|tee|t-shirts?|tops?)",
        r"activewear",
        r"sportswear",
        r"track (?:jacket|suit)s?",
        r"运动服",
        r"运动装",
        r"健身服",
        r"健身.{0,2}(?:衣|服|裤)",
        r"跑步(?:t恤|衣|服)",
        r"运动(?:外套|裤|t恤)",
        r"紧身裤",
    ),
    _v(
        "yoga_mats",
        "yoga mats",
        "瑜伽垫",
        ("Fitness", "Yoga & Fitness"),
        r"yoga mats?",
        r"exercise mats?",
        r"workout mats?",
        r"fitness mats?",
        r"mats? for yoga",
        r"瑜伽垫",
        r"健身垫",
        names=(r"yoga mats?", r"exercise mats?", r"瑜伽垫", r"健身垫"),
    ),
    _v(
        "fitness",
        "fitness equipment",
        "健身器材",
        ("Fitness", "Yoga & Fitness"),
        r"dumbbells?",
        r"resistance bands?",
        r"treadmills?",
        r"fitness equipment",
        r"home gym",
        r"哑铃",
        r"弹力带",
        r"跑步机",
        r"健身器材",
    ),
    _v(
        "running_gear",
        "running gear",
        "跑步装备",
        ("Running Gear", "Running Accessories"),
        r"running (?:belt|gear|accessories|cap|hat|vest)s?",
        r"waist (?:pack|bag|belt)s?",
        r"hydration (?:vest|pack)s?",
        r"跑步腰包",
        r"腰包",
        r"水袋背心",
        r"跑步帽",
        r"跑步装备",
        r"跑步配件",
    ),
    _v(
        "jackets",
        "jackets and coats",
        "外套",
        ("Jackets & Coats",),
        r"jackets?",
        r"coats?",
        r"raincoats?",
        r"parkas?",
        r"windbreakers?",
        r"puffers?",
        r"夹克",
        r"外套",
        r"冲锋衣",
        r"羽绒服",
        r"风衣",
        r"大衣",
        r"雨衣",
    ),
    _v(
        "tops",
        "tops and T-shirts",
        "上衣T恤",
        ("Tops & T-shirts",),
        r"t-?shirts?",
        r"tees",
        r"shirts?",
        r"hoodies?",
        r"t恤",
        r"衬衫",
        r"卫衣",
        r"上衣",
    ),
    _v(
        "trousers",
        "trousers and jeans",
        "裤装",
        ("Trousers & Jeans",),
        r"trousers",
        r"jeans",
        r"chinos",
        r"pants",
        r"牛仔裤",
        r"休闲裤",
        r"徒步裤",
        r"裤子",
    ),
    _v(
        "dresses",
        "dresses and skirts",
        "连衣裙半身裙",
        ("Dresses & Skirts",),
        r"dress(?:es)?",
        r"skirts?",
        r"连衣裙",
        r"半身裙",
        r"裙子",
    ),
    _v(
        "headphones",
        "headphones",
        "耳机",
        ("Headphones & Speakers", "Audio"),
        r"head ?phones?",
        r"earbuds?",
        r"ear ?phones?",
        r"耳机",
        names=(r"head ?phones?", r"earbuds?", r"ear ?phones?", r"耳机"),
    ),
    _v(
        "speakers",
        "speakers",
        "音箱",
        ("Headphones & Speakers", "Audio"),
        r"(?:bluetooth )?speakers?",
        r"音箱",
        names=(r"speakers?", r"音箱"),
    ),
    _v(
        "phone_accessories",
        "phone accessories",
        "手机配件",
        ("Phones & Accessories", "Phone Accessories & Gadgets"),
        r"phone cases?",
        r"power ?banks?",
        r"(?:phone )?chargers?",
        r"charging cables?",
        r"手机壳",
        r"充电宝",
        r"移动电源",
        r"充电器",
        r"数据线",
    ),
    _v(
        "wearables",
        "smart wearables",
        "智能穿戴",
        ("Smart Wearables", "Phone Accessories & Gadgets"),
        r"smart ?watch(?:es)?",
        r"fitness (?:band|tracker)s?",
        r"智能手表",
        r"运动手环",
        r"手环",
    ),
    _v(
        "tents",
        "camping gear",
        "露营装备",
        ("Camping & Hiking", "Camping Gear"),
        r"tents?",
        r"sleeping bags?",
        r"camping (?:gear|stuff|equipment)",
        r"trekking poles?",
        r"帐篷",
        r"睡袋",
        r"露营装备",
        r"登山杖",
    ),
    _v(
        "backpacks",
        "backpacks",
        "背包",
        ("Backpacks", "Camping & Hiking"),
        r"backpacks?",
        r"daypacks?",
        r"rucksacks?",
        r"双肩包",
        r"背包",
        r"登山包",
    ),
    _v(
        "tea",
        "tea",
        "茶叶",
        ("Tea", "Tea & Coffee"),
        r"(?:green |oolong |black )?tea",
        r"茶叶",
        r"绿茶",
        r"乌龙茶",
        r"普洱",
        r"红茶",
    ),
    _v("coffee", "coffee", "咖啡", ("Coffee", "Tea & Coffee"), r"coffee(?: beans)?", r"咖啡(?!机)"),
    _v(
        "skincare",
        "skincare",
        "护肤",
        ("Skincare", "Skin & Personal Care"),
        r"skin ?care",
        r"face cream",
        r"moisturi[sz]er",
        r"serum",
        r"sunscreen",
        r"cleanser",
        r"护肤",
        r"面霜",
        r"精华",
        r"防晒",
        r"洁面",
        r"面膜",
    ),
    _v("toys", "toys", "玩具", ("Toys",), r"toys?", r"lego", r"building blocks", r"玩具", r"积木"),
    _v("books", "books", "图书", ("Books",), r"books?", r"novels?", r"图书", r"书籍", r"小说", r"绘本"),
    _v("snacks", "snacks", "零食", ("Snacks",), r"snacks?", r"零食"),
)

RECIPIENTS: tuple[Vocabulary, ...] = (
    _v("wife", "your wife", "老婆", (), r"wife", r"wifey", r"老婆", r"媳妇", r"妻子", r"太太"),
    _v("husband", "your husband", "老公", (), r"husband", r"hubby", r"老公", r"丈夫"),
    _v("girlfriend", "your girlfriend", "女朋友", (), r"girlfriend", r"gf", r"女朋友", r"女友"),
    _v("boyfriend", "your boyfriend", "男朋友", (), r"boyfriend", r"bf", r"男朋友", r"男友"),
    _v("mother", "your mother", "妈妈", (), r"mum", r"mom", r"mommy", r"mother", r"妈妈", r"老妈", r"母亲", r"我妈"),
    _v("father", "your father", "爸爸", (), r"dad", r"daddy", r"father", r"爸爸", r"老爸", r"父亲", r"我爸"),
    Vocabulary(
        "child",
        "your child",
        "孩子",
        (
            r"kids?",
            r"child",
            r"children",
            r"son",
            r"daughter",
            r"toddler",
            r"孩子",
            r"小孩",
            r"儿子",
            r"女儿",
            r"宝宝",
            r"小朋友",
            r"儿童",
        ),
        (),
        child=True,
    ),
    _v("friend", "a friend", "朋友", (), r"friend", r"colleague", r"coworker", r"朋友", r"闺蜜", r"同事"),
)

STYLES: tuple[Vocabulary, ...] = tuple(
    _v(key, en, zh, (), *words)
    for key, en, zh, words in (
        ("black", "black", "黑色", (r"black", r"黑色")),
        ("white", "white", "白色", (r"white", r"白色")),
        ("red", "red", "红色", (r"red", r"红色")),
        ("blue", "blue", "蓝色", (r"blue", r"navy", r"蓝色")),
        ("pink", "pink", "粉色", (r"pink", r"粉色", r"粉红")),
        ("grey", "grey", "灰色", (r"gr[ae]y", r"灰色")),
        ("green", "green", "绿色", (r"green", r"绿色")),
        ("purple", "purple", "紫色", (r"purple", r"紫色")),
        ("casual", "casual", "休闲", (r"casual", r"休闲风")),
        ("formal", "formal", "正式", (r"formal", r"正式")),
        ("minimalist", "minimalist", "简约", (r"minimalist", r"simple style", r"简约")),
        ("vintage", "vintage", "复古", (r"vintage", r"retro", r"复古")),
        ("cute", "cute", "可爱", (r"cute", r"可爱")),
        ("elegant", "elegant", "优雅", (r"elegant", r"classy", r"优雅", r"高级感")),
    )
)
COLOURS = frozenset({"black", "white", "red", "blue", "pink", "grey", "green", "purple"})

_CHEAPER = (
    r"cheaper",
    r"less expensive",
    r"lower price",
    r"more affordable",
    r"too (?:expensive|pricey|much)",
    r"cheap(?:er)? ones?",
    r"budget ones?",
    r"便宜",
    r"实惠",
    r"太贵",
    r"低价",
    r"价格低",
    r"划算",
    r"性价比",
)
_PRICIER = (
    r"more expensive",
    r"pricier",
    r"higher[- ]end",
    r"better quality",
    r"premium",
    r"fancier",
    r"贵一点",
    r"贵点",
    r"贵一些",
    r"高端",
    r"好一点",
    r"好一些",
    r"档次高",
)
_COLOUR_CHANGE = (
    r"(?:another|other|different|a different) colou?rs?",
    r"in other colou?rs?",
    r"换个颜色",
    r"换一个颜色",
    r"别的颜色",
    r"其他颜色",
    r"其它颜色",
    r"换种颜色",
    r"别的色",
)
_OTHER = (
    r"something else",
    r"anything else",
    r"other (?:options|ones|choices|products|styles?|models?|brands?)",
    r"another (?:one|style|option|model|brand)",
    r"different (?:ones?|styles?|options?|models?)",
    r"show me more",
    r"more options",
    r"any more",
    r"what else",
    r"others",
    r"not (?:these|those|this one)",
    r"换一个",
    r"换一批",
    r"换个",
    r"换一换",
    r"换一款",
    r"换几",
    r"还有别的",
    r"别的",
    r"其他",
    r"其它",
    r"还有吗",
    r"还有没有",
    r"再来几",
    r"再推荐",
    r"再看看",
)
_FILLERS_EN = frozenset(
    "a an the and or of for to in on with my me i we you your it is are be that this these those some any something "
    "anything need want wanna looking look buy get got have has do does can could would like please pls plz thanks "
    "recommend suggest show find good best nice which what how much one ones give gift present options option "
    "under below within less than more over above around about budget yuan rmb kuai bucks price there here "
    "hi hey ok okay maybe just else other another cheaper cheap expensive pricier now again too also what's whats "
    "popular trending hot right today week month top picks pick ideas idea stuff things items products product "
    "worth sale bestsellers sellers seller selling help someone somebody suggestions recommendations".split()
)
_FILLERS_ZH = re.compile(
    r"推荐|有没有|有什么|有啥|给我|帮我|看看|看下|一下|几款|几个|一些|一款|一个|点儿|东西|商品|产品|什么|哪些|哪个|哪款|"
    r"适合|可以|能不能|请问|预算|价格|左右|以内|以下|之内|还有|的|了|吗|呢|吧|啊|呀|我|你|想|要|买|找|能|请|再|些|款|个|点|"
    r"送|给|好|元|块|钱|有|没|来|要|更|太|别|换"
)
_LETTERS = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    """One alternation: English words need a non-letter on both sides, Chinese ones match anywhere."""
    latin = [w for w in words if re.match(r"[a-z(]", w)]
    other = [w for w in words if w not in latin]
    parts = []
    if latin:
        parts.append(rf"(?<![a-z])(?:{'|'.join(latin)})(?![a-z])")
    if other:
        parts.append(f"(?:{'|'.join(other)})")
    return re.compile("|".join(parts))


_TYPE_PATTERNS = [(v, _pattern(v.words)) for v in PRODUCT_TYPES]
NAME_PATTERNS = {v.key: _pattern(v.names) for v in PRODUCT_TYPES if v.names}
_RECIPIENT_PATTERNS = [(v, _pattern(v.words)) for v in RECIPIENTS]
_STYLE_PATTERNS = [(v, _pattern(v.words)) for v in STYLES]
_CHEAPER_PATTERN = _pattern(_CHEAPER)
_PRICIER_PATTERN = _pattern(_PRICIER)
_COLOUR_CHANGE_PATTERN = _pattern(_COLOUR_CHANGE)
_OTHER_PATTERN = _pattern(_OTHER)
VOCABULARY = {v.key: v for v in (*PRODUCT_TYPES, *RECIPIENTS, *STYLES)}


def _request_text(text: str) -> str:
    return normalise(text[: MAX_REQUEST_CHARS * 2])[:MAX_REQUEST_CHARS].lower()


def _best(text: str, patterns: Sequence[tuple[Vocabulary, re.Pattern[str]]]) -> tuple[Vocabulary | None, str]:
    """The vocabulary entry with the longest match (the first listed on a tie), and the text without it."""
    best: tuple[int, int, Vocabulary, re.Match[str]] | None = None
    for order, (entry, pattern) in enumerate(patterns):
        for match in pattern.finditer(text):
            length = match.end() - match.start()
            if best is None or length > best[0]:
                best = (length, order, entry, match)
    if best is None:
        return None, text
    match = best[3]
    return best[2], text[: match.start()] + " " + text[match.end() :]


def product_type(text: str) -> Vocabulary | None:
    """The product type a text names ("适合跑步的鞋" -> running shoes), or None."""
    return _best(_request_text(text), _TYPE_PATTERNS)[0]


@dataclass(frozen=True)
class Said:
    """What one message says about the request: only what it names is set."""

    product_type: str | None = None
    recipient: str | None = None
    style: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    cheaper: bool = False
    pricier: bool = False
    other: bool = False
    colour_change: bool = False
    text: str = ""  # the message without its budget (for ranking)
    descriptive: bool = False  # words beyond the ones above: a description of what is wanted
    new_topic: bool = False  # names a product outside the vocabulary (the NLU saw one): a new request


def read_message(text: str, language: str | None = None) -> Said:
    """Reads one shopper message: product type, recipient, style, budget and refinement words."""
    lowered = _request_text(text)
    parsed = parse_query(lowered, language)
    rest = parsed.text.lower() if (parsed.min_price, parsed.max_price) != (None, None) else lowered
    kind, rest = _best(rest, _TYPE_PATTERNS)
    recipient, rest = _best(rest, _RECIPIENT_PATTERNS)
    style, rest = _best(rest, _STYLE_PATTERNS)
    flags = {}
    for name, pattern in (
        ("colour_change", _COLOUR_CHANGE_PATTERN),
        ("cheaper", _CHEAPER_PATTERN),
        ("pricier", _PRICIER_PATTERN),
        ("other", _OTHER_PATTERN),
    ):
        flags[name] = pattern.search(rest) is not None
        rest = pattern.sub(" ", rest)
    words = [w for w in _LETTERS.findall(rest) if w not in _FILLERS_EN and len(w) > 1]
    chinese = _FILLERS_ZH.sub("", "".join(CHINESE_CHARACTER.findall(rest)))
    return Said(
        kind.key if kind else None,
        recipient.key if recipient else None,
        style.key if style else None,
        parsed.min_price,
        parsed.max_price,
        flags["cheaper"],
        flags["pricier"],
        flags["other"] or flags["colour_change"],
        flags["colour_change"],
        parsed.text,
        bool(words) or len(chinese) >= 2,
    )


@dataclass(frozen=True)
class Request:
    """What the shopper is looking for in this conversation, carried from message to message."""

    product_type: str | None = None
    query: str = ""
    min_price: float | None = None
    max_price: float | None = None
    recipient: str | None = None
    style: str | None = None
    shown: tuple[str, ...] = ()  # SKUs shown for this request, oldest first

    @property
    def empty(self) -> bool:
        return not (
            self.product_type
            or self.query
            or self.min_price is not None
            or self.max_price is not None
            or self.recipient
            or self.style
        )

    @property
    def child(self) -> bool | None:
        """True for a child, False for a named adult, None when nobody was named."""
        entry = VOCABULARY.get(self.recipient or "")
        return None if entry is None else entry.child

    def ranking_text(self) -> str:
        """The words retrieval ranks by: the description and the style."""
        style = VOCABULARY.get(self.style or "")
        words = [self.query] + ([f"{style.en} {style.zh}"] if style else [])
        return " ".join(w for w in words if w).strip()


def _middle(prices: Sequence[float]) -> float:
    ordered = sorted(prices)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def refine(previous: Request, said: Said, last_prices: Sequence[float] = ()) -> Request:
    """The request after one more message: what the message names replaces what was there, the rest
    stays. A different product type (or a product the vocabulary does not know) starts a new list
    (style and shown products go; budget and recipient stay). "Cheaper" without a number means below the
    middle price of the last list shown, "pricier" above it; "something else / 换一个" keeps everything and
    skips what was shown."""
    new_type = (said.product_type is not None and said.product_type != previous.product_type) or (
        said.new_topic and said.product_type is None
    )
    kind = said.product_type if said.product_type is not None or said.new_topic else previous.product_type
    if new_type or said.product_type is not None:
        query = said.text
    elif said.descriptive:
        query = f"{previous.query} {said.text}".strip() if previous.query else said.text
    else:
        query = previous.query
    style = said.style or (None if new_type or (said.colour_change and previous.style in COLOURS) else previous.style)
    low, high = previous.min_price, previous.max_price
    if said.min_price is not None or said.max_price is not None:
        low = said.min_price if said.min_price is not None else low
        high = said.max_price if said.max_price is not None else high
        if said.min_price is None and low is not None and high is not None and low >= high:
            low = None
        if said.max_price is None and low is not None and high is not None and high <= low:
            high = None
    elif said.cheaper and last_prices and not new_type:
        ceiling = round(_middle(last_prices) - 0.01, 2)
        high = ceiling if high is None else min(high, ceiling)
        low = None if low is not None and low >= high else low
    elif said.pricier and last_prices and not new_type:
        floor = round(_middle(last_prices) + 0.01, 2)
        low = floor if low is None else max(low, floor)
        high = None if high is not None and high <= low else high
    shown = () if new_type else previous.shown
    return Request(kind, query[:MAX_REQUEST_CHARS], low, high, said.recipient or previous.recipient, style, shown)
