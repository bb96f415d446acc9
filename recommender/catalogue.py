"""The product catalogue as arrays, so business filters are one vectorised mask."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from recommender.records import ProductLike, ProductRecord


class Catalogue:
    """Products in a fixed order; row i of every item matrix is products[i]."""

    def __init__(self, products: Iterable[ProductLike | ProductRecord]) -> None:
        self.products: list[ProductRecord] = [ProductRecord.from_record(p) for p in products]
        self.row_of: dict[str, int] = {}
        for row, product in enumerate(self.products):
            key = str(product.product_id)
            if key in self.row_of:
                raise ValueError(f"product id {product.product_id!r} appears twice in the catalogue")
            self.row_of[key] = row
        self._refresh()

    @classmethod
    def from_ids(cls, ids: Sequence[object]) -> Catalogue:
        """A bare catalogue for interaction files without product data (e.g. MovieLens)."""
        return cls(ProductRecord(product_id=i, sku=str(i), name_en=str(i), name_zh=str(i), stock=1) for i in ids)

    def _refresh(self) -> None:
        self.price = np.asarray([p.price for p in self.products], dtype=np.float64)
        self.stock = np.asarray([p.stock for p in self.products], dtype=np.int64)
        self.active = np.asarray([p.active for p in self.products], dtype=bool)
        self.consumable = np.asarray([p.consumable for p in self.products], dtype=bool)
        self.group = np.asarray([self._group(p) for p in self.products], dtype=object)
        self.has_text = any(p.description_en or p.description_zh or p.category_en for p in self.products)
        rows_by_category: dict[str, list[int]] = {}
        for row, p in enumerate(self.products):
            for name in {p.category_en, p.category_zh, *p.category_path}:
                if name:
                    rows_by_category.setdefault(name.strip().lower(), []).append(row)
        self._category_rows = {name: np.asarray(rows) for name, rows in rows_by_category.items()}

    @staticmethod
    def _group(product: ProductRecord) -> str:
        """The category used for diversity: the leaf category (most specific known)."""
        if product.category_path:
            return " / ".join(product.category_path)
        return product.category_en or product.category_zh or ""

    def __len__(self) -> int:
        return len(self.products)

    def add(self, products: Iterable[ProductLike | ProductRecord]) -> list[int]:
        rows: list[int] = []
        for product in products:
            record = ProductRecord.from_record(product)
            key = str(record.product_id)
            if key in self.row_of:
                raise ValueError(f"product id {record.product_id!r} is already in the catalogue")
            self.row_of[key] = len(self.products)
            rows.append(len(self.products))
            self.products.append(record)
        self._refresh()
        return rows

    def row(self, product_id: object) -> int | None:
        return self.row_of.get(str(product_id))

    def category_mask(self, category: str) -> np.ndarray:
        """Products whose category (either language, any level of the path) matches."""
        mask = np.zeros(len(self), dtype=bool)
        rows = self._category_rows.get(category.strip().lower())
        if rows is not None:
            mask[rows] = True
        return mask

    def mask(
        self,
        category: str | Sequence[str] | None = None,
        min_price: float | None = None,
        max_price: float | None = None,
        in_stock_only: bool = True,
        active_only: bool = True,
    ) -> np.ndarray:
        allowed = np.ones(len(self), dtype=bool)
        if active_only:
            allowed &= self.active
        if in_stock_only:
            allowed &= self.stock > 0
        if min_price is not None:
            allowed &= self.price >= min_price
        if max_price is not None:
            allowed &= self.price <= max_price
        if category:
            categories = [category] if isinstance(category, str) else list(category)
            any_category = np.zeros(len(self), dtype=bool)
            for name in categories:
                any_category |= self.category_mask(name)
            allowed &= any_category
        return allowed
