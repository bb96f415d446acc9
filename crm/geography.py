"""Places of mainland China, in both languages, so that an address typed in one message can be placed.

A shop's delivery regions (`delivery_regions`) are named by the customer-facing names of the country's
geographic divisions (华东 East China, 华北 North China…), by provinces or by cities; an address names
a city or a province. This table links them: the seven divisions, the 31 province-level divisions with
the division they belong to, and their main cities. Jiangxi is counted in 华中 (Central China), as
Chinese logistics networks (and the demo shop) do.
"""

from __future__ import annotations

from dataclasses import dataclass

# Suffixes a Chinese place name may carry or omit: "浙江省" and "浙江", "上海市" and "上海".
CHINESE_SUFFIXES = ("特别行政区", "自治区", "省", "市")


@dataclass(frozen=True)
class Province:
    name_zh: str
    names_en: tuple[str, ...]
    division: str
    cities: tuple[tuple[str, tuple[str, ...]], ...]


DIVISIONS: dict[str, tuple[str, ...]] = {
    "华东": ("East China",),
    "华北": ("North China",),
    "华南": ("South China",),
    "华中": ("Central China",),
    "西南": ("Southwest China", "South-west China", "South West China"),
    "西北": ("Northwest China", "North-west China", "North West China"),
    "东北": ("Northeast China", "North-east China", "North East China"),
}

PROVINCES: tuple[Province, ...] = (
    Province("上海", ("Shanghai",), "华东", (("上海", ("Shanghai",)),)),
    Province(
        "江苏",
        ("Jiangsu",),
        "华东",
        (
            ("南京", ("Nanjing",)),
            ("苏州", ("Suzhou",)),
            ("无锡", ("Wuxi",)),
            ("常州", ("Changzhou",)),
            ("南通", ("Nantong",)),
            ("扬州", ("Yangzhou",)),
            ("徐州", ("Xuzhou",)),
            ("昆山", ("Kunshan",)),
        ),
    ),
    Province(
        "浙江",
        ("Zhejiang",),
        "华东",
        (
            ("杭州", ("Hangzhou",)),
            ("宁波", ("Ningbo",)),
            ("温州", ("Wenzhou",)),
            ("绍兴", ("Shaoxing",)),
            ("嘉兴", ("Jiaxing",)),
            ("金华", ("Jinhua",)),
            ("义乌", ("Yiwu",)),
            ("台州", ("Taizhou",)),
        ),
    ),
    Province("安徽", ("Anhui",), "华东", (("合肥", ("Hefei",)), ("芜湖", ("Wuhu",)))),
    Province(
        "福建", ("Fujian",), "华东", (("福州", ("Fuzhou",)), ("厦门", ("Xiamen", "Amoy")), ("泉州", ("Quanzhou",)))
    ),
    Province(
        "山东",
        ("Shandong",),
        "华东",
        (("济南", ("Jinan",)), ("青岛", ("Qingdao", "Tsingtao")), ("烟台", ("Yantai",)), ("潍坊", ("Weifang",))),
    ),
    Province("北京", ("Beijing", "Peking"), "华北", (("北京", ("Beijing", "Peking")),)),
    Province("天津", ("Tianjin",), "华北", (("天津", ("Tianjin",)),)),
    Province(
        "河北", ("Hebei",), "华北", (("石家庄", ("Shijiazhuang",)), ("唐山", ("Tangshan",)), ("保定", ("Baoding",)))
    ),
    Province("山西", ("Shanxi",), "华北", (("太原", ("Taiyuan",)), ("大同", ("Datong",)))),
    Province("内蒙古", ("Inner Mongolia", "Nei Mongol"), "华北", (("呼和浩特", ("Hohhot",)), ("包头", ("Baotou",)))),
    Province(
        "广东",
        ("Guangdong",),
        "华南",
        (
            ("广州", ("Guangzhou", "Canton")),
            ("深圳", ("Shenzhen",)),
            ("东莞", ("Dongguan",)),
            ("佛山", ("Foshan",)),
            ("珠海", ("Zhuhai",)),
        ),
    ),
    Province("广西", ("Guangxi",), "华南", (("南宁", ("Nanning",)), ("桂林", ("Guilin",)))),
    Province("海南", ("Hainan",), "华南", (("海口", ("Haikou",)), ("三亚", ("Sanya",)))),
    Province("河南", ("Henan",), "华中", (("郑州", ("Zhengzhou",)), ("洛阳", ("Luoyang",)))),
    Province("湖北", ("Hubei",), "华中", (("武汉", ("Wuhan",)), ("宜昌", ("Yichang",)))),
    Province("湖南", ("Hunan",), "华中", (("长沙", ("Changsha",)),)),
    Province("江西", ("Jiangxi",), "华中", (("南昌", ("Nanchang",)),)),
    Province("重庆", ("Chongqing",), "西南", (("重庆", ("Chongqing",)),)),
    Province("四川", ("Sichuan",), "西南", (("成都", ("Chengdu",)), ("绵阳", ("Mianyang",)))),
    Province("贵州", ("Guizhou",), "西南", (("贵阳", ("Guiyang",)),)),
    Province("云南", ("Yunnan",), "西南", (("昆明", ("Kunming",)), ("丽江", ("Lijiang",)))),
    Province("西藏", ("Tibet", "Xizang"), "西南", (("拉萨", ("Lhasa",)),)),
    Province("陕西", ("Shaanxi",), "西北", (("西安", ("Xi'an", "Xian")),)),
    Province("甘肃", ("Gansu",), "西北", (("兰州", ("Lanzhou",)),)),
    Province("青海", ("Qinghai",), "西北", (("西宁", ("Xining",)),)),
    Province("宁夏", ("Ningxia",), "西北", (("银川", ("Yinchuan",)),)),
    Province("新疆", ("Xinjiang",), "西北", (("乌鲁木齐", ("Urumqi", "Ürümqi")), ("喀什", ("Kashgar", "Kashi")))),
    Province("辽宁", ("Liaoning",), "东北", (("沈阳", ("Shenyang",)), ("大连", ("Dalian",)))),
    Province("吉林", ("Jilin",), "东北", (("长春", ("Changchun",)), ("吉林", ("Jilin",)))),
    Province("黑龙江", ("Heilongjiang",), "东北", (("哈尔滨", ("Harbin",)),)),
)


def strip_chinese_suffix(name: str) -> str:
    """ "浙江省" -> "浙江", "上海市" -> "上海"; a name that would be left empty is kept."""
    for suffix in CHINESE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name
