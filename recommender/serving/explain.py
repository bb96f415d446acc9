"""Why a product is recommended, in the customer's language.

For personal recommendations the reasons are the customer's own products that contributed most
to the ALS score (implicit's `explain`); the verb follows how the customer met that product
("because you bought X" / "因为您购买过 X", "because you viewed X" / "因为您浏览过 X").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recommender.data import KIND_CODES

# (English verb phrase, Chinese verb phrase) per kind of interaction; {names} is filled in.
_BY_KIND: dict[str, tuple[str, str]] = {
    "purchase": ("bought {names}", "购买过{names}"),
    "add_to_cart": ("added {names} to your cart", "把{names}加入过购物车"),
    "view": ("viewed {names}", "浏览过{names}"),
    "click": ("viewed {names}", "浏览过{names}"),
    "rec_click": ("looked at {names}", "查看过{names}"),
    "chat_mention": ("asked about {names}", "咨询过{names}"),
    "rating": ("rated {names}", "评价过{names}"),
}
_UNKNOWN_KIND = ("liked {names}", "喜欢{names}")
_POPULAR = ("popular with other customers", "其他顾客都在买")
_MATCH = ("matches what you asked for", "符合您的需求")
_SIMILAR = ("similar to {name}", "与{name}相似")
_NEW = ("new arrival like products you liked", "与您喜欢的商品相似的新品")
_KIND_NAMES = {code: kind for kind, code in KIND_CODES.items()}


def kind_name(stored_code: int) -> str | None:
    """Kinds are stored as code + 2 (see training.kinds_matrix); 1 means unknown."""
    return _KIND_NAMES.get(int(stored_code) - 2)


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "zh" else pair[0]


def because(items: list[tuple[str | None, str]], language: str) -> str:
    """ "because you bought X and Y and viewed Z" / "因为您购买过“X”和“Y”，浏览过“Z”" from
    (kind, product name) pairs, most important first."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for kind, name in items:
        grouped.setdefault(_BY_KIND.get(kind or "", _UNKNOWN_KIND), []).append(
            f"“{name}”" if language == "zh" else name
        )
    clauses = [
        _pick(template, language).format(names=("和" if language == "zh" else " and ").join(names))
        for template, names in grouped.items()
    ]
    if language == "zh":
        return "因为您" + "，".join(clauses)
    return "because you " + " and ".join(clauses)


def popular(language: str) -> str:
    return _pick(_POPULAR, language)


def matches_request(language: str) -> str:
    return _pick(_MATCH, language)


def similar_to(name: str, language: str) -> str:
    name = f"“{name}”" if language == "zh" else name
    return _pick(_SIMILAR, language).format(name=name)


def new_arrival(language: str) -> str:
    return _pick(_NEW, language)


@dataclass(frozen=True)
class Contribution:
    product_id: object
    name: str
    kind: str | None
    share: float


@dataclass(frozen=True)
class Explanation:
    customer_id: object
    product_id: object
    text: str
    score: float
    contributions: tuple[Contribution, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        return self.text


def join_reasons(reasons: list[str], language: str) -> str:
    """Independent reasons ("matches what you asked for", "because you ...") in one line."""
    return ("，" if language == "zh" else "; ").join(r for r in reasons if r)
