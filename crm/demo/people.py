"""Names, places and phrases of the demo shop's customers (all invented; emails on example domains)."""

from __future__ import annotations

from dataclasses import dataclass

# (character, pinyin) pairs, so Chinese customers get believable email addresses.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("胡", "hu"),
    ("朱", "zhu"),
    ("高", "gao"),
    ("林", "lin"),
    ("何", "he"),
    ("郭", "guo"),
    ("马", "ma"),
    ("罗", "luo"),
    ("梁", "liang"),
    ("宋", "song"),
    ("郑", "zheng"),
    ("谢", "xie"),
    ("韩", "han"),
    ("唐", "tang"),
    ("冯", "feng"),
    ("许", "xu"),
)
GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀英", "xiuying"),
    ("桂英", "guiying"),
    ("志强", "zhiqiang"),
    ("晓东", "xiaodong"),
    ("丹丹", "dandan"),
    ("子涵", "zihan"),
    ("雨桐", "yutong"),
    ("浩然", "haoran"),
    ("思远", "siyuan"),
    ("欣怡", "xinyi"),
    ("梓萱", "zixuan"),
    ("俊杰", "junjie"),
    ("佳怡", "jiayi"),
)
FIRST_NAMES: tuple[str, ...] = (
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "James",
    "Sophia",
    "Lucas",
    "Mia",
    "Ethan",
    "Chloe",
    "Daniel",
    "Grace",
    "Ryan",
    "Hannah",
    "Jack",
    "Zoe",
    "Leo",
    "Ella",
    "Owen",
    "Nora",
    "Adam",
    "Lily",
    "Samuel",
    "Ruby",
    "David",
    "Claire",
    "Kevin",
    "Anna",
    "Michael",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Brown",
    "Wilson",
    "Taylor",
    "Martin",
    "Lee",
    "Wong",
    "Tan",
    "Clarke",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Green",
    "Baker",
    "Hill",
    "Moore",
    "Scott",
    "Evans",
    "Chan",
    "Kim",
    "Nguyen",
    "Müller",
    "Rossi",
    "Dubois",
    "Silva",
    "Novak",
    "Larsen",
    "Sato",
)


@dataclass(frozen=True)
class Region:
    code: str
    name_en: str
    name_zh: str
    weight: float
    cities: tuple[str, ...]
    warehouse_en: str
    warehouse_zh: str
    standard_days: tuple[int, int]
    express_days: tuple[int, int]
    standard_fee: int
    express_fee: int
    free_over: int
    same_day: bool


REGIONS: tuple[Region, ...] = (
    Region(
        "east",
        "East China",
        "华东",
        30,
        ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "福州", "厦门"),
        "Hangzhou",
        "杭州",
        (1, 3),
        (1, 1),
        8,
        18,
        99,
        True,
    ),
    Region(
        "north",
        "North China",
        "华北",
        15,
        ("北京", "天津", "石家庄", "太原", "呼和浩特"),
        "Beijing",
        "北京",
        (1, 3),
        (1, 2),
        8,
        18,
        99,
        True,
    ),
    Region(
        "south",
        "South China",
        "华南",
        20,
        ("广州", "深圳", "东莞", "南宁", "海口"),
        "Guangzhou",
        "广州",
        (1, 3),
        (1, 2),
        8,
        18,
        99,
        True,
    ),
    Region(
        "central",
        "Central China",
        "华中",
        12,
        ("武汉", "长沙", "郑州", "南昌"),
        "Hangzhou",
        "杭州",
        (2, 4),
        (1, 2),
        8,
        20,
        99,
        False,
    ),
    Region(
        "southwest",
        "Southwest China",
        "西南",
        10,
        ("成都", "重庆", "昆明", "贵阳"),
        "Guangzhou",
        "广州",
        (3, 5),
        (2, 3),
        10,
        22,
        129,
        False,
    ),
    Region(
        "northwest",
        "Northwest China",
        "西北",
        5,
        ("西安", "兰州", "银川", "西宁"),
        "Beijing",
        "北京",
        (4, 6),
        (2, 3),
        12,
        25,
        149,
        False,
    ),
    Region(
        "northeast",
        "Northeast China",
        "东北",
        6,
        ("沈阳", "大连", "长春", "哈尔滨"),
        "Beijing",
        "北京",
        (3, 5),
        (2, 3),
        10,
        22,
        129,
        False,
    ),
    Region(
        "remote",
        "Remote areas (Xinjiang, Tibet)",
        "偏远地区（新疆、西藏）",
        2,
        ("乌鲁木齐", "拉萨"),
        "Beijing",
        "北京",
        (6, 10),
        (4, 6),
        20,
        45,
        299,
        False,
    ),
)

