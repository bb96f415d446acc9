"""A deterministic, bilingual demo shop: catalogue, customers, a year of behaviour, orders and support.

Customers belong to latent taste groups (runners, new parents, home cooks...) and price classes, so
their interactions carry a structure a recommender can learn; product popularity follows a power
law; each customer is active from sign-up until an unobserved drop-out date, which is what makes
churn and lifetime value predictable from history. Orders follow a timeline (placed, paid, shipped,
delivered, maybe cancelled or returned) and their status is wherever that timeline stands at the
anchor time, so every status occurs and every record agrees with the others.

Two customers are always the same, for tests and documentation: `demo-alice` (English) and
`demo-li` (Chinese), known under those ids on the web and REST channels (and by phone, email and,
for Li, WeChat), with orders in every status between them (see `WELL_KNOWN_ORDERS`).
"""

from __future__ import annotations

import json
import random
import string
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import JSON, Connection, Engine, Table, func, insert, select, text
from tqdm import tqdm

from crm.demo.vocabulary import CATALOGUE, VARIANTS, Brand, Feature, Kind, Leaf, Top
from crm.demo.people import (
    CARRIER_ZH,
    CITY_EN,
    COMPANIES,
    CONVERSATION_TOPICS,
    CONVERSATIONS,
    FIRST_NAMES,
    GIVEN_NAMES,
    LAST_NAMES,
    REGIONS,
    REVIEWS,
    ROADS,
    SURNAMES,
    TICKET_SUBJECTS,
    TRACKING_STEPS,
    Region,
)
from crm.errors import DatabaseNotEmpty, InvalidInput
from crm.models import INTERACTION_WEIGHTS, Base, Customer, InteractionKind, Product, rating_weight
from crm.repository import identity_hash, normalize_external_id, sender_key

DAY = 86400.0
HOUR = 3600.0
CHINA_OFFSET = 8 * HOUR
# Share of activity by local hour of day (China time): lunch and evening peaks.
HOURLY = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2.5, 3, 3, 3.2, 3.5, 3, 2.8, 2.8, 3, 3.2, 3.5, 4.5, 5.5, 6, 5, 3]
)
HOURLY = HOURLY / HOURLY.sum()

# Latent taste groups: affinity of each group for leaf categories (unlisted leaves get BACKGROUND).
TASTE_GROUPS: dict[str, dict[str, float]] = {
    "runner": {
        "running_shoes": 6,
        "running": 5,
        "sportswear": 4,
        "nutrition": 3,
        "wearables": 3,
        "audio": 1.5,
        "swimming": 1,
    },
    "outdoor": {"camping": 6, "hiking_shoes": 6, "outerwear": 4, "cycling": 2, "cameras": 2, "bottoms": 1.5},
    "techie": {
        "phones": 5,
        "computers": 5,
        "audio": 4,
        "wearables": 3,
        "cameras": 3,
        "science": 2,
        "rc_toys": 1,
        "coffee": 1,
    },
    "new_parent": {
        "diapers": 6,
        "feeding": 6,
        "baby_clothing": 5,
        "strollers": 4,
        "childrens_books": 2,
        "storage": 1.5,
        "blocks": 1,
    },
    "home_cook": {"cookware": 6, "appliances": 5, "pantry": 4, "tea": 2, "lifestyle_books": 2, "snacks": 1.5},
    "beauty": {"skincare": 6, "makeup": 5, "haircare": 4, "fragrance": 4, "dresses": 2, "tops": 1},
    "bookworm": {"fiction": 6, "business": 4, "science": 4, "lifestyle_books": 2, "coffee": 2, "tea": 2, "decor": 1},
    "fashion": {
        "tops": 5,
        "dresses": 5,
        "bottoms": 4,
        "sneakers": 4,
        "outerwear": 3,
        "fragrance": 2,
        "formal_shoes": 2,
    },
    "fitness": {"fitness": 6, "nutrition": 5, "sportswear": 4, "swimming": 3, "wearables": 2, "running_shoes": 2},
    "young_family": {
        "blocks": 5,
        "educational_toys": 5,
        "childrens_books": 4,
        "outdoor_toys": 4,
        "plush": 3,
        "sneakers": 1,
        "snacks": 1,
    },
    "foodie": {"snacks": 5, "tea": 4, "coffee": 4, "pantry": 4, "cookware": 2, "lifestyle_books": 1},
    "homebody": {"bedding": 5, "decor": 5, "storage": 4, "appliances": 2, "sandals": 2, "fiction": 1},
}
GROUP_NAMES = tuple(TASTE_GROUPS)
FAMILY_GROUPS = {"new_parent", "young_family"}
CHILD_FEATURES = {"kids", "toddler", "newborn"}
BACKGROUND = 0.03
PRICE_CLASSES = ("budget", "mid", "premium")

BROWSE_KINDS = ("view", "click", "add_to_cart", "rec_impression", "rec_click", "chat_mention")
BROWSE_SHARES = np.array([0.62, 0.20, 0.06, 0.07, 0.03, 0.02])
PAYMENT_METHODS = (("alipay", 45), ("wechat_pay", 40), ("card", 12), ("cash_on_delivery", 3))
PAYMENT_FAILURES = ("insufficient_funds", "card_declined", "timeout", "risk_control")
RETURN_REASONS = ("wrong_size", "damaged", "not_as_described", "changed_mind", "late_delivery")
NEWSLETTER_TOPICS = ("promotions", "new_arrivals", "weekly_picks", "member_events")
AGENTS = ("agent.zhou", "agent.lin", "agent.smith", "agent.chen")

ALICE, LI = 1, 2


@dataclass(frozen=True)
class DemoConfig:
    customers: int = 5000
    products: int = 1000
    interactions: int = 200_000
    seed: int = 7
    as_of: datetime | None = None

    def anchor(self) -> datetime:
        """The demo's "now": given, or today's midnight UTC (the same data all day for one seed)."""
        if self.as_of is not None:
            return self.as_of if self.as_of.tzinfo else self.as_of.replace(tzinfo=timezone.utc)
        return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)

    def validate(self) -> None:
        leaves = sum(len(top.leaves) for top in CATALOGUE)
        if self.customers < 10:
            raise InvalidInput("the demo needs at least 10 customers")
        if self.products < leaves:
            raise InvalidInput(f"the demo needs at least {leaves} products (one per leaf category)")
        if self.interactions < 20 * self.customers // 10:
            raise InvalidInput("the demo needs at least 2 interactions per customer")


@dataclass(frozen=True)
class DemoSummary:
    rows: dict[str, int]
    seconds: float
    as_of: datetime


@dataclass
class _Plan:
    """One order's timeline, as POSIX timestamps; events after the anchor have not happened yet."""

    placed: float
    paid: float | None
    failed_attempt: bool = False
    shipped: float | None = None
    delivered: float | None = None
    cancelled: float | None = None
    return_requested: float | None = None
    return_rejected: bool = False
    returned: float | None = None
    exception: bool = False
    invoice: bool = False
    review: int | None = None
    option: str = "standard"


@dataclass(frozen=True)
class WellKnownOrder:
    number: str
    leaves: tuple[str, ...]
    status: str
    make_plan: Callable[[float], _Plan]
    refund_status: str | None = None


def _ago(days: float = 0, hours: float = 0) -> Callable[[float], float]:
    return lambda now: now - days * DAY - hours * HOUR


