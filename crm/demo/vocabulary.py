"""The demo shop's bilingual catalogue vocabulary.

Product names are built from parts, brand + feature + kind ("TrailPeak Waterproof Hiking Boots" /
"踏峰防水徒步靴"), and descriptions spell out the features a customer types when searching
("waterproof", "for kids", "适合跑步"). Each kind lists only the features that make sense for it, and
a leaf category may restrict the brands that sell in it, so the combinations read like a real shop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    key: str
    en: str
    zh: str
    says_en: str
    says_zh: str


@dataclass(frozen=True)
class Brand:
    en: str
    zh: str
    price_factor: float


@dataclass(frozen=True)
class Kind:
    en: str
    zh: str
    price: tuple[int, int]
    features: tuple[str, ...]
    consumable: bool = False


@dataclass(frozen=True)
class Leaf:
    slug: str
    en: str
    zh: str
    use_en: str
    use_zh: str
    kinds: tuple[Kind, ...]
    brands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Top:
    slug: str
    code: str
    en: str
    zh: str
    brands: tuple[Brand, ...]
    features: tuple[Feature, ...]
    leaves: tuple[Leaf, ...]

    def feature(self, key: str) -> Feature:
        return next(f for f in self.features if f.key == key)

    def leaf_brands(self, leaf: Leaf) -> tuple[Brand, ...]:
        if not leaf.brands:
            return self.brands
        return tuple(b for b in self.brands if b.en in leaf.brands)


def _f(key: str, en: str, zh: str, says_en: str, says_zh: str) -> Feature:
    return Feature(key, en, zh, says_en, says_zh)


def _k(en: str, zh: str, lo: int, hi: int, *features: str, consumable: bool = False) -> Kind:
    return Kind(en, zh, (lo, hi), features, consumable)


ELECTRONICS = Top(
    "electronics",
    "ELE",
    "Electronics",
    "数码电子",
    brands=(
        Brand("Voltix", "沃迪克", 1.0),
        Brand("NovaSound", "诺声", 1.1),
        Brand("Lumio", "流明", 0.8),
        Brand("Kestrel", "隼科", 1.4),
        Brand("Pinecore", "松核", 0.75),
    ),
    features=(
        _f(
            "wireless",
            "Wireless",
            "无线",
            "Connects over Bluetooth 5.3, no cables to tangle.",
            "蓝牙5.3无线连接，告别线材缠绕。",
        ),
        _f(
            "noise_cancelling",
            "Noise-Cancelling",
            "降噪",
            "Active noise cancelling shuts out the commute.",
            "主动降噪，通勤路上也能享受安静。",
        ),
        _f(
            "waterproof",
            "Waterproof",
            "防水",
            "IP68 waterproof: rain, sweat and the pool are no problem.",
            "IP68级防水，雨天、出汗、游泳都不怕。",
        ),
        _f(
            "long_battery",
            "Long-Battery",
            "长续航",
            "The battery lasts for days on a single charge.",
            "一次充电可用好几天，超长续航。",
        ),
        _f(
            "lightweight",
            "Lightweight",
            "轻薄",
            "Slim and light enough to carry all day.",
            "轻薄机身，随身携带毫无负担。",
        ),
        _f(
            "fast_charging",
            "Fast-Charging",
            "快充",
            "Fast charging: 50% in about 30 minutes.",
            "支持快充，约30分钟充至50%。",
        ),
        _f(
            "shockproof",
            "Shockproof",
            "防摔",
            "Reinforced corners survive drops from 2 metres.",
            "四角加固，2米跌落也不怕。",
        ),
        _f("kids", "Kids'", "儿童", "Volume-limited and sized for kids' hands.", "限音量设计，尺寸适合儿童使用。"),
        _f(
            "sport",
            "Sport",
            "运动",
            "Built for running and workouts, with a secure fit.",
            "专为跑步和健身设计，佩戴稳固不掉。",
        ),
        _f("uhd", "4K", "4K", "Records crisp 4K video at 60 fps.", "可拍摄4K 60帧高清视频。"),
        _f(
            "magnetic",
            "Magnetic",
            "磁吸",
            "Snaps magnetically onto the back of the phone and charges it wirelessly.",
            "磁吸设计，贴在手机背面即可无线充电。",
        ),
    ),
    leaves=(
        Leaf(
            "phones",
            "Phones & Accessories",
            "手机配件",
            "Works with iPhone and Android phones.",
            "兼容苹果和安卓手机。",
            (
                _k("Smartphone", "智能手机", 1299, 5999, "fast_charging", "long_battery", "lightweight", "waterproof"),
                _k("Power Bank", "移动电源", 79, 299, "fast_charging", "lightweight", "magnetic"),
                _k("Phone Case", "手机壳", 29, 129, "shockproof", "lightweight"),
            ),
        ),
        Leaf(
            "audio",
            "Headphones & Speakers",
            "耳机音箱",
            "Tuned for clear vocals and deep bass.",
            "人声清晰，低音饱满。",
            (
                _k(
                    "Earbuds",
                    "蓝牙耳机",
                    149,
                    1299,
                    "wireless",
                    "noise_cancelling",
                    "sport",
                    "waterproof",
                    "long_battery",
                ),
                _k("Headphones", "头戴式耳机", 299, 2499, "wireless", "noise_cancelling", "kids", "lightweight"),
                _k("Bluetooth Speaker", "蓝牙音箱", 129, 999, "waterproof", "long_battery", "lightweight"),
            ),
        ),
        Leaf(
            "computers",
            "Laptops & Tablets",
            "电脑平板",
            "Ready for work, study and streaming.",
            "办公、学习、追剧都合适。",
            (
                _k("Laptop", "笔记本电脑", 3499, 12999, "lightweight", "long_battery", "fast_charging"),
                _k("Tablet", "平板电脑", 1299, 5999, "lightweight", "kids", "long_battery"),
                _k("Keyboard", "键盘", 99, 799, "wireless", "lightweight"),
            ),
        ),
        Leaf(
            "wearables",
            "Smart Wearables",
            "智能穿戴",
            "Syncs with the companion app on your phone.",
            "可与手机App同步数据。",
            (
                _k("Smartwatch", "智能手表", 399, 2999, "sport", "waterproof", "long_battery", "kids"),
                _k("Fitness Band", "运动手环", 149, 399, "sport", "waterproof", "long_battery"),
            ),
        ),
        Leaf(
            "cameras",
            "Cameras",
            "相机摄影",
            "Shoots sharp photos and video in any light.",
            "各种光线下都能拍出清晰照片和视频。",
            (
                _k("Action Camera", "运动相机", 999, 3299, "uhd", "waterproof", "lightweight"),
                _k("Mirrorless Camera", "微单相机", 3999, 15999, "uhd", "lightweight"),
                _k("Camera Tripod", "三脚架", 99, 599, "lightweight"),
            ),
        ),
    ),
)

CLOTHING = Top(
    "clothing",
    "CLO",
    "Clothing",
    "服装",
    brands=(
        Brand("Urbanly", "城漫", 1.0),
        Brand("Maple & Moss", "枫苔", 1.2),
        Brand("Qingyi", "青衣", 0.9),
        Brand("AeroFit", "气动", 1.0),
        Brand("Northridge", "北岭", 1.4),
    ),
    features=(
        _f(
            "waterproof",
            "Waterproof",
            "防水",
            "Waterproof shell with taped seams keeps the rain out.",
            "面料防水并全压胶，雨水无法渗入。",
        ),
        _f(
            "windproof",
            "Windproof",
            "防风",
            "Blocks cold wind on exposed ridges and city streets.",
            "有效阻挡山脊和街头的寒风。",
        ),
        _f(
            "lightweight",
            "Lightweight",
            "轻量",
            "Weighs next to nothing and packs into its own pocket.",
            "轻盈到几乎感觉不到，可收纳进自身口袋。",
        ),
        _f("breathable", "Breathable", "透气", "Breathable fabric wicks sweat away fast.", "面料透气，快速排汗。"),
        _f("warm", "Insulated", "保暖", "Insulated to stay warm down to minus 10 °C.", "填充保暖，零下10度也暖和。"),
        _f("cotton", "Cotton", "纯棉", "100% cotton, soft on the skin.", "100%纯棉，亲肤柔软。"),
        _f("linen", "Linen", "亚麻", "Cool linen blend for hot summer days.", "亚麻混纺，炎热夏天也清凉。"),
        _f("stretch", "Stretch", "弹力", "Four-way stretch moves with you.", "四面弹力，活动自如。"),
        _f("kids", "Kids'", "儿童", "Sized for kids aged 4 to 12.", "适合4–12岁儿童穿着。"),
        _f("slim_fit", "Slim-Fit", "修身", "A slim, tailored fit.", "修身剪裁，显瘦有型。"),
        _f("quick_dry", "Quick-Dry", "速干", "Quick-dry fabric, dry again within minutes.", "速干面料，几分钟就干。"),
        _f(
            "reflective",
            "Reflective",
            "反光",
            "Reflective details keep you visible on night runs.",
            "反光设计，夜跑更安全。",
        ),
    ),
    leaves=(
        Leaf(
            "tops",
            "Tops & T-shirts",
            "上衣T恤",
            "Easy to pair with jeans or chinos.",
            "百搭牛仔裤和休闲裤。",
            (
                _k("T-Shirt", "T恤", 59, 199, "cotton", "breathable", "slim_fit", "kids"),
                _k("Shirt", "衬衫", 129, 499, "cotton", "linen", "slim_fit"),
                _k("Hoodie", "连帽卫衣", 149, 399, "cotton", "warm", "kids"),
            ),
        ),
        Leaf(
            "outerwear",
            "Jackets & Coats",
            "外套",
            "Layers over a sweater on cold days.",
            "冷天可以叠穿毛衣。",
            (
                _k("Hiking Jacket", "徒步夹克", 299, 1499, "waterproof", "windproof", "lightweight", "breathable"),
                _k("Down Jacket", "羽绒服", 499, 2499, "warm", "lightweight", "waterproof", "kids"),
                _k("Trench Coat", "风衣", 399, 1299, "windproof", "slim_fit", "waterproof"),
            ),
        ),
        Leaf(
            "bottoms",
            "Trousers & Jeans",
            "裤装",
            "Cut for all-day comfort.",
            "久坐久站都舒适。",
            (
                _k("Jeans", "牛仔裤", 199, 599, "stretch", "slim_fit", "kids"),
                _k("Hiking Trousers", "徒步裤", 199, 699, "stretch", "waterproof", "lightweight", "quick_dry"),
                _k("Chinos", "休闲裤", 149, 399, "stretch", "slim_fit", "linen", "cotton"),
            ),
        ),
        Leaf(
            "dresses",
            "Dresses & Skirts",
            "连衣裙半身裙",
            "Dress it up or down for work and weekends.",
            "通勤、约会、周末都适合。",
            (
                _k("Dress", "连衣裙", 199, 899, "linen", "cotton", "slim_fit"),
                _k("Skirt", "半身裙", 129, 499, "linen", "stretch", "slim_fit"),
            ),
        ),
        Leaf(
            "sportswear",
            "Sportswear",
            "运动服",
            "Moves with you through every workout.",
            "伴你完成每一次训练。",
            (
                _k("Running Tee", "跑步T恤", 99, 299, "breathable", "quick_dry", "reflective", "lightweight"),
                _k("Yoga Leggings", "瑜伽裤", 129, 499, "stretch", "breathable", "quick_dry"),
                _k("Track Jacket", "运动外套", 199, 599, "windproof", "lightweight", "reflective"),
            ),
            brands=("AeroFit", "Urbanly", "Northridge"),
        ),
    ),
)

SHOES = Top(
    "shoes",
    "SHO",
    "Shoes",
    "鞋靴",
    brands=(
        Brand("TrailPeak", "踏峰", 1.1),
        Brand("Stride", "步锐", 1.0),
        Brand("Cloudstep", "云步", 0.9),
        Brand("Heritage 1908", "百年匠心", 1.4),
        Brand("Urbanly", "城漫", 0.85),
    ),
    features=(
        _f(
            "waterproof",
            "Waterproof",
            "防水",
            "A waterproof membrane keeps feet dry through puddles and streams.",
            "防水内膜，踩水过溪双脚依然干爽。",
        ),
        _f("lightweight", "Lightweight", "轻便", "Featherlight at about 220 g per shoe.", "单只约220克，轻若无物。"),
        _f("cushioned", "Cushioned", "缓震", "A thick foam midsole cushions every stride.", "厚底泡棉中底，步步缓震。"),
        _f("breathable", "Breathable", "透气", "A breathable mesh upper keeps feet cool.", "网面鞋面透气，脚下清爽。"),
        _f(
            "non_slip",
            "Non-Slip",
            "防滑",
            "A grippy rubber outsole holds on wet stone.",
            "橡胶大底抓地力强，湿滑路面也稳。",
        ),
        _f("wide_fit", "Wide-Fit", "宽楦", "Wide fit with a roomy toe box.", "宽楦设计，脚趾空间充足。"),
        _f("kids", "Kids'", "儿童", "Easy hook-and-loop straps for kids aged 3 to 12.", "魔术贴设计，适合3–12岁儿童。"),
        _f("leather", "Leather", "真皮", "Full-grain leather that softens with wear.", "头层牛皮，越穿越柔软。"),
    ),
    leaves=(
        Leaf(
            "running_shoes",
            "Running Shoes",
            "跑鞋",
            "Made for road running, races and daily training.",
            "适合路跑、比赛和日常训练。",
            (
                _k("Running Shoes", "跑鞋", 299, 1299, "cushioned", "lightweight", "breathable", "wide_fit", "kids"),
                _k("Trail Running Shoes", "越野跑鞋", 399, 1399, "waterproof", "non_slip", "cushioned"),
            ),
            brands=("Stride", "TrailPeak", "Cloudstep"),
        ),
        Leaf(
            "hiking_shoes",
            "Hiking Boots & Shoes",
            "徒步鞋靴",
            "For hiking, trekking and muddy trails.",
            "适合徒步、登山和泥泞山路。",
            (
                _k("Hiking Boots", "徒步靴", 399, 1699, "waterproof", "non_slip", "lightweight", "leather", "kids"),
                _k("Hiking Shoes", "徒步鞋", 299, 999, "waterproof", "breathable", "non_slip"),
            ),
            brands=("TrailPeak", "Stride", "Heritage 1908"),
        ),
        Leaf(
            "sneakers",
            "Sneakers",
            "休闲鞋",
            "Goes with jeans, shorts or a dress.",
            "搭配牛仔裤、短裤或裙子都好看。",
            (
                _k("Sneakers", "运动休闲鞋", 199, 899, "lightweight", "breathable", "leather", "kids", "wide_fit"),
                _k("Canvas Shoes", "帆布鞋", 99, 299, "breathable", "lightweight", "kids"),
            ),
        ),
        Leaf(
            "sandals",
            "Sandals & Slippers",
            "凉鞋拖鞋",
            "Easy on, easy off for summer and home.",
            "夏天出门、居家穿脱都方便。",
            (
                _k("Sandals", "凉鞋", 99, 499, "non_slip", "cushioned", "lightweight", "kids"),
                _k("Slippers", "拖鞋", 39, 159, "non_slip", "cushioned"),
            ),
        ),
        Leaf(
            "formal_shoes",
            "Leather Shoes",
            "皮鞋",
            "Smart enough for the office and for weddings.",
            "上班、婚礼等正式场合都合适。",
            (
                _k("Oxford Shoes", "牛津鞋", 399, 1599, "leather", "cushioned", "wide_fit"),
                _k("Loafers", "乐福鞋", 299, 1199, "leather", "cushioned", "lightweight"),
            ),
            brands=("Heritage 1908", "Urbanly", "Cloudstep"),
        ),
    ),
)

SPORTS = Top(
    "sports",
    "SPO",
    "Sports & Outdoors",
    "运动户外",
    brands=(
        Brand("TrailPeak", "踏峰", 1.1),
        Brand("Summit Gear", "登峰", 1.3),
        Brand("ProMotion", "动力派", 1.0),
        Brand("Velo", "维洛", 1.2),
        Brand("BlueWave", "蓝浪", 0.9),
        Brand("CoreFlex", "核力", 0.85),
    ),
    features=(
        _f(
            "lightweight",
            "Ultralight",
            "超轻",
            "Ultralight, to save weight on long trips.",
            "超轻设计，长途出行减轻负重。",
        ),
        _f(
            "waterproof",
            "Waterproof",
            "防水",
            "Waterproof, so your gear stays dry in a downpour.",
            "防水设计，暴雨中装备依旧干燥。",
        ),
        _f("foldable", "Foldable", "折叠", "Folds flat to store in a small flat.", "可折叠收纳，小户型也不占地方。"),
        _f(
            "adjustable",
            "Adjustable",
            "可调节",
            "Adjustable for different heights and training levels.",
            "可调节，适合不同身高和训练强度。",
        ),
        _f("family", "Family", "家庭", "Roomy enough for the whole family.", "空间宽敞，适合全家使用。"),
        _f("beginner", "Beginner", "入门", "Easy to learn for beginners.", "新手友好，上手容易。"),
        _f("pro", "Pro", "专业", "Competition grade for experienced athletes.", "比赛级品质，适合进阶运动员。"),
        _f("kids", "Kids'", "儿童", "Sized and made safe for kids.", "专为儿童设计，安全合身。"),
        _f("reflective", "Reflective", "反光", "Reflective details for safety after dark.", "反光设计，夜间更安全。"),
        _f(
            "anti_fog",
            "Anti-Fog",
            "防雾",
            "Anti-fog lenses stay clear for the whole session.",
            "防雾镜片，全程视野清晰。",
        ),
        _f("non_slip", "Non-Slip", "防滑", "A non-slip surface grips in every pose.", "防滑纹理，每个体式都稳。"),
    ),
    leaves=(
        Leaf(
            "running",
            "Running Gear",
            "跑步装备",
            "For runners training for their next race.",
            "为备赛跑者准备。",
            (
                _k("Running Belt", "跑步腰包", 49, 159, "lightweight", "reflective", "waterproof"),
                _k("Hydration Vest", "跑步水袋背心", 199, 699, "lightweight", "pro", "reflective"),
                _k("Running Cap", "跑步帽", 59, 199, "lightweight", "reflective"),
            ),
            brands=("ProMotion", "TrailPeak", "CoreFlex"),
        ),
        Leaf(
            "camping",
            "Camping & Hiking",
            "露营徒步",
            "For weekend camping, hiking and trekking.",
            "适合周末露营、徒步和登山。",
            (
                _k("Tent", "帐篷", 299, 2999, "family", "lightweight", "waterproof", "beginner"),
                _k("Sleeping Bag", "睡袋", 199, 1299, "lightweight", "kids", "waterproof"),
                _k("Hiking Backpack", "登山包", 199, 1499, "lightweight", "waterproof", "kids"),
                _k("Trekking Poles", "登山杖", 99, 499, "lightweight", "adjustable", "foldable"),
            ),
            brands=("TrailPeak", "Summit Gear"),
        ),
        Leaf(
            "fitness",
            "Fitness",
            "健身训练",
            "For home workouts and the gym.",
            "居家健身、健身房训练都适用。",
            (
                _k("Yoga Mat", "瑜伽垫", 69, 399, "non_slip", "beginner", "foldable", "pro"),
                _k("Dumbbell Set", "哑铃套装", 149, 999, "adjustable", "beginner"),
                _k("Resistance Bands", "弹力带", 39, 159, "beginner", "adjustable"),
                _k("Treadmill", "跑步机", 1999, 6999, "foldable", "beginner"),
            ),
            brands=("CoreFlex", "ProMotion"),
        ),
        Leaf(
            "cycling",
            "Cycling",
            "骑行",
            "For commuting and weekend rides.",
            "适合通勤和周末骑行。",
            (
                _k("Road Bike", "公路自行车", 2999, 12999, "lightweight", "pro", "beginner"),
                _k("Bike Helmet", "骑行头盔", 149, 799, "lightweight", "reflective", "kids"),
                _k("Bike Light", "自行车灯", 49, 299, "waterproof"),
            ),
            brands=("Velo", "ProMotion", "Summit Gear"),
        ),
        Leaf(
            "swimming",
            "Swimming",
            "游泳",
            "For the pool, the sea and swimming lessons.",
            "适合泳池、海边和游泳课。",
            (
                _k("Swim Goggles", "泳镜", 49, 299, "anti_fog", "kids", "pro"),
                _k("Swimsuit", "泳衣", 129, 499, "kids", "pro"),
                _k("Swim Cap", "泳帽", 29, 99, "kids", "waterproof"),
            ),
            brands=("BlueWave", "ProMotion"),
        ),
    ),
)

HOME = Top(
    "home",
    "HOM",
    "Home & Kitchen",
    "家居厨房",
    brands=(
        Brand("HomeHarbor", "家港", 1.0),
        Brand("Zenware", "禅器", 1.2),
        Brand("Copperleaf", "铜叶", 1.4),
        Brand("Nestling", "小窝", 0.8),
        Brand("Chefmate", "厨友", 0.9),
    ),
    features=(
        _f("non_stick", "Non-Stick", "不粘", "A non-stick coating, so eggs slide right off.", "不粘涂层，煎蛋不粘锅。"),
        _f(
            "cast_iron",
            "Cast-Iron",
            "铸铁",
            "Cast iron holds heat for a perfect sear.",
            "铸铁材质蓄热均匀，煎牛排更香。",
        ),
        _f("stainless", "Stainless Steel", "不锈钢", "304 stainless steel, easy to clean.", "304不锈钢，易清洗。"),
        _f(
            "induction",
            "Induction-Ready",
            "电磁炉适用",
            "Works on induction, gas and electric hobs.",
            "电磁炉、燃气灶、电陶炉通用。",
        ),
        _f("smart", "Smart", "智能", "App control and timer presets.", "支持App控制和预约定时。"),
        _f(
            "compact",
            "Compact",
            "迷你",
            "Compact enough for a small kitchen or a dorm.",
            "体积小巧，小厨房和宿舍都放得下。",
        ),
        _f("quiet", "Quiet", "静音", "A quiet motor you can run at night.", "静音电机，夜里使用也不吵。"),
        _f("cotton", "Cotton", "纯棉", "Long-staple cotton, soft and breathable.", "长绒棉，柔软透气。"),
        _f("silk", "Silk", "真丝", "Mulberry silk, cool and smooth.", "桑蚕丝，凉爽顺滑。"),
        _f("cooling", "Cooling", "凉感", "Cooling fabric for hot summer nights.", "凉感面料，夏夜清凉。"),
        _f("memory_foam", "Memory Foam", "记忆棉", "Memory foam that supports neck and shoulders.", "记忆棉贴合颈肩。"),
        _f("foldable", "Foldable", "可折叠", "Folds flat when not in use.", "不用时可折叠收起。"),
        _f(
            "stackable",
            "Stackable",
            "可叠放",
            "Stackable to make the most of shelf space.",
            "可叠放，充分利用柜内空间。",
        ),
        _f("nordic", "Nordic", "北欧风", "Clean Nordic design in muted colours.", "简约北欧风，低饱和配色。"),
        _f("handmade", "Handmade", "手工", "Handmade, each piece slightly unique.", "手工制作，每件都略有不同。"),
    ),
    leaves=(
        Leaf(
            "cookware",
            "Cookware",
            "锅具",
            "Everyday cooking for a family of three or four.",
            "适合三四口之家日常烹饪。",
            (
                _k("Frying Pan", "煎锅", 99, 599, "non_stick", "cast_iron", "induction", "stainless"),
                _k("Wok", "炒锅", 129, 799, "non_stick", "cast_iron", "induction"),
                _k("Stockpot", "汤锅", 149, 699, "stainless", "induction"),
                _k("Knife Set", "刀具套装", 199, 1299, "stainless", "handmade"),
            ),
        ),
        Leaf(
            "appliances",
            "Kitchen Appliances",
            "厨房小电",
            "Saves time on busy weekday mornings.",
            "忙碌的工作日早晨帮你省时间。",
            (
                _k("Rice Cooker", "电饭煲", 199, 1299, "smart", "compact"),
                _k("Air Fryer", "空气炸锅", 249, 899, "smart", "compact", "quiet"),
                _k("Blender", "破壁机", 299, 1599, "quiet", "smart", "compact"),
                _k("Electric Kettle", "电热水壶", 79, 399, "stainless", "smart", "compact"),
                _k("Coffee Machine", "咖啡机", 599, 3999, "smart", "compact"),
            ),
            brands=("HomeHarbor", "Chefmate", "Copperleaf"),
        ),
        Leaf(
            "bedding",
            "Bedding",
            "床上用品",
            "For a better night's sleep.",
            "让你夜夜好眠。",
            (
                _k("Duvet", "被子", 299, 1999, "cotton", "silk", "cooling"),
                _k("Pillow", "枕头", 99, 599, "memory_foam", "cooling", "cotton"),
                _k("Bed Sheet Set", "床品四件套", 199, 999, "cotton", "silk", "cooling"),
            ),
            brands=("Nestling", "HomeHarbor", "Zenware"),
        ),
        Leaf(
            "storage",
            "Storage & Organisation",
            "收纳整理",
            "Keeps a small home tidy.",
            "让小家井井有条。",
            (
                _k("Storage Box", "收纳箱", 39, 199, "stackable", "foldable"),
                _k("Shoe Rack", "鞋架", 69, 299, "stackable", "compact"),
                _k("Wardrobe Organiser", "衣柜收纳盒", 49, 199, "foldable", "stackable"),
            ),
            brands=("Nestling", "HomeHarbor"),
        ),
        Leaf(
            "decor",
            "Home Decor",
            "家居装饰",
            "Makes a rented flat feel like home.",
            "让出租屋也有家的感觉。",
            (
                _k("Table Lamp", "台灯", 99, 699, "nordic", "smart"),
                _k("Vase", "花瓶", 59, 399, "handmade", "nordic"),
                _k("Throw Blanket", "盖毯", 99, 399, "cotton", "nordic"),
                _k("Scented Candle", "香薰蜡烛", 49, 199, "handmade", "nordic", consumable=True),
            ),
            brands=("Zenware", "Nestling", "Copperleaf"),
        ),
    ),
)

BEAUTY = Top(
    "beauty",
    "BEA",
    "Beauty",
    "美妆个护",
    brands=(
        Brand("Lotus Dew", "荷露", 1.0),
        Brand("Bloomé", "花漾", 1.3),
        Brand("PureSkin", "纯肌", 0.9),
        Brand("Mistral", "米斯特拉", 1.5),
        Brand("Yunshan", "云山", 0.8),
    ),
    features=(
        _f(
            "hydrating", "Hydrating", "补水", "Hyaluronic acid for deep, lasting hydration.", "含玻尿酸，深层持久补水。"
        ),
        _f("sensitive", "Gentle", "温和", "Fragrance-free and gentle on sensitive skin.", "无香精配方，敏感肌也能用。"),
        _f("spf", "SPF50", "SPF50", "Broad-spectrum SPF50 PA++++ sun protection.", "SPF50 PA++++广谱防晒。"),
        _f(
            "oil_control",
            "Oil-Control",
            "控油",
            "Controls shine on oily and combination skin.",
            "控油哑光，适合油皮和混合皮。",
        ),
        _f("long_lasting", "Long-Lasting", "持久", "Lasts all day without touch-ups.", "持妆一整天，无需补妆。"),
        _f(
            "natural",
            "Botanical",
            "植物",
            "Made with plant extracts and no parabens.",
            "植物萃取，不含尼泊金酯防腐剂。",
        ),
        _f("repair", "Repairing", "修护", "Repairs the skin barrier overnight.", "夜间修护肌肤屏障。"),
        _f(
            "anti_dandruff",
            "Anti-Dandruff",
            "去屑",
            "Clears dandruff and soothes an itchy scalp.",
            "去屑止痒，舒缓头皮。",
        ),
        _f("floral", "Floral", "花香", "A soft floral scent of jasmine and peony.", "茉莉与牡丹的柔和花香。"),
        _f("woody", "Woody", "木质香", "A warm woody scent of cedar and sandalwood.", "雪松与檀香的温暖木质香。"),
        _f("fresh", "Citrus", "清新柑橘", "A fresh citrus scent for summer.", "清新柑橘香，适合夏天。"),
        _f("ionic", "Ionic", "负离子", "Ionic airflow for smooth, frizz-free hair.", "负离子护发，吹后顺滑不毛躁。"),
        _f("quiet", "Quiet", "静音", "Quiet enough to use while the family sleeps.", "低噪音，家人睡觉时也能用。"),
    ),
    leaves=(
        Leaf(
            "skincare",
            "Skincare",
            "护肤",
            "Suits a daily morning and evening routine.",
            "适合早晚日常护肤。",
            (
                _k("Face Cream", "面霜", 99, 899, "hydrating", "sensitive", "repair", "natural", consumable=True),
                _k("Serum", "精华液", 149, 1299, "hydrating", "repair", "oil_control", consumable=True),
                _k("Sunscreen", "防晒霜", 69, 299, "spf", "sensitive", "oil_control", consumable=True),
                _k("Cleanser", "洁面乳", 49, 199, "sensitive", "oil_control", "natural", consumable=True),
                _k("Sheet Masks", "面膜", 59, 299, "hydrating", "repair", consumable=True),
            ),
        ),
        Leaf(
            "makeup",
            "Makeup",
            "彩妆",
            "Builds a natural everyday look.",
            "轻松打造日常自然妆容。",
            (
                _k("Lipstick", "口红", 99, 399, "long_lasting", "hydrating", consumable=True),
                _k("Foundation", "粉底液", 149, 599, "long_lasting", "oil_control", "spf", consumable=True),
                _k("Eyeshadow Palette", "眼影盘", 99, 499, "long_lasting", consumable=True),
            ),
            brands=("Bloomé", "Mistral", "Lotus Dew"),
        ),
        Leaf(
            "haircare",
            "Hair Care",
            "洗护发",
            "For everyday washing and styling.",
            "日常洗护和造型都适用。",
            (
                _k("Shampoo", "洗发水", 49, 199, "anti_dandruff", "natural", "oil_control", "repair", consumable=True),
                _k("Conditioner", "护发素", 49, 199, "repair", "natural", consumable=True),
                _k("Hair Dryer", "吹风机", 199, 2999, "ionic", "quiet"),
            ),
        ),
        Leaf(
            "fragrance",
            "Fragrance",
            "香水香氛",
            "A signature scent for every day.",
            "打造属于你的日常香氛。",
            (
                _k("Eau de Parfum", "香水", 299, 1299, "floral", "woody", "fresh", consumable=True),
                _k("Body Lotion", "身体乳", 79, 299, "floral", "fresh", "hydrating", consumable=True),
            ),
            brands=("Mistral", "Bloomé", "Lotus Dew"),
        ),
    ),
)

BOOKS = Top(
    "books",
    "BOO",
    "Books",
    "图书",
    brands=(
        Brand("Lantern Press", "灯塔出版社", 1.0),
        Brand("Bamboo Books", "竹林书局", 0.9),
        Brand("Starling", "星鸟童书", 1.0),
        Brand("Northwind Press", "北风出版社", 1.1),
        Brand("Redwall", "红墙出版社", 1.0),
    ),
    features=(
        _f("bestseller", "Bestselling", "畅销", "A bestseller with over a million copies sold.", "畅销百万册。"),
        _f("illustrated", "Illustrated", "彩绘", "Full-colour illustrations on every page.", "全彩插图，图文并茂。"),
        _f("award_winning", "Award-Winning", "获奖", "Winner of a national book award.", "荣获国家级图书奖。"),
        _f("bilingual", "Bilingual", "中英双语", "Chinese and English side by side.", "中英文对照阅读。"),
        _f("hardcover", "Hardcover", "精装", "Hardcover edition with a ribbon bookmark.", "精装版，附丝带书签。"),
        _f(
            "beginner",
            "Beginner's",
            "入门",
            "No background needed: it starts from the basics.",
            "零基础入门，从基础讲起。",
        ),
    ),
    leaves=(
        Leaf(
            "fiction",
            "Fiction",
            "小说文学",
            "A page-turner for a long train ride.",
            "适合长途旅行时一口气读完。",
            (
                _k("Mystery Novel", "悬疑小说", 39, 89, "bestseller", "award_winning", "hardcover"),
                _k("Science Fiction Novel", "科幻小说", 39, 99, "bestseller", "award_winning", "hardcover"),
                _k("Short Story Collection", "短篇小说集", 29, 79, "award_winning", "bilingual"),
            ),
            brands=("Lantern Press", "Northwind Press", "Redwall"),
        ),
        Leaf(
            "childrens_books",
            "Children's Books",
            "童书",
            "Perfect for bedtime reading with kids aged 3 to 8.",
            "适合3–8岁孩子睡前亲子阅读。",
            (
                _k("Picture Book", "绘本", 29, 129, "illustrated", "bilingual", "hardcover", "award_winning"),
                _k("Early Reader", "分级读物", 39, 199, "bilingual", "illustrated", "beginner"),
                _k("Children's Encyclopedia", "少儿百科全书", 59, 299, "illustrated", "hardcover"),
            ),
            brands=("Starling", "Bamboo Books"),
        ),
        Leaf(
            "business",
            "Business & Economics",
            "经济管理",
            "Practical ideas for managers and founders.",
            "给管理者和创业者的实用思路。",
            (
                _k("Management Book", "管理学读物", 49, 129, "bestseller", "beginner"),
                _k("Investing Guide", "投资理财指南", 39, 99, "beginner", "bestseller"),
            ),
            brands=("Redwall", "Lantern Press", "Bamboo Books"),
        ),
        Leaf(
            "science",
            "Science & Technology",
            "科学技术",
            "Explains complex ideas in plain language.",
            "用通俗的语言讲清复杂概念。",
            (
                _k("Programming Guide", "编程指南", 59, 149, "beginner", "illustrated"),
                _k("Popular Science Book", "科普读物", 39, 99, "illustrated", "award_winning", "bestseller"),
            ),
            brands=("Northwind Press", "Bamboo Books"),
        ),
        Leaf(
            "lifestyle_books",
            "Cooking & Lifestyle",
            "生活美食",
            "Easy recipes and ideas for everyday life.",
            "简单易学的菜谱与生活灵感。",
            (
                _k("Cookbook", "菜谱", 49, 129, "illustrated", "beginner", "hardcover"),
                _k("Travel Guide", "旅行指南", 49, 99, "illustrated", "bilingual"),
            ),
        ),
    ),
)

TOYS = Top(
    "toys",
    "TOY",
    "Toys",
    "玩具",
    brands=(
        Brand("BrickNest", "砖巢", 1.2),
        Brand("Tinkerly", "巧思", 1.0),
        Brand("Cuddle Co.", "抱抱", 0.9),
        Brand("ZoomRC", "极速", 1.1),
        Brand("Sprout", "萌芽", 0.85),
    ),
    features=(
        _f(
            "educational",
            "Educational",
            "益智",
            "Builds problem-solving and fine motor skills.",
            "锻炼逻辑思维和精细动作。",
        ),
        _f("stem", "STEM", "STEM", "Hands-on science, technology and maths.", "动手学习科学、技术和数学。"),
        _f(
            "rechargeable",
            "Rechargeable",
            "可充电",
            "USB rechargeable battery, no AA cells needed.",
            "USB充电，无需干电池。",
        ),
        _f("soft", "Extra-Soft", "超柔软", "Super-soft plush that is machine washable.", "超柔软毛绒，可机洗。"),
        _f("wooden", "Wooden", "木制", "Sustainably sourced wood with water-based paint.", "可持续木材，水性漆。"),
        _f("toddler", "Toddler", "幼儿", "Large pieces, safe for ages 1 to 3.", "大颗粒设计，1–3岁宝宝也能安全玩。"),
        _f("outdoor", "Outdoor", "户外", "Built for the garden, the park and the beach.", "适合花园、公园和海边玩耍。"),
        _f("foldable", "Foldable", "可折叠", "Folds in seconds to fit in the car boot.", "几秒折叠，轻松放进后备箱。"),
    ),
    leaves=(
        Leaf(
            "blocks",
            "Building Blocks",
            "积木拼搭",
            "Hours of building fun for kids and adults.",
            "大人孩子都能玩上好几个小时。",
            (
                _k("Building Block Set", "积木套装", 99, 999, "educational", "stem", "toddler"),
                _k("Magnetic Tiles", "磁力片", 129, 499, "educational", "stem", "toddler"),
            ),
            brands=("BrickNest", "Tinkerly", "Sprout"),
        ),
        Leaf(
            "educational_toys",
            "Educational Toys",
            "益智玩具",
            "Learning through play for kids aged 3 to 10.",
            "寓教于乐，适合3–10岁儿童。",
            (
                _k("Jigsaw Puzzle", "拼图", 39, 199, "wooden", "educational", "toddler"),
                _k("Science Kit", "科学实验套装", 99, 399, "stem", "educational"),
                _k("Coding Robot", "编程机器人", 299, 1299, "stem", "rechargeable"),
            ),
            brands=("Tinkerly", "Sprout", "BrickNest"),
        ),
        Leaf(
            "plush",
            "Dolls & Plush",
            "毛绒玩偶",
            "A cuddly friend for bedtime.",
            "睡觉时的温暖伙伴。",
            (
                _k("Plush Panda", "毛绒熊猫", 59, 299, "soft", "toddler"),
                _k("Doll House", "娃娃屋", 199, 899, "wooden", "educational"),
            ),
            brands=("Cuddle Co.", "Sprout"),
        ),
        Leaf(
            "outdoor_toys",
            "Outdoor Toys",
            "户外玩具",
            "Gets kids off screens and outdoors.",
            "让孩子放下屏幕，走到户外。",
            (
                _k("Kids' Scooter", "儿童滑板车", 199, 699, "foldable", "toddler"),
                _k("Balance Bike", "儿童平衡车", 299, 899, "toddler", "wooden", "foldable"),
                _k("Water Gun", "水枪", 29, 129, "outdoor", "rechargeable"),
            ),
            brands=("Sprout", "ZoomRC", "Tinkerly"),
        ),
        Leaf(
            "rc_toys",
            "Remote Control",
            "遥控玩具",
            "Fast, tough and easy to drive.",
            "速度快、耐摔、易操控。",
            (
                _k("RC Car", "遥控车", 149, 799, "rechargeable", "outdoor"),
                _k("Mini Drone", "迷你无人机", 299, 1999, "rechargeable", "outdoor"),
            ),
            brands=("ZoomRC", "Tinkerly"),
        ),
    ),
)

FOOD = Top(
    "food",
    "FOO",
    "Food & Drink",
    "食品饮料",
    brands=(
        Brand("Misty Peak", "雾峰", 1.1),
        Brand("Harbor Roast", "港湾烘焙", 1.1),
        Brand("Crunchy Panda", "脆脆熊猫", 0.9),
        Brand("FuelUp", "能量加", 1.0),
        Brand("Golden Field", "金田", 0.9),
        Brand("Yunshan", "云山", 1.0),
    ),
    features=(
        _f(
            "organic",
            "Organic",
            "有机",
            "Certified organic, grown without synthetic pesticides.",
            "有机认证，种植过程不使用化学农药。",
        ),
        _f(
            "low_sugar",
            "Low-Sugar",
            "低糖",
            "Low in sugar, with no artificial sweeteners.",
            "低糖配方，不含人工甜味剂。",
        ),
        _f("high_protein", "High-Protein", "高蛋白", "25 g of protein per serving.", "每份含25克蛋白质。"),
        _f(
            "gift_box",
            "Gift Box",
            "礼盒装",
            "Comes in a gift box, ready for the holidays.",
            "礼盒包装，节日送礼有面子。",
        ),
        _f(
            "single_origin", "Single-Origin", "单一产地", "Single-origin beans from Yunnan.", "精选云南单一产地咖啡豆。"
        ),
        _f(
            "spring_harvest",
            "Spring-Harvest",
            "明前",
            "Picked before Qingming for a delicate taste.",
            "明前采摘，口感鲜爽。",
        ),
        _f("family_pack", "Family-Pack", "家庭装", "A family-size pack that lasts a month.", "家庭装，够吃一个月。"),
        _f("spicy", "Spicy", "香辣", "Sichuan pepper heat that keeps you reaching for more.", "川味麻辣，越吃越香。"),
        _f("vegan", "Plant-Based", "植物基", "Plant-based and dairy-free.", "植物基配方，不含乳制品。"),
    ),
    leaves=(
        Leaf(
            "tea",
            "Tea",
            "茶叶",
            "Brew at 80 to 90 °C for two to three minutes.",
            "80–90℃水冲泡2–3分钟。",
            (
                _k("Green Tea", "绿茶", 59, 599, "spring_harvest", "organic", "gift_box", consumable=True),
                _k("Oolong Tea", "乌龙茶", 69, 699, "organic", "gift_box", consumable=True),
                _k("Pu'er Tea", "普洱茶", 99, 999, "gift_box", "organic", consumable=True),
            ),
            brands=("Misty Peak", "Yunshan"),
        ),
        Leaf(
            "coffee",
            "Coffee",
            "咖啡",
            "Good for pour-over, espresso or cold brew.",
            "手冲、意式、冷萃都适合。",
            (
                _k("Coffee Beans", "咖啡豆", 69, 299, "single_origin", "organic", consumable=True),
                _k("Drip Coffee Bags", "挂耳咖啡", 39, 129, "single_origin", "family_pack", consumable=True),
                _k("Instant Coffee", "速溶咖啡", 29, 99, "low_sugar", "family_pack", consumable=True),
            ),
            brands=("Harbor Roast", "Yunshan"),
        ),
        Leaf(
            "snacks",
            "Snacks",
            "休闲零食",
            "A snack for the office or a movie night.",
            "办公室、追剧必备小零食。",
            (
                _k("Mixed Nuts", "每日坚果", 59, 199, "family_pack", "low_sugar", "gift_box", consumable=True),
                _k("Beef Jerky", "牛肉干", 39, 159, "spicy", "high_protein", "family_pack", consumable=True),
                _k("Seaweed Snacks", "海苔", 19, 69, "family_pack", "low_sugar", consumable=True),
            ),
            brands=("Crunchy Panda", "Golden Field"),
        ),
        Leaf(
            "nutrition",
            "Sports Nutrition",
            "运动营养",
            "Fuel for training and recovery.",
            "为训练和恢复补充能量。",
            (
                _k("Whey Protein", "乳清蛋白粉", 199, 599, "high_protein", "low_sugar", consumable=True),
                _k("Energy Gels", "能量胶", 49, 149, "vegan", "family_pack", consumable=True),
                _k("Protein Bars", "蛋白棒", 59, 159, "high_protein", "low_sugar", "vegan", consumable=True),
            ),
            brands=("FuelUp",),
        ),
        Leaf(
            "pantry",
            "Grains & Oils",
            "粮油调味",
            "Everyday staples for home cooking.",
            "居家做饭的日常必备。",
            (
                _k("Rice", "大米", 49, 199, "organic", "family_pack", consumable=True),
                _k("Peanut Oil", "花生油", 69, 199, "family_pack", "organic", consumable=True),
                _k("Chilli Sauce", "辣椒酱", 15, 59, "spicy", "family_pack", consumable=True),
            ),
            brands=("Golden Field", "Yunshan"),
        ),
    ),
)

BABY = Top(
    "baby",
    "BAB",
    "Baby",
    "母婴",
    brands=(
        Brand("Tiny Steps", "小步", 1.0),
        Brand("Cocoon", "茧宝", 1.3),
        Brand("BabyBloom", "贝乐", 0.9),
        Brand("Sprout", "萌芽", 0.85),
    ),
    features=(
        _f("newborn", "Newborn", "新生儿", "Sized for newborns and babies up to 6 months.", "适合新生儿至6个月宝宝。"),
        _f(
            "ultra_thin",
            "Ultra-Thin",
            "超薄",
            "Ultra-thin and breathable: no more nappy rash.",
            "超薄透气，远离红屁屁。",
        ),
        _f("organic", "Organic", "有机", "Certified organic ingredients.", "有机认证原料。"),
        _f(
            "organic_cotton",
            "Organic Cotton",
            "有机棉",
            "Organic cotton, soft on a baby's skin.",
            "有机棉制成，呵护宝宝娇嫩肌肤。",
        ),
        _f("bpa_free", "BPA-Free", "无双酚A", "BPA-free and safe with hot milk.", "不含双酚A，可以装热奶。"),
        _f(
            "anti_colic",
            "Anti-Colic",
            "防胀气",
            "An anti-colic vent reduces swallowed air.",
            "防胀气设计，减少宝宝吸入空气。",
        ),
        _f(
            "lightweight",
            "Lightweight",
            "轻便",
            "Folds with one hand and weighs under 6 kg.",
            "单手收车，车重不到6公斤。",
        ),
        _f("isofix", "ISOFIX", "ISOFIX", "ISOFIX anchors for a secure fit in the car.", "ISOFIX硬接口，安装牢固。"),
        _f(
            "overnight",
            "Overnight",
            "夜用",
            "Holds up to 12 hours for sleep-through nights.",
            "12小时超长吸收，一觉到天亮。",
        ),
    ),
    leaves=(
        Leaf(
            "diapers",
            "Diapers & Wipes",
            "纸尿裤湿巾",
            "Bulk pack for everyday changing.",
            "大包装，日常换洗不断货。",
            (
                _k("Diapers", "纸尿裤", 99, 299, "newborn", "ultra_thin", "overnight", consumable=True),
                _k("Baby Wipes", "婴儿湿巾", 29, 99, "newborn", "organic_cotton", consumable=True),
            ),
        ),
        Leaf(
            "feeding",
            "Feeding",
            "喂养用品",
            "Makes feeding time easier for parents.",
            "让喂养更轻松。",
            (
                _k("Baby Bottle", "奶瓶", 59, 249, "bpa_free", "anti_colic", "newborn"),
                _k("Infant Formula", "婴儿配方奶粉", 199, 499, "newborn", "organic", consumable=True),
                _k("Baby Food Maker", "辅食机", 199, 599, "bpa_free"),
            ),
        ),
        Leaf(
            "strollers",
            "Strollers & Car Seats",
            "童车安全座椅",
            "Tested to EU and Chinese safety standards.",
            "通过欧盟及国家安全标准检测。",
            (
                _k("Stroller", "婴儿推车", 699, 3999, "lightweight", "newborn"),
                _k("Car Seat", "儿童安全座椅", 899, 3999, "isofix", "newborn"),
            ),
            brands=("Cocoon", "Tiny Steps"),
        ),
        Leaf(
            "baby_clothing",
            "Baby Clothing",
            "婴儿服饰",
            "Easy snaps for quick nappy changes.",
            "按扣设计，换尿布更方便。",
            (
                _k("Baby Romper", "婴儿连体衣", 59, 199, "organic_cotton", "newborn"),
                _k("Baby Sleeping Bag", "婴儿睡袋", 99, 399, "organic_cotton", "newborn"),
            ),
        ),
    ),
)

CATALOGUE: tuple[Top, ...] = (ELECTRONICS, CLOTHING, SHOES, SPORTS, HOME, BEAUTY, BOOKS, TOYS, FOOD, BABY)

VARIANTS: tuple[tuple[str, str], ...] = (
    ("Black", "黑色"),
    ("White", "白色"),
    ("Navy", "藏青色"),
    ("Grey", "灰色"),
    ("Red", "红色"),
    ("Green", "绿色"),
    ("Sand", "沙色"),
    ("Blue", "蓝色"),
    ("Pink", "粉色"),
    ("Olive", "橄榄绿"),
)


def leaf_index() -> dict[str, tuple[Top, Leaf]]:
    return {leaf.slug: (top, leaf) for top in CATALOGUE for leaf in top.leaves}