CITY_EN: dict[str, str] = {
    "上海": "Shanghai",
    "杭州": "Hangzhou",
    "南京": "Nanjing",
    "苏州": "Suzhou",
    "宁波": "Ningbo",
    "合肥": "Hefei",
    "福州": "Fuzhou",
    "厦门": "Xiamen",
    "北京": "Beijing",
    "天津": "Tianjin",
    "石家庄": "Shijiazhuang",
    "太原": "Taiyuan",
    "呼和浩特": "Hohhot",
    "广州": "Guangzhou",
    "深圳": "Shenzhen",
    "东莞": "Dongguan",
    "南宁": "Nanning",
    "海口": "Haikou",
    "武汉": "Wuhan",
    "长沙": "Changsha",
    "郑州": "Zhengzhou",
    "南昌": "Nanchang",
    "成都": "Chengdu",
    "重庆": "Chongqing",
    "昆明": "Kunming",
    "贵阳": "Guiyang",
    "西安": "Xi'an",
    "兰州": "Lanzhou",
    "银川": "Yinchuan",
    "西宁": "Xining",
    "沈阳": "Shenyang",
    "大连": "Dalian",
    "长春": "Changchun",
    "哈尔滨": "Harbin",
    "乌鲁木齐": "Urumqi",
    "拉萨": "Lhasa",
}

ROADS: tuple[str, ...] = (
    "人民路",
    "中山路",
    "解放路",
    "建设路",
    "和平路",
    "南京路",
    "长江路",
    "学院路",
    "科技路",
    "滨江大道",
    "世纪大道",
    "花园街",
)

COMPANIES: tuple[str, ...] = (
    "星河网络科技有限公司",
    "蓝海贸易有限公司",
    "青松设计工作室",
    "远航物流有限公司",
    "晨光文化传媒有限公司",
    "百川咨询有限公司",
)

CARRIER_ZH: dict[str, str] = {"SF Express": "顺丰速运", "ZTO Express": "中通快递", "SF Same-Day": "顺丰同城"}

# Ways of talking about one topic, in each language: (customer says, intent, bot answers).
CONVERSATIONS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "track_order": {
        "en": (
            ("Hi, where is my order {order}?", "Your order {order} is on its way. Here is the tracking timeline."),
            ("has {order} shipped yet", "Yes, {order} has shipped. I've sent you the tracking link."),
        ),
        "zh": (
            ("你好，我的订单{order}到哪了？", "您的订单{order}正在配送中，这是物流详情。"),
            ("{order}发货了吗", "已经发货啦，物流单号已发给您。"),
        ),
    },
    "get_refund": {
        "en": (
            (
                "I want a refund for {order}, the size is wrong",
                "I've opened a return for {order}. You'll get a prepaid label.",
            ),
            ("can i return this and get my money back?", "Sure. Which order is it about?"),
        ),
        "zh": (
            ("订单{order}尺码不对，我要退货退款", "已为您提交{order}的退货申请，快递员会上门取件。"),
            ("这个能退吗，不想要了", "可以的，请问是哪个订单？"),
        ),
    },
    "delivery_period": {
        "en": (("how long does delivery to my city take?", "Standard delivery takes {days} days to your region."),),
        "zh": (("寄到我这里要几天？", "标准快递到您所在地区大约需要{days}天。"),),
    },
    "recommend_products": {
        "en": (
            ("any recommendations for a gift?", "Here are a few picks based on what you like."),
            ("what should I buy for running in the rain", "These waterproof running picks are popular."),
        ),
        "zh": (
            ("有什么推荐的吗", "根据您的喜好，为您挑选了这几款。"),
            ("送老爸什么礼物好", "这几款很受欢迎，适合送长辈。"),
        ),
    },
    "payment_issue": {
        "en": (
            (
                "my card was declined but the money is gone",
                "I'm sorry about that. Failed payments are returned within 3 days.",
            ),
        ),
        "zh": (("付款失败了但是钱扣了", "非常抱歉，支付失败的款项会在3个工作日内原路退回。"),),
    },
    "cancel_order": {
        "en": (("please cancel order {order}", "Order {order} is cancelled. The refund is on its way."),),
        "zh": (("帮我取消订单{order}", "订单{order}已取消，退款将原路返回。"),),
    },
    "product_info": {
        "en": (("is this jacket waterproof?", "Yes, it has a waterproof shell with taped seams."),),
        "zh": (("这个有货吗？", "有货的，现在下单今天就能发出。"),),
    },
    "contact_human_agent": {
        "en": (("I want to talk to a real person", "Connecting you with a colleague now."),),
        "zh": (("转人工", "正在为您转接人工客服，请稍候。"),),
    },
    "complaint": {
        "en": (
            (
                "The courier left my parcel outside in the rain. Not acceptable.",
                "I'm really sorry. I'm passing this to a colleague who will sort it out.",
            ),
        ),
        "zh": (("快递员直接把包裹扔门口，还下着雨，太过分了", "非常抱歉给您带来不好的体验，马上为您转接专员处理。"),),
    },
    "newsletter_subscription": {
        "en": (("unsubscribe me from the promo emails", "Done, you won't get promotional emails any more."),),
        "zh": (("不要再给我发促销短信了", "好的，已为您退订促销消息。"),),
    },
}
CONVERSATION_TOPICS: tuple[tuple[str, float], ...] = (
    ("track_order", 30),
    ("get_refund", 12),
    ("delivery_period", 10),
    ("recommend_products", 12),
    ("payment_issue", 6),
    ("cancel_order", 8),
    ("product_info", 10),
    ("contact_human_agent", 5),
    ("complaint", 4),
    ("newsletter_subscription", 3),
)