def _plan(
    placed: Callable[[float], float],
    *,
    paid_after_h: float | None = 0.05,
    ship_after_h: float | None = None,
    transit_d: float | None = None,
    cancel_after_h: float | None = None,
    return_after_d: float | None = None,
    rejected: bool = False,
    back_after_d: float | None = None,
    failed_attempt: bool = False,
    invoice: bool = False,
    review: int | None = None,
) -> Callable[[float], _Plan]:
    def make(now: float) -> _Plan:
        t0 = placed(now)
        paid = None if paid_after_h is None else t0 + paid_after_h * HOUR
        shipped = None if paid is None or ship_after_h is None else paid + ship_after_h * HOUR
        delivered = None if shipped is None or transit_d is None else shipped + transit_d * DAY
        requested = None if delivered is None or return_after_d is None else delivered + return_after_d * DAY
        returned = None if requested is None or back_after_d is None else requested + back_after_d * DAY
        return _Plan(
            placed=t0,
            paid=paid,
            failed_attempt=failed_attempt,
            shipped=shipped,
            delivered=delivered,
            cancelled=None if cancel_after_h is None else t0 + cancel_after_h * HOUR,
            return_requested=requested,
            return_rejected=rejected,
            returned=returned,
            invoice=invoice,
            review=review,
        )

    return make


# The orders of the two well-known customers: every order status, every refund status.
WELL_KNOWN_ORDERS: dict[int, tuple[WellKnownOrder, ...]] = {
    ALICE: (
        WellKnownOrder(
            "KL20250101",
            ("running_shoes", "sportswear"),
            "delivered",
            _plan(_ago(60), ship_after_h=20, transit_d=2, invoice=True, review=5),
        ),
        WellKnownOrder(
            "KL20250102",
            ("outerwear",),
            "returned",
            _plan(_ago(35), ship_after_h=10, transit_d=2, return_after_d=2, back_after_d=4),
            "completed",
        ),
        WellKnownOrder(
            "KL20250103",
            ("wearables",),
            "delivered",
            _plan(_ago(10), ship_after_h=12, transit_d=2, return_after_d=7.37),
            "requested",
        ),
        WellKnownOrder(
            "KL20250104", ("running", "nutrition"), "shipped", _plan(_ago(2), ship_after_h=20, transit_d=2.5)
        ),
        WellKnownOrder("KL20250105", ("hiking_shoes",), "paid", _plan(_ago(hours=3))),
        WellKnownOrder("KL20250106", ("camping",), "cancelled", _plan(_ago(20), cancel_after_h=2), "completed"),
        WellKnownOrder(
            "KL20250107", ("audio",), "placed", _plan(_ago(hours=1), paid_after_h=None, failed_attempt=True)
        ),
    ),
    LI: (
        WellKnownOrder(
            "KL20251101",
            ("diapers", "feeding"),
            "delivered",
            _plan(_ago(90), ship_after_h=8, transit_d=1.5, invoice=True, review=4),
        ),
        WellKnownOrder(
            "KL20251102",
            ("strollers",),
            "delivered",
            _plan(_ago(25), ship_after_h=10, transit_d=2, return_after_d=3, rejected=True),
            "rejected",
        ),
        WellKnownOrder(
            "KL20251103",
            ("baby_clothing",),
            "delivered",
            _plan(_ago(12), ship_after_h=10, transit_d=2, return_after_d=7.5),
            "approved",
        ),
        WellKnownOrder("KL20251104", ("cookware", "tea"), "shipped", _plan(_ago(3), ship_after_h=20, transit_d=2.2)),
        WellKnownOrder("KL20251105", ("appliances",), "paid", _plan(_ago(hours=30))),
        WellKnownOrder(
            "KL20251106",
            ("childrens_books",),
            "cancelled",
            _plan(_ago(15), ship_after_h=6, transit_d=3, cancel_after_h=30),
            "completed",
        ),
        WellKnownOrder("KL20251107", ("pantry",), "placed", _plan(_ago(hours=2), paid_after_h=None)),
    ),
}


@dataclass(frozen=True)
class _Person:
    name: str
    language: str
    region: int
    identities: tuple[tuple[str, str], ...]
    phone: str
    group: int
    second_group: int
    price_class: int
    signup_days_ago: float


WELL_KNOWN_PEOPLE: dict[int, _Person] = {
    ALICE: _Person(
        "Alice Chen",
        "en",
        0,
        (("web", "demo-alice"), ("rest", "demo-alice"), ("email", "alice@example.com"), ("phone", "+86 138 0013 8000")),
        "13800138000",
        GROUP_NAMES.index("runner"),
        GROUP_NAMES.index("outdoor"),
        1,
        420,
    ),
    LI: _Person(
        "李伟",
        "zh",
        1,
        (
            ("web", "demo-li"),
            ("rest", "demo-li"),
            ("wechat", "wx-demo-li"),
            ("phone", "13912345678"),
            ("email", "li.wei@example.cn"),
        ),
        "13912345678",
        GROUP_NAMES.index("new_parent"),
        GROUP_NAMES.index("home_cook"),
        1,
        300,
    ),
}


_EPOCH = datetime(1970, 1, 1)


def _dt(ts: float) -> datetime:
    """Naive UTC, the storage form of `UtcDateTime`, so bulk inserts skip the time-zone conversion."""
    return _EPOCH + timedelta(seconds=ts)


def _dts(ts: np.ndarray) -> list[datetime]:
    return (ts * 1e6).astype("datetime64[us]").tolist()


