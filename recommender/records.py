"""Record types the recommender consumes.

They mirror `crm.export.InteractionRecord` / `ProductRecord` field for field, so CRM records,
CSV rows and test fixtures all flow through the same code; the recommender core never imports
`crm` (imports point one way: crm -> recommender is forbidden, recommender reads crm lazily).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

INTERACTION_KINDS = (
    "view",
    "click",
    "add_to_cart",
    "purchase",
    "chat_mention",
    "rec_impression",
    "rec_click",
    "rating",
)


class InteractionLike(Protocol):
    """Read only: a frozen record, an ORM row or a CSV row all qualify."""

    @property
    def customer_id(self) -> Any: ...
    @property
    def product_id(self) -> Any: ...
    @property
    def kind(self) -> str: ...
    @property
    def weight(self) -> float | None: ...
    @property
    def occurred_at(self) -> datetime | None: ...


class ProductLike(Protocol):
    """Read only, like `InteractionLike`."""

    @property
    def product_id(self) -> Any: ...
    @property
    def sku(self) -> str: ...
    @property
    def name_en(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def description_en(self) -> str: ...
    @property
    def description_zh(self) -> str: ...
    @property
    def category_en(self) -> str: ...
    @property
    def category_zh(self) -> str: ...
    @property
    def category_path(self) -> tuple[str, ...]: ...
    @property
    def brand(self) -> str: ...
    @property
    def price(self) -> float: ...
    @property
    def stock(self) -> int: ...
    @property
    def active(self) -> bool: ...
    @property
    def consumable(self) -> bool: ...


@dataclass(frozen=True)
class InteractionRecord:
    customer_id: Any
    product_id: Any
    kind: str
    weight: float = 1.0
    occurred_at: datetime | None = None
    channel: str = "web"


@dataclass(frozen=True)
class ProductRecord:
    product_id: Any
    sku: str
    name_en: str
    name_zh: str
    description_en: str = ""
    description_zh: str = ""
    category_en: str = ""
    category_zh: str = ""
    category_path: tuple[str, ...] = field(default_factory=tuple)
    brand: str = ""
    price: float = 0.0
    stock: int = 0
    active: bool = True
    consumable: bool = False
    created_at: datetime | None = None

    @classmethod
    def from_record(cls, record: ProductLike | ProductRecord | dict[str, Any]) -> ProductRecord:
        """Copy any object with the CRM's product fields (ORM row, export record, dict-like)."""
        if isinstance(record, ProductRecord):
            return record
        if isinstance(record, dict):
            data = dict(record)
            data["category_path"] = tuple(data.get("category_path") or ())
            known = {f for f in cls.__dataclass_fields__}
            return cls(**{k: v for k, v in data.items() if k in known})
        return cls(
            product_id=record.product_id,
            sku=record.sku,
            name_en=record.name_en or "",
            name_zh=record.name_zh or "",
            description_en=getattr(record, "description_en", "") or "",
            description_zh=getattr(record, "description_zh", "") or "",
            category_en=getattr(record, "category_en", "") or "",
            category_zh=getattr(record, "category_zh", "") or "",
            category_path=tuple(getattr(record, "category_path", ()) or ()),
            brand=getattr(record, "brand", "") or "",
            price=float(getattr(record, "price", 0.0) or 0.0),
            stock=int(getattr(record, "stock", 0) or 0),
            active=bool(getattr(record, "active", True)),
            consumable=bool(getattr(record, "consumable", False)),
            created_at=getattr(record, "created_at", None),
        )

    def name(self, language: str) -> str:
        if language == "zh":
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    def category(self, language: str) -> str:
        if language == "zh":
            return self.category_zh or self.category_en
        return self.category_en or self.category_zh

    def text(self, language: str) -> str:
        """The text a shopper's words are matched against, in one language."""
        if language == "zh":
            parts = [self.name_zh, self.category_zh, self.brand, self.description_zh]
        else:
            parts = [self.name_en, self.category_en, self.brand, self.description_en]
        return " ".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["category_path"] = list(self.category_path)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProductRecord:
        data = dict(data)
        created = data.get("created_at")
        data["created_at"] = datetime.fromisoformat(created) if created else None
        return cls.from_record(data)