TICKET_SUBJECTS: dict[str, tuple[str, str]] = {
    "delivery": ("Where is my parcel for order {order}?", "订单{order}的包裹到哪了？"),
    "refund": ("Refund for {order} not received yet", "订单{order}的退款还没到账"),
    "product": ("The {kind} I received is damaged", "收到的{kind}有破损"),
    "payment": ("Charged twice for order {order}", "订单{order}被重复扣款"),
    "account": ("Can't log in to my account", "账号登录不上"),
    "complaint": ("Courier was rude and left the parcel outside", "快递员态度差，包裹直接放门口"),
    "order": ("Please change the delivery address of {order}", "订单{order}想修改收货地址"),
    "other": ("Do you offer gift wrapping?", "可以提供礼品包装吗？"),
}

REVIEWS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    5: (
        (
            "Love it! The {kind} is exactly as described.",
            "Great quality for the price, would buy again.",
            "Fast delivery and the {kind} is perfect.",
        ),
        ("非常满意，和描述的一模一样！", "性价比很高，还会回购。", "物流很快，{kind}质量很好。"),
    ),
    4: (
        ("Good {kind}, delivery was quick.", "Nice, but the colour is a bit darker than in the photos."),
        ("挺好的，发货很快。", "不错，就是颜色比图片深一点。"),
    ),
    3: (
        ("It's okay. The {kind} does the job.", "Average quality, nothing special."),
        ("一般般吧，能用。", "质量中规中矩。"),
    ),
    2: (
        ("Not great, the size runs small.", "The {kind} feels cheaper than expected."),
        ("尺码偏小，不太满意。", "做工比预期差。"),
    ),
    1: (
        ("Disappointed, it broke after a week.", "Arrived damaged and support was slow."),
        ("很失望，用了一周就坏了。", "收到就是坏的，客服处理太慢。"),
    ),
}

TRACKING_STEPS: tuple[tuple[str, str, str], ...] = (
    ("label_created", "Shipping label created, waiting for pickup", "已打单，等待揽收"),
    ("in_transit", "Picked up by {carrier} in {origin}", "{carrier_zh}已揽收（{origin_zh}）"),
    ("in_transit", "Departed the {origin} sorting centre", "已离开{origin_zh}分拨中心"),
    ("in_transit", "Arrived at the {city} sorting centre", "已到达{city_zh}分拨中心"),
    ("out_for_delivery", "Out for delivery", "派送中，请保持电话畅通"),
    ("delivered", "Delivered and signed for", "已签收，感谢使用"),
)