def _money(value: Decimal | int | float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _shop_price(value: float) -> int:
    """Prices end in 9, like shop prices do: 299, 1299, 5999."""
    if value < 1000:
        return max(9, int(round(value / 10.0)) * 10 - 1)
    return int(round(value / 100.0)) * 100 - 1


@dataclass
class _Order:
    id: int
    customer: int
    plan: _Plan
    items: list[tuple[int, int]]  # (product index, quantity)
    status: str = ""


@dataclass
class _Shop:
    config: DemoConfig
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.now_dt = self.config.anchor()
        self.now = self.now_dt.timestamp()
        self.window_start = self.now - 365 * DAY
        self.rng = np.random.default_rng(self.config.seed)
        self.rand = random.Random(self.config.seed)
        self.ids: dict[str, int] = defaultdict(int)

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def add(self, table: str, **row: Any) -> int:
        if "id" not in row:
            row["id"] = self.next_id(table)
        self.rows[table].append(row)
        return int(row["id"])

    def pick(self, weighted: Iterable[tuple[Any, float]]) -> Any:
        values, weights = zip(*weighted)
        return self.rand.choices(values, weights)[0]

    # --- reference data ----------------------------------------------------------------------

    def build_reference(self) -> None:
        self.options: dict[str, dict[str, tuple[int, Decimal, Decimal | None, tuple[int, int], str]]] = {}
        for region in REGIONS:
            self.add("delivery_regions", code=region.code, name_en=region.name_en, name_zh=region.name_zh)
            choices = [
                (
                    "standard",
                    "Standard delivery",
                    "标准快递",
                    "ZTO Express",
                    region.standard_fee,
                    region.free_over,
                    region.standard_days,
                    16,
                ),
                (
                    "express",
                    "Express delivery",
                    "顺丰特快",
                    "SF Express",
                    region.express_fee,
                    None,
                    region.express_days,
                    16,
                ),
            ]
            if region.same_day:
                choices.append(("same_day", "Same-day delivery", "当日达", "SF Same-Day", 25, None, (0, 0), 11))
            self.options[region.code] = {}
            for code, name_en, name_zh, carrier, fee, free_over, days, cutoff in choices:
                option_id = self.add(
                    "delivery_options",
                    region_code=region.code,
                    code=code,
                    name_en=name_en,
                    name_zh=name_zh,
                    carrier=carrier,
                    fee=_money(fee),
                    free_over=None if free_over is None else _money(free_over),
                    min_days=days[0],
                    max_days=days[1],
                    cutoff_hour=cutoff,
                )
                self.options[region.code][code] = (
                    option_id,
                    _money(fee),
                    None if free_over is None else _money(free_over),
                    days,
                    carrier,
                )
        self.add(
            "cancellation_fee_rules",
            order_status="placed",
            free_within_hours=0,
            fee_percent=Decimal("0"),
            min_fee=_money(0),
            description_en="Orders that are not paid yet can be cancelled free of charge.",
            description_zh="未付款的订单可以免费取消。",
        )
        self.add(
            "cancellation_fee_rules",
            order_status="paid",
            free_within_hours=24,
            fee_percent=Decimal("3"),
            min_fee=_money(5),
            description_en="Paid orders can be cancelled free of charge within 24 hours of payment; after that "
            "packing has started and a handling fee of 3% of the order (at least ¥5) applies.",
            description_zh="付款后24小时内可免费取消；超过24小时已开始拣货打包，收取订单金额3%的手续费（最低5元）。",
        )
        self.add(
            "cancellation_fee_rules",
            order_status="shipped",
            free_within_hours=0,
            fee_percent=Decimal("10"),
            min_fee=_money(15),
            description_en="A shipped order can still be cancelled: the parcel is intercepted and sent back, "
            "for a fee of 10% of the order (at least ¥15) that covers the return shipping.",
            description_zh="已发货的订单仍可取消，包裹会被拦截退回，收取订单金额10%的费用（最低15元）用于支付退回运费。",
        )

    # --- catalogue ---------------------------------------------------------------------------

    def build_catalogue(self) -> None:
        leaf_category: dict[str, int] = {}
        for top in CATALOGUE:
            top_id = self.add("categories", parent_id=None, slug=top.slug, name_en=top.en, name_zh=top.zh)
            for leaf in top.leaves:
                leaf_category[leaf.slug] = self.add(
                    "categories", parent_id=top_id, slug=leaf.slug, name_en=leaf.en, name_zh=leaf.zh
                )
        combos = [
            (top, leaf, kind, key, brand)
            for top in CATALOGUE
            for leaf in top.leaves
            for kind in leaf.kinds
            for key in kind.features
            for brand in top.leaf_brands(leaf)
        ]
        by_leaf: dict[str, list[int]] = defaultdict(list)
        for index, combo in enumerate(combos):
            by_leaf[combo[1].slug].append(index)
        chosen = [self.rand.choice(indexes) for indexes in by_leaf.values()]
        rest = [i for i in range(len(combos)) if i not in set(chosen)]
        self.rand.shuffle(rest)
        while len(chosen) < self.config.products:
            chosen.extend(rest[: self.config.products - len(chosen)])
            rest = list(range(len(combos)))
            self.rand.shuffle(rest)
        uses: dict[int, int] = defaultdict(int)
        self.leaf_of: list[str] = []
        self.kind_of: list[tuple[str, str]] = []
        price_factors, child = [], []
        sequence: dict[str, int] = defaultdict(int)
        for combo_index in chosen:
            top, leaf, kind, key, brand = combos[combo_index]
            variant = uses[combo_index]
            uses[combo_index] += 1
            sequence[top.code] += 1
            row = self._product_row(top, leaf, kind, top.feature(key), brand, variant, sequence[top.code])
            row["category_id"] = leaf_category[leaf.slug]
            self.add("products", **row)
            self.leaf_of.append(leaf.slug)
            self.kind_of.append((kind.en, kind.zh))
            price_factors.append(brand.price_factor)
            child.append(bool(CHILD_FEATURES & set(row["attributes"]["features"])))
        self.first_in_leaf: dict[str, int] = {}
        for index, slug in enumerate(self.leaf_of):
            self.first_in_leaf.setdefault(slug, index)
        self.prices = np.array([float(r["price"]) for r in self.rows["products"]])
        self._product_distributions(np.array(price_factors), np.array(child))

    def _product_row(
        self, top: Top, leaf: Leaf, kind: Kind, feature: Feature, brand: Brand, variant: int, number: int
    ) -> dict[str, Any]:
        name_en = f"{brand.en} {feature.en} {kind.en}"
        name_zh = f"{brand.zh}{feature.zh}{kind.zh}"
        if variant:
            colour_en, colour_zh = VARIANTS[(variant - 1) % len(VARIANTS)]
            name_en, name_zh = f"{name_en} – {colour_en}", f"{name_zh}（{colour_zh}）"
        others = [top.feature(k) for k in kind.features if k != feature.key]
        extra = self.rand.sample(others, min(len(others), self.rand.choice((1, 1, 2))))
        lo, hi = kind.price
        position = self.rng.beta(2, 2)
        raw = lo * (hi / lo) ** position * brand.price_factor
        price = _shop_price(min(max(raw, lo * 0.8), hi * 1.3))
        tier = "budget" if brand.price_factor < 0.95 else "premium" if brand.price_factor > 1.15 else "mid"
        return {
            "sku": f"{top.code}-{number:05d}",
            "name_en": name_en,
            "name_zh": name_zh,
            "description_en": " ".join([f"{name_en}.", feature.says_en, *(f.says_en for f in extra), leaf.use_en]),
            "description_zh": "".join([f"{name_zh}。", feature.says_zh, *(f.says_zh for f in extra), leaf.use_zh]),
            "brand": brand.en,
            "price": _money(price),
            "stock": 0 if self.rand.random() < 0.04 else int(min(2000, self.rng.lognormal(4.0, 1.0))),
            "attributes": {
                "features": [feature.key, *(f.key for f in extra)],
                "kind": kind.en,
                "price_tier": tier,
                **({"colour": VARIANTS[(variant - 1) % len(VARIANTS)][0]} if variant else {}),
            },
            "active": self.rand.random() > 0.03,
            "consumable": kind.consumable,
            "created_at": _dt(self.window_start - self.rand.uniform(20, 700) * DAY),
        }

    def _product_distributions(self, price_factor: np.ndarray, child: np.ndarray) -> None:
        """One sampling distribution per (taste group or "everyone", price class)."""
        m = len(self.leaf_of)
        rank = self.rng.permutation(m)
        popularity = 1.0 / (rank + 3.0) ** 1.05
        price_fit = {0: price_factor**-3.0, 1: np.ones(m), 2: price_factor**3.0}
        self.distributions = np.zeros(((len(GROUP_NAMES) + 1) * 3, m))
        for g, name in enumerate((*GROUP_NAMES, "everyone")):
            if name == "everyone":
                affinity = np.ones(m)
            else:
                affinity = np.array([TASTE_GROUPS[name].get(slug, BACKGROUND) for slug in self.leaf_of])
                affinity = affinity * np.where(child, 3.0 if name in FAMILY_GROUPS else 0.3, 1.0)
            for c in range(3):
                weights = popularity * affinity * price_fit[c]
                self.distributions[g * 3 + c] = weights / weights.sum()

    def sample_products(self, customers: np.ndarray) -> np.ndarray:
        """A product for each customer in `customers` (repeats allowed), from their tastes."""
        u = self.rng.random(len(customers))
        group = np.where(
            u < 0.75, self.group[customers], np.where(u < 0.9, self.second_group[customers], len(GROUP_NAMES))
        )
        key = group * 3 + self.price_class[customers]
        out = np.empty(len(customers), dtype=np.int64)
        for k in np.unique(key):
            mask = key == k
            out[mask] = self.rng.choice(len(self.leaf_of), size=int(mask.sum()), p=self.distributions[k])
        return out

    # --- customers ---------------------------------------------------------------------------

    def build_customers(self) -> None:
        n = self.config.customers
        rng = self.rng
        self.language = np.where(rng.random(n) < 0.35, "en", "zh")
        region_weights = np.array([r.weight for r in REGIONS])
        self.region = rng.choice(len(REGIONS), size=n, p=region_weights / region_weights.sum())
        signup_ago = 900 * rng.beta(1.2, 1.8, size=n) + 1
        self.created = self.now - signup_ago * DAY
        self.start = np.maximum(self.created, self.window_start)
        lifetime = rng.exponential(400, size=n) * DAY
        self.end = np.maximum(np.minimum(self.created + lifetime, self.now), self.start)
        self.activity = rng.lognormal(0.0, 0.9, size=n)
        self.propensity = rng.lognormal(0.0, 0.6, size=n) * (rng.random(n) > 0.18)
        self.group = rng.choice(len(GROUP_NAMES), size=n)
        offset = rng.integers(1, len(GROUP_NAMES), size=n)
        self.second_group = (self.group + offset) % len(GROUP_NAMES)
        self.price_class = rng.choice(3, size=n, p=[0.3, 0.5, 0.2])
        self.main_channel = np.where(
            self.language == "zh",
            np.where(rng.random(n) < 0.6, "wechat", "web"),
            np.where(rng.random(n) < 0.85, "web", "rest"),
        )
        for cid, person in WELL_KNOWN_PEOPLE.items():
            i = cid - 1
            self.language[i], self.region[i] = person.language, person.region
            self.created[i] = self.now - person.signup_days_ago * DAY
            self.start[i], self.end[i] = max(self.created[i], self.window_start), self.now
            self.activity[i], self.propensity[i] = 3.0, 0.0
            self.group[i], self.second_group[i] = person.group, person.second_group
            self.price_class[i] = person.price_class
            self.main_channel[i] = "web"
        self.names: list[str] = []
        self.phones: list[str] = []
        self.identity_of: dict[tuple[int, str], str] = {}
        self.address_of: dict[int, int] = {}
        used_phones = {p.phone for p in WELL_KNOWN_PEOPLE.values()}
        for i in range(n):
            cid = i + 1
            if cid in WELL_KNOWN_PEOPLE:
                person = WELL_KNOWN_PEOPLE[cid]
                self.names.append(person.name)
                self.phones.append(person.phone)
                self._identities(cid, person.identities)
                continue
            phone = self._phone(used_phones)
            if self.language[i] == "zh":
                (surname, s_py), (given, g_py) = self.rand.choice(SURNAMES), self.rand.choice(GIVEN_NAMES)
                name, email = surname + given, f"{g_py}.{s_py}{cid}@example.cn"
            else:
                first, last = self.rand.choice(FIRST_NAMES), self.rand.choice(LAST_NAMES)
                name, email = f"{first} {last}", f"{first}.{last}{cid}@example.com".lower().replace("ü", "u")
            self.names.append(name)
            self.phones.append(phone)
            identities: list[tuple[str, str]] = []
            if self.rand.random() < 0.8 or self.main_channel[i] == "web":
                identities.append(("web", "u-" + "".join(self.rand.choices("0123456789abcdef", k=12))))
            if self.language[i] == "zh" and (self.rand.random() < 0.7 or self.main_channel[i] == "wechat"):
                openid = "o" + "".join(self.rand.choices(string.ascii_letters + string.digits + "_-", k=27))
                identities.append(("wechat", openid))
            if self.main_channel[i] == "rest":
                identities.append(("rest", f"partner-{cid:06d}"))
            if self.rand.random() < 0.9:
                identities.append(("phone", phone))
            if self.rand.random() < (0.95 if self.language[i] == "en" else 0.5) or not identities:
                identities.append(("email", email))
            self._identities(cid, tuple(identities))
        for i in range(n):
            self._addresses(i)

    def _phone(self, used: set[str]) -> str:
        while True:
            phone = (
                self.rand.choice(("13", "15", "18", "17", "19"))
                + str(self.rand.randint(0, 9))
                + f"{self.rand.randint(0, 99_999_999):08d}"
            )
            if phone not in used:
                used.add(phone)
                return phone

    def _identities(self, cid: int, identities: tuple[tuple[str, str], ...]) -> None:
        created = _dt(self.created[cid - 1])
        for channel, external in identities:
            self.identity_of[(cid, channel)] = normalize_external_id(channel, external)
            self.add(
                "identities",
                customer_id=cid,
                channel=channel,
                lookup_hash=identity_hash(channel, external),
                external_id=normalize_external_id(channel, external),
                verified=channel in ("phone", "email"),
                created_at=created,
            )

    def _addresses(self, i: int) -> None:
        region = REGIONS[self.region[i]]
        count = 2 if self.rand.random() < 0.15 else 1
        for k in range(count):
            city = region.cities[0] if i + 1 in WELL_KNOWN_PEOPLE else self.rand.choice(region.cities)
            street = (
                f"{self.rand.choice(ROADS)}{self.rand.randint(1, 999)}号"
                f"{self.rand.randint(1, 30)}栋{self.rand.randint(1, 32)}{self.rand.randint(1, 4):02d}室"
            )
            address_id = self.add(
                "addresses",
                customer_id=i + 1,
                recipient=self.names[i],
                phone=self.phones[i],
                street=street,
                city=city,
                region_code=region.code,
                postcode=f"{self.rand.randint(100000, 859999)}",
                is_default=k == 0,
            )
            if k == 0:
                self.address_of[i] = address_id

    # --- behaviour ---------------------------------------------------------------------------

    def random_times(self, customers: np.ndarray) -> np.ndarray:
        """Timestamps inside each customer's active window, following the daily rhythm."""
        start, end = self.start[customers], self.end[customers]
        uniform = start + self.rng.random(len(customers)) * (end - start)
        local_day = np.floor((uniform + CHINA_OFFSET) / DAY)
        hour = self.rng.choice(24, size=len(customers), p=HOURLY)
        t = local_day * DAY - CHINA_OFFSET + hour * HOUR + self.rng.random(len(customers)) * HOUR
        t = np.where(t >= end, t - DAY, t)  # the chosen hour has not come yet on the last day: the day before
        return np.where((t < start) | (t >= end), uniform, t)

    def build_orders(self) -> None:
        n = self.config.customers
        target = max(n // 10, self.config.interactions // 20)
        active_days = (self.end - self.start) / DAY
        rate = self.propensity * self.activity**0.5 * active_days
        rate[[cid - 1 for cid in WELL_KNOWN_PEOPLE]] = 0
        rate *= target / max(rate.sum(), 1e-9)
        counts = self.rng.poisson(rate)
        buyers = np.repeat(np.arange(n), counts)
        times = self.random_times(buyers)
        self.orders: list[_Order] = []
        sizes = 1 + np.minimum(self.rng.poisson(0.6, size=len(buyers)), 4)
        products = self.sample_products(np.repeat(buyers, sizes))
        cursor = 0
        for customer, placed, size in zip(buyers.tolist(), times.tolist(), sizes.tolist()):
            picked = list(dict.fromkeys(products[cursor : cursor + size].tolist()))
            cursor += size
            items = [(p, self.rand.randint(1, 3) if self.rows["products"][p]["consumable"] else 1) for p in picked]
            self.orders.append(_Order(0, customer + 1, self._random_plan(customer, placed), items))
        self.orders.sort(key=lambda o: o.plan.placed)
        reserved = {o.number for orders in WELL_KNOWN_ORDERS.values() for o in orders}
        numbers = self._order_numbers(len(self.orders), reserved)
        for order, number in zip(self.orders, numbers):
            order.id = self.next_id("orders")
            self._write_order(order, number)
        for cid, orders in WELL_KNOWN_ORDERS.items():
            for known in orders:
                items = [(self.first_in_leaf[slug], 1) for slug in known.leaves]
                order = _Order(self.next_id("orders"), cid, known.make_plan(self.now), items)
                self._write_order(order, known.number)
                refunds = [r["status"] for r in self.rows["refunds"] if r["order_id"] == order.id]
                if order.status != known.status or (known.refund_status and known.refund_status not in refunds):
                    raise AssertionError(
                        f"{known.number}: planned {known.status}/{known.refund_status}, got {order.status}/{refunds}"
                    )
                self.orders.append(order)

    def _order_numbers(self, count: int, reserved: set[str]) -> list[str]:
        numbers: list[str] = []
        seen = set(reserved)
        while len(numbers) < count:
            for value in self.rng.integers(10_000_000, 99_999_999, size=count - len(numbers) + 16).tolist():
                number = f"KL{value:08d}"
                if number not in seen and len(numbers) < count:
                    seen.add(number)
                    numbers.append(number)
        return numbers

    def _random_plan(self, customer: int, placed: float) -> _Plan:
        r = self.rand
        region = REGIONS[self.region[customer]]
        if r.random() < 0.04:
            return _Plan(
                placed=placed, paid=None, failed_attempt=r.random() < 0.5, cancelled=placed + r.uniform(1, 24) * HOUR
            )
        option = self.pick(
            [(c, w) for c, w in (("standard", 75), ("express", 20), ("same_day", 5)) if c in self.options[region.code]]
        )
        paid = placed + r.uniform(60, 900)
        if option == "same_day":
            shipped = paid + r.uniform(0.5, 2) * HOUR
            delivered = shipped + r.uniform(2, 6) * HOUR
        else:
            shipped = paid + r.uniform(4, 36) * HOUR
            low, high = region.standard_days if option == "standard" else region.express_days
            delivered = shipped + max(0.25, r.uniform(low - 0.3, high + 0.3)) * DAY
        plan = _Plan(
            placed=placed,
            paid=paid,
            failed_attempt=r.random() < 0.08,
            shipped=shipped,
            delivered=delivered,
            exception=r.random() < 0.02,
            invoice=r.random() < 0.18,
            option=option,
        )
        if plan.exception:
            plan.delivered = delivered = delivered + DAY
        if r.random() < 0.05:
            plan.cancelled = r.uniform(paid + 0.2 * HOUR, min(delivered - 0.1 * DAY, paid + 3 * DAY))
        elif r.random() < 0.08:
            plan.return_requested = return_requested = delivered + r.uniform(1, 10) * DAY
            plan.return_rejected = r.random() < 0.15
            if not plan.return_rejected:
                plan.returned = return_requested + r.uniform(2, 6) * DAY
        elif r.random() < 0.3:
            plan.review = self.pick(((5, 50), (4, 30), (3, 11), (2, 5), (1, 4)))
        return plan

    def _status(self, plan: _Plan) -> str:
        now = self.now
        if plan.cancelled is not None and plan.cancelled <= now:
            return "cancelled"
        if plan.returned is not None and plan.returned <= now:
            return "returned"
        for status, at in (("delivered", plan.delivered), ("shipped", plan.shipped), ("paid", plan.paid)):
            if at is not None and at <= now:
                return status
        return "placed"

    def _write_order(self, order: _Order, number: str) -> None:
        plan, now, i = order.plan, self.now, order.customer - 1
        order.status = status = self._status(plan)
        region = REGIONS[self.region[i]]
        option_id, fee, free_over, _, carrier = self.options[region.code][plan.option]
        subtotal = sum((self.rows["products"][p]["price"] * q for p, q in order.items), Decimal("0"))
        shipping = Decimal("0.00") if free_over is not None and subtotal >= free_over else fee
        discount = Decimal("0.00")
        if self.rand.random() < 0.15:
            discount = _money(min(subtotal * Decimal("0.1"), Decimal("50")))
        total = subtotal - discount + shipping
        cancel_fee = self._cancellation_fee(plan, total) if status == "cancelled" else None
        last = max(
            t
            for t in (plan.placed, plan.paid, plan.shipped, plan.delivered, plan.cancelled, plan.returned)
            if t is not None and t <= now
        )
        self.add(
            "orders",
            id=order.id,
            number=number,
            customer_id=order.customer,
            status=status,
            placed_at=_dt(plan.placed),
            updated_at=_dt(last),
            region_code=region.code,
            delivery_option_id=option_id,
            shipping_address_id=self.address_of[i],
            subtotal=subtotal,
            shipping_fee=shipping,
            discount=discount,
            total=total,
            cancellation_fee=cancel_fee,
        )
        for product, quantity in order.items:
            self.add(
                "order_items",
                order_id=order.id,
                product_id=product + 1,
                quantity=quantity,
                unit_price=self.rows["products"][product]["price"],
            )
        events: list[tuple[str, float | None, str | None]] = [
            ("placed", plan.placed, None),
            ("paid", plan.paid, None),
            ("shipped", plan.shipped, None),
            ("delivered", plan.delivered, None),
        ]
        if status == "cancelled":
            assert plan.cancelled is not None
            events = [e for e in events if e[1] is not None and e[1] < plan.cancelled]
            events.append(
                ("cancelled", plan.cancelled, "payment not completed" if plan.paid is None else "cancelled by customer")
            )
        elif status == "returned":
            events.append(("returned", plan.returned, "return received at the warehouse"))
        for event_status, at, note in events:
            if at is not None and at <= now:
                self.add("order_status_events", order_id=order.id, status=event_status, occurred_at=_dt(at), note=note)
        self._payments(order.id, plan, total, status)
        shipped = plan.shipped
        if shipped is not None and shipped <= now and (plan.cancelled is None or plan.cancelled > shipped):
            self._shipment(order.id, plan, carrier, region, self.rows["addresses"][self.address_of[i] - 1]["city"])
        self._refunds(order.id, plan, status, total, cancel_fee)
        if plan.invoice and plan.paid is not None and plan.paid <= now:
            self._invoice(order.id, plan, total, status, i)

    def _cancellation_fee(self, plan: _Plan, total: Decimal) -> Decimal:
        assert plan.cancelled is not None
        if plan.paid is None or plan.paid > plan.cancelled:
            return _money(0)
        if plan.shipped is not None and plan.shipped <= plan.cancelled:
            return max(_money(total * Decimal("0.10")), _money(15))
        if plan.cancelled - plan.paid > 24 * HOUR:
            return max(_money(total * Decimal("0.03")), _money(5))
        return _money(0)

    def _payments(self, order_id: int, plan: _Plan, total: Decimal, status: str) -> None:
        method = self.pick(PAYMENT_METHODS)
        if plan.failed_attempt:
            self.add(
                "payments",
                order_id=order_id,
                method=method,
                amount=total,
                status="failed",
                failure_reason=self.rand.choice(PAYMENT_FAILURES),
                transaction_ref=self._ref(),
                created_at=_dt(plan.placed + 40),
            )
        if plan.paid is None:
            if not plan.failed_attempt or status == "cancelled":
                self.add(
                    "payments",
                    order_id=order_id,
                    method=method,
                    amount=total,
                    status="failed" if status == "cancelled" else "pending",
                    failure_reason="order cancelled" if status == "cancelled" else None,
                    transaction_ref=self._ref(),
                    created_at=_dt(plan.placed + 60),
                )
            return
        if plan.paid > self.now:
            self.add(
                "payments",
                order_id=order_id,
                method=method,
                amount=total,
                status="pending",
                failure_reason=None,
                transaction_ref=self._ref(),
                created_at=_dt(plan.placed + 60),
            )
            return
        refunded = status == "returned" or (
            status == "cancelled" and plan.cancelled is not None and plan.cancelled + DAY <= self.now
        )
        self.add(
            "payments",
            order_id=order_id,
            method=method,
            amount=total,
            status="refunded" if refunded else "succeeded",
            failure_reason=None,
            transaction_ref=self._ref(),
            created_at=_dt(plan.paid),
        )

    def _ref(self) -> str:
        return f"TX{self.next_id('transaction'):010d}{self.rand.randint(0, 9999):04d}"

    def _shipment(self, order_id: int, plan: _Plan, carrier: str, region: Region, city: str) -> None:
        assert plan.shipped is not None and plan.delivered is not None
        now = self.now
        prefix = {"SF Express": "SF", "SF Same-Day": "SF", "ZTO Express": "7"}[carrier]
        tracking = f"{prefix}{order_id:07d}{self.rand.randint(0, 999_999):06d}"
        fmt = {
            "carrier": carrier,
            "carrier_zh": CARRIER_ZH[carrier],
            "origin": region.warehouse_en,
            "origin_zh": region.warehouse_zh,
            "city": CITY_EN[city],
            "city_zh": city,
        }
        span = plan.delivered - plan.shipped
        moments = [
            plan.shipped - self.rand.uniform(1, 4) * HOUR,
            plan.shipped,
            plan.shipped + span * 0.2,
            plan.shipped + span * 0.7,
            plan.delivered - min(span * 0.1, 3 * HOUR),
            plan.delivered,
        ]
        steps: list[tuple[float, str, str, str, str, str]] = []
        for (step_status, en, zh), at in zip(TRACKING_STEPS, moments):
            location_en = region.warehouse_en if at < plan.shipped + span * 0.5 else CITY_EN[city]
            location_zh = region.warehouse_zh if at < plan.shipped + span * 0.5 else city
            steps.append((at, step_status, location_en, location_zh, en.format(**fmt), zh.format(**fmt)))
        if plan.exception:
            at = plan.shipped + span * 0.5
            steps.insert(
                3,
                (
                    at,
                    "exception",
                    CITY_EN[city],
                    city,
                    "Delayed by bad weather, one day late",
                    "因天气原因延误，预计晚一天送达",
                ),
            )
        if plan.cancelled is not None and plan.cancelled < plan.delivered:
            steps = [s for s in steps if s[0] < plan.cancelled]
            steps.append(
                (
                    plan.cancelled + 2 * HOUR,
                    "returned",
                    region.warehouse_en,
                    region.warehouse_zh,
                    "Intercepted at the customer's request and returned to the warehouse",
                    "应客户要求已拦截，退回仓库",
                )
            )
        happened = [s for s in steps if s[0] <= now]
        status = happened[-1][1] if happened else "label_created"
        shipment_id = self.add(
            "shipments",
            order_id=order_id,
            carrier=carrier,
            tracking_number=tracking,
            status=status,
            shipped_at=_dt(plan.shipped),
            estimated_delivery=_dt(
                plan.shipped
                + CHINA_OFFSET
                + {"standard": region.standard_days[1], "express": region.express_days[1], "same_day": 0}[plan.option]
                * DAY
            ).date(),
            delivered_at=_dt(plan.delivered) if status == "delivered" else None,
        )
        for at, step_status, location_en, location_zh, en, zh in happened:
            self.add(
                "tracking_events",
                shipment_id=shipment_id,
                occurred_at=_dt(at),
                status=step_status,
                location_en=location_en,
                location_zh=location_zh,
                description_en=en,
                description_zh=zh,
            )

    def _refunds(self, order_id: int, plan: _Plan, status: str, total: Decimal, fee: Decimal | None) -> None:
        now = self.now
        paid_then_cancelled = plan.paid is not None and plan.cancelled is not None and plan.paid < plan.cancelled
        if status == "cancelled" and paid_then_cancelled:
            assert plan.cancelled is not None
            amount = total - (fee or 0)
            if amount > 0:
                done = plan.cancelled + DAY <= now
                self.add(
                    "refunds",
                    number=f"RF{self.next_id('refund_number'):08d}",
                    order_id=order_id,
                    kind="refund_only",
                    reason="order cancelled",
                    amount=amount,
                    status="completed" if done else "approved",
                    requested_at=_dt(plan.cancelled),
                    resolved_at=_dt(plan.cancelled + DAY) if done else None,
                )
        if plan.return_requested is None or plan.return_requested > now:
            return
        decided = plan.return_requested + DAY <= now
        if plan.return_rejected:
            refund_status, resolved = ("rejected", _dt(plan.return_requested + DAY)) if decided else ("requested", None)
        elif plan.returned is not None and plan.returned <= now:
            refund_status, resolved = "completed", _dt(plan.returned)
        else:
            refund_status, resolved = ("approved" if decided else "requested"), None
        self.add(
            "refunds",
            number=f"RF{self.next_id('refund_number'):08d}",
            order_id=order_id,
            kind="return_and_refund",
            reason=self.rand.choice(RETURN_REASONS),
            amount=total,
            status=refund_status,
            requested_at=_dt(plan.return_requested),
            resolved_at=resolved,
        )

    def _invoice(self, order_id: int, plan: _Plan, total: Decimal, status: str, i: int) -> None:
        assert plan.paid is not None
        requested = min(plan.paid + self.rand.uniform(0, 3) * DAY, self.now - 60)
        issued = requested + self.rand.uniform(1, 48) * HOUR
        company = self.rand.random() < 0.2
        invoice_status = (
            "voided" if status in ("cancelled", "returned") else "issued" if issued <= self.now else "requested"
        )
        self.add(
            "invoices",
            number=f"INV{self.next_id('invoice_number'):09d}",
            order_id=order_id,
            kind="electronic" if self.rand.random() < 0.85 else "paper",
            title=self.rand.choice(COMPANIES) if company else self.names[i],
            tax_id=f"91{self.rand.randint(10**15, 10**16 - 1)}" if company else None,
            amount=total,
            status=invoice_status,
            requested_at=_dt(requested),
            issued_at=_dt(issued) if invoice_status != "requested" else None,
        )

    # --- interactions, reviews ---------------------------------------------------------------

    def build_interactions(self) -> None:
        weights = INTERACTION_WEIGHTS
        rows = self.rows["interactions"]
        channels = self.main_channel
        for order in self.orders:
            plan, cid = order.plan, order.customer
            channel = str(channels[cid - 1])
            for product, _ in order.items:
                viewed = plan.placed - self.rand.uniform(600, 3 * DAY)
                rows.append(
                    dict(
                        customer_id=cid,
                        product_id=product + 1,
                        kind="view",
                        weight=weights[InteractionKind.VIEW],
                        channel=channel,
                        occurred_at=_dt(max(viewed, self.start[cid - 1])),
                    )
                )
                rows.append(
                    dict(
                        customer_id=cid,
                        product_id=product + 1,
                        kind="add_to_cart",
                        weight=weights[InteractionKind.ADD_TO_CART],
                        channel=channel,
                        occurred_at=_dt(plan.placed - self.rand.uniform(60, 3600)),
                    )
                )
                if plan.paid is not None and plan.paid <= self.now:
                    rows.append(
                        dict(
                            customer_id=cid,
                            product_id=product + 1,
                            kind="purchase",
                            weight=weights[InteractionKind.PURCHASE],
                            channel=channel,
                            occurred_at=_dt(plan.paid),
                        )
                    )
            if plan.review is not None and order.status == "delivered" and plan.delivered is not None:
                at = plan.delivered + self.rand.uniform(0.5, 10) * DAY
                if at <= self.now:
                    product = order.items[0][0]
                    self._review(cid, product, order.id, plan.review, at)
                    rows.append(
                        dict(
                            customer_id=cid,
                            product_id=product + 1,
                            kind="rating",
                            weight=rating_weight(plan.review),
                            channel=channel,
                            occurred_at=_dt(at),
                        )
                    )
        budget = max(0, self.config.interactions - len(rows))
        activity = self.activity * (self.end - self.start) / DAY
        counts = self.rng.multinomial(budget, activity / activity.sum())
        customers = np.repeat(np.arange(self.config.customers), counts)
        products = self.sample_products(customers)
        times = self.random_times(customers)
        kinds = self.rng.choice(len(BROWSE_KINDS), size=len(customers), p=BROWSE_SHARES)
        other = self.rng.random(len(customers)) < 0.2
        for c, p, t, k, o in zip(customers.tolist(), products.tolist(), _dts(times), kinds.tolist(), other.tolist()):
            kind = BROWSE_KINDS[k]
            channel = str(channels[c])
            if o:
                channel = "wechat" if channel == "web" and self.language[c] == "zh" else "web"
            rows.append(
                dict(
                    customer_id=c + 1,
                    product_id=p + 1,
                    kind=kind,
                    weight=weights[InteractionKind(kind)],
                    channel=channel,
                    occurred_at=t,
                )
            )
        rows.sort(key=lambda r: r["occurred_at"])
        for index, row in enumerate(rows, start=1):
            row["id"] = index

    def _review(self, cid: int, product: int, order_id: int, stars: int, at: float) -> None:
        language = str(self.language[cid - 1])
        english, chinese = REVIEWS[stars]
        kind_en, kind_zh = self.kind_of[product]
        body = self.rand.choice(english if language == "en" else chinese)
        self.add(
            "reviews",
            customer_id=cid,
            product_id=product + 1,
            order_id=order_id,
            rating=stars,
            language=language,
            body=body.format(kind=kind_en.lower() if language == "en" else kind_zh),
            created_at=_dt(at),
        )

    # --- support, consent, newsletter ---------------------------------------------------------

    def build_support(self) -> None:
        orders_of: dict[int, list[_Order]] = defaultdict(list)
        for order in self.orders:
            orders_of[order.customer].append(order)
        self.orders_of = orders_of
        n = self.config.customers
        for i in range(n):
            cid = i + 1
            if self.end[i] <= self.start[i] and cid not in orders_of:
                continue
            count = self.rng.poisson(0.45) + (1 if cid in WELL_KNOWN_PEOPLE else 0)
            for _ in range(count):
                self._conversation(cid, float(self.random_times(np.array([i]))[0]))
            if orders_of[cid] and (self.rand.random() < 0.08 or cid in WELL_KNOWN_PEOPLE):
                self._ticket(cid, self.rand.choice(orders_of[cid]))
        self._conversation(LI, self.now - 20 * 60, topic="contact_human_agent")  # waiting in the staff inbox

    def _conversation(self, cid: int, started: float, topic: str | None = None) -> None:
        i = cid - 1
        language = str(self.language[i])
        topic = topic or self.pick(CONVERSATION_TOPICS)
        orders = [o for o in self.orders_of.get(cid, []) if o.plan.placed < started]
        phrases = CONVERSATIONS[topic][language]
        said, answered = self.rand.choice(phrases)
        if "{order}" in said and not orders:
            topic = "recommend_products"
            said, answered = self.rand.choice(CONVERSATIONS[topic][language])
        region = REGIONS[self.region[i]]
        fmt = {
            "order": self._number_of(orders[-1]) if orders else "",
            "days": f"{region.standard_days[0]}–{region.standard_days[1]}",
        }
        channel = "wechat" if (cid, "wechat") in self.identity_of and self.main_channel[i] == "wechat" else "web"
        sender_id = self.identity_of.get((cid, channel))
        human = topic in ("contact_human_agent", "complaint") or self.rand.random() < 0.06
        recent = started > self.now - 6 * HOUR  # still going on, or waiting for an agent
        conversation_id = self.next_id("conversations")
        t = started
        messages = [
            ("customer", said.format(**fmt), topic, round(self.rand.uniform(0.72, 0.99), 3)),
            ("bot", answered.format(**fmt), None, None),
        ]
        agent = self.rand.choice(AGENTS)
        if human and not recent:
            messages.append(
                (
                    "agent",
                    f"Hi, this is {agent.split('.')[1].title()} from customer service. Let me help."
                    if language == "en"
                    else "您好，我是人工客服，马上为您处理。",
                    None,
                    None,
                )
            )
        for author, body, intent, confidence in messages:
            self.add(
                "messages",
                conversation_id=conversation_id,
                sender=author,
                text=body,
                intent=intent,
                confidence=confidence,
                entities=[{"entity": "order_id", "value": fmt["order"]}]
                if intent and fmt["order"] and fmt["order"] in body
                else None,
                created_at=_dt(t),
            )
            t += self.rand.uniform(5, 90)
        if recent:
            status, ended = ("handed_off" if human else "open"), None
        elif human:
            status, ended = "resolved_by_agent", t + self.rand.uniform(5, 40) * 60
        else:
            status = "abandoned" if self.rand.random() < 0.1 else "resolved_by_bot"
            ended = t + 60
        self.rows["conversations"].append(
            dict(
                id=conversation_id,
                customer_id=cid,
                channel=channel,
                sender_key=None if sender_id is None else sender_key(channel, sender_id),
                language=language,
                status=status,
                started_at=_dt(started),
                ended_at=None if ended is None else _dt(min(ended, self.now)),
            )
        )
        if human:
            closed = not recent
            self.add(
                "handoff_requests",
                conversation_id=conversation_id,
                customer_id=cid,
                reason=topic if topic in ("contact_human_agent", "complaint") else "fallback",
                status="closed" if closed else "waiting",
                agent=agent if closed else None,
                requested_at=_dt(started + 30),
                assigned_at=_dt(started + 90) if closed else None,
                closed_at=None if ended is None else _dt(min(ended, self.now)),
            )
        self.last_contact[cid] = max(self.last_contact.get(cid, 0.0), started)

    def _number_of(self, order: _Order) -> str:
        return self.rows["orders"][order.id - 1]["number"]

    def _ticket(self, cid: int, order: _Order) -> None:
        language = str(self.language[cid - 1])
        category = self.pick(
            (
                ("delivery", 30),
                ("refund", 18),
                ("product", 15),
                ("payment", 8),
                ("account", 6),
                ("complaint", 10),
                ("order", 9),
                ("other", 4),
            )
        )
        created = min(order.plan.placed + self.rand.uniform(0.5, 8) * DAY, self.now - 600)
        age = (self.now - created) / DAY
        if age > 14:
            status = self.pick((("resolved", 70), ("closed", 25), ("pending", 5)))
        elif age > 3:
            status = self.pick((("resolved", 50), ("pending", 30), ("open", 20)))
        else:
            status = self.pick((("open", 60), ("pending", 40)))
        priority = (
            self.pick((("high", 60), ("urgent", 40)))
            if category == "complaint"
            else self.pick((("low", 20), ("normal", 60), ("high", 20)))
        )
        resolved = (
            created + self.rand.uniform(2 * HOUR, min(5 * DAY, self.now - created))
            if status in ("resolved", "closed")
            else None
        )
        kind_en, kind_zh = self.kind_of[order.items[0][0]]
        en, zh = TICKET_SUBJECTS[category]
        subject = (en if language == "en" else zh).format(
            order=self._number_of(order), kind=kind_en.lower() if language == "en" else kind_zh
        )
        self.add(
            "tickets",
            number=f"TK{self.next_id('ticket_number'):08d}",
            customer_id=cid,
            order_id=order.id,
            channel="wechat" if self.main_channel[cid - 1] == "wechat" else "web",
            category=category,
            priority=priority,
            status=status,
            subject=subject,
            assignee=self.rand.choice(AGENTS) if status != "open" else None,
            created_at=_dt(created),
            updated_at=_dt(resolved if resolved else created),
            resolved_at=None if resolved is None else _dt(resolved),
        )

    def build_customers_rows(self) -> None:
        spend: dict[int, Decimal] = defaultdict(Decimal)
        last_order: dict[int, float] = {}
        for order, row in zip(self.orders, (self.rows["orders"][o.id - 1] for o in self.orders)):
            if order.status in ("paid", "shipped", "delivered"):
                spend[order.customer] += row["total"]
            last_order[order.customer] = max(last_order.get(order.customer, 0.0), order.plan.placed)
        last_interaction: dict[int, datetime] = {}
        for row in self.rows["interactions"]:
            last_interaction[row["customer_id"]] = row["occurred_at"]
        for i in range(self.config.customers):
            cid = i + 1
            well_known = cid in WELL_KNOWN_PEOPLE
            marketing = well_known or self.rand.random() < 0.45
            personalization = well_known or self.rand.random() < 0.88
            created = _dt(self.created[i])
            for purpose, granted in (("marketing", marketing), ("personalization", personalization)):
                if granted:
                    self.add(
                        "consent_events",
                        customer_id=cid,
                        purpose=purpose,
                        granted=True,
                        source="signup",
                        occurred_at=created,
                    )
            if personalization and not well_known and self.rand.random() < 0.05:
                personalization = False
                self.add(
                    "consent_events",
                    customer_id=cid,
                    purpose="personalization",
                    granted=False,
                    source="account-settings",
                    occurred_at=_dt(self.created[i] + self.rand.uniform(0.2, 0.9) * (self.now - self.created[i])),
                )
            if marketing:
                for topic in self.rand.sample(NEWSLETTER_TOPICS, self.rand.randint(1, 3)):
                    since = _dt(self.created[i] + self.rand.uniform(0, 0.3) * (self.now - self.created[i]))
                    stopped = self.rand.random() < 0.1 and not well_known
                    self.add(
                        "newsletter_subscriptions",
                        customer_id=cid,
                        topic=topic,
                        channel=("email" if self.language[i] == "en" else self.pick((("wechat", 70), ("email", 30)))),
                        status="unsubscribed" if stopped else "subscribed",
                        created_at=since,
                        updated_at=_dt(self.now - self.rand.uniform(1, 60) * DAY) if stopped else since,
                    )
            total = spend.get(cid, Decimal("0"))
            tier = (
                "platinum" if total >= 8000 else "gold" if total >= 3000 else "silver" if total >= 1000 else "standard"
            )
            seen = [created]
            if cid in last_interaction:
                seen.append(last_interaction[cid])
            for at in (last_order.get(cid), self.last_contact.get(cid)):
                if at is not None:
                    seen.append(_dt(at))
            self.add(
                "customers",
                id=cid,
                name=self.names[i],
                preferred_language=str(self.language[i]),
                tier=tier,
                created_at=created,
                last_seen_at=max(seen),
                marketing_consent=marketing,
                personalization_consent=personalization,
                lifecycle_stage="prospect",
                segment=None,
                rfm=None,
                churn_probability=None,
                churn_risk=None,
                clv=None,
                scored_at=None,
                erased_at=None,
            )

    def stages(self) -> list[tuple[str, Callable[[], None]]]:
        """The generation steps, in order (each needs the ones before it)."""
        self.last_contact: dict[int, float] = {}
        return [
            ("reference data", self.build_reference),
            ("catalogue", self.build_catalogue),
            ("customers", self.build_customers),
            ("orders", self.build_orders),
            ("interactions", self.build_interactions),
            ("support", self.build_support),
            ("consent and newsletters", self.build_customers_rows),
            ("quick replies", self.build_quick_replies),
        ]

    def build_quick_replies(self) -> None:
        """The support team's canned replies (agent workspace): a shortcut, a title, both languages."""
        for shortcut, title, text_zh, text_en in DEMO_QUICK_REPLIES:
            self.add(
                "quick_replies",
                shortcut=shortcut,
                title=title,
                text_zh=text_zh,
                text_en=text_en,
                created_by="demo",
                created_at=self.now_dt,
                updated_by="demo",
                updated_at=self.now_dt,
            )

    def build(self) -> None:
        for _, step in self.stages():
            step()


# Shortcut, title, Chinese text, English text; variables are filled from the conversation when an agent inserts one.
DEMO_QUICK_REPLIES = (
    (
        "hello",
        "问候 Greeting",
        "{customer_name}您好，我是{agent_name}，很高兴为您服务！请问有什么可以帮您？",
        "Hello {customer_name}, this is {agent_name} of customer service. How can I help you?",
    ),
    (
        "order",
        "查询订单 Checking an order",
        "{customer_name}您好，您的订单 {order_number} 我正在为您查询，请稍等一下哦。",
        "Hi {customer_name}, I'm looking up your order {order_number} now, one moment please.",
    ),
    (
        "refund",
        "退款进度 Refund timing",
        "您的订单 {order_number} 的退款已提交，原路退回一般需要 1-3 个工作日到账，请留意。",
        "The refund for order {order_number} has been submitted; it usually reaches your original payment "
        "method within 1-3 working days.",
    ),
    (
        "photo",
        "请发照片 Asking for a photo",
        "麻烦您拍一张商品问题部位的照片发给我，方便我们尽快为您处理。",
        "Could you send me a photo of the problem with the item? It helps us sort it out quickly.",
    ),
    (
        "wait",
        "请稍等 One moment",
        "好的，我这边需要核实一下，请您稍等 2 分钟。",
        "Sure, I need to check a few things; please give me 2 minutes.",
    ),
    (
        "bye",
        "结束语 Closing",
        "感谢您的耐心，{customer_name}！如果还有其他问题随时联系我们，祝您生活愉快～",
        "Thank you for your patience, {customer_name}! Contact us any time if anything else comes up.",
    ),
)


INSERT_ORDER = (
    "delivery_regions",
    "delivery_options",
    "cancellation_fee_rules",
    "categories",
    "products",
    "customers",
    "identities",
    "addresses",
    "consent_events",
    "newsletter_subscriptions",
    "orders",
    "order_items",
    "order_status_events",
    "payments",
    "shipments",
    "tracking_events",
    "invoices",
    "refunds",
    "reviews",
    "tickets",
    "conversations",
    "messages",
    "handoff_requests",
    "interactions",
    "quick_replies",
)


# Big tables whose secondary indexes are built after the bulk load (faster than maintaining them per row).
LATE_INDEXED = ("interactions", "tracking_events", "order_status_events")


def is_empty(connection: Connection) -> bool:
    return not connection.scalar(select(func.count()).select_from(Customer)) and not connection.scalar(
        select(func.count()).select_from(Product)
    )


def clear(connection: Connection) -> None:
    """Delete every row of every CRM table (the schema and its migration stamp stay)."""
    tables = Base.metadata.sorted_tables
    if connection.dialect.name == "postgresql":
        connection.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        return
    for table in reversed(tables):
        connection.execute(table.delete())


def _insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    connection.execute(insert(table), rows)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _copy(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY, a few times faster than multi-row inserts; values go through the column types'
    own bind processing (encryption, enumerations), exactly as an INSERT would."""
    columns = [column for column in table.columns if column.name in rows[0]]
    processors = [
        (_json if isinstance(column.type, JSON) else column.type.bind_processor(connection.dialect))
        for column in columns
    ]
    import psycopg  # the PostgreSQL driver, there whenever this runs

    names = ", ".join(f'"{column.name}"' for column in columns)
    dbapi = connection.connection.dbapi_connection
    assert isinstance(dbapi, psycopg.Connection)
    with dbapi.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    row[c.name] if p is None or row[c.name] is None else p(row[c.name])
                    for c, p in zip(columns, processors)
                ]
            )


def _sync_sequences(connection: Connection) -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's id sequences past them."""
    if connection.dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def generate(
    engine: Engine, config: DemoConfig = DemoConfig(), *, reset: bool = False, show_progress: bool = True
) -> DemoSummary:
    """Fill an empty (or, with `reset`, emptied) CRM database with the demo shop, in one transaction."""
    config.validate()
    started = time.perf_counter()
    with engine.connect() as connection:
        empty = is_empty(connection)
    if not empty and not reset:
        raise DatabaseNotEmpty(
            "the CRM database already holds data; `python -m crm demo --reset` replaces it with the demo shop"
        )
    shop = _Shop(config)
    with tqdm(shop.stages(), desc="demo", unit="step", disable=not show_progress, leave=False) as steps:
        for name, step in steps:
            steps.set_description(f"demo: {name}")
            step()
    total = sum(len(shop.rows[name]) for name in INSERT_ORDER)
    late_indexes = [index for name in LATE_INDEXED for index in Base.metadata.tables[name].indexes]
    with (
        engine.begin() as connection,
        tqdm(
            total=total, desc="demo: writing", unit="row", unit_scale=True, disable=not show_progress, leave=False
        ) as bar,
    ):
        if not empty:
            clear(connection)
        for index in late_indexes:
            index.drop(connection)
        write = _copy if connection.dialect.name == "postgresql" else _insert
        for name in INSERT_ORDER:
            rows = shop.rows[name]
            for start in range(0, len(rows), 20_000):
                chunk = rows[start : start + 20_000]
                write(connection, Base.metadata.tables[name], chunk)
                bar.update(len(chunk))
        for index in late_indexes:
            index.create(connection)
        _sync_sequences(connection)
        connection.execute(text("ANALYZE"))  # planner statistics for the new data, before anyone queries it
    return DemoSummary(
        {name: len(shop.rows[name]) for name in INSERT_ORDER}, time.perf_counter() - started, shop.now_dt
    )
