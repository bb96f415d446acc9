"""The catalogue as the bot and the console see it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from crm.errors import ProductNotFound
from crm.models import Category, Product
from crm.repository.views import ProductView


def _product_view(product: Product) -> ProductView:
    return ProductView(
        id=product.id,
        sku=product.sku,
        name_en=product.name_en,
        name_zh=product.name_zh,
        description_en=product.description_en,
        description_zh=product.description_zh,
        category_en=product.category.name_en,
        category_zh=product.category.name_zh,
        brand=product.brand,
        price=product.price,
        stock=product.stock,
        active=product.active,
        attributes=dict(product.attributes or {}),
    )


def get_product(session: Session, product: int | str) -> ProductView:
    """By id or by SKU."""
    column = Product.id if isinstance(product, int) else Product.sku
    found = session.scalar(select(Product).where(column == product).options(joinedload(Product.category)))
    if found is None:
        raise ProductNotFound(product)
    return _product_view(found)


def _products_in_order(session: Session, column: Any, keys: Sequence[Any]) -> list[ProductView]:
    """One query for all of `keys` (values of `column`), returned in the order asked; unknown keys left out."""
    if not keys:
        return []
    rows = session.scalars(select(Product).where(column.in_(list(keys))).options(joinedload(Product.category)))
    found = {getattr(p, column.key): p for p in rows}
    return [_product_view(found[k]) for k in keys if k in found]


def products_by_ids(session: Session, product_ids: Sequence[int]) -> list[ProductView]:
    """In the order asked (the recommender's ranking); unknown ids are left out."""
    return _products_in_order(session, Product.id, product_ids)


def products_by_skus(session: Session, skus: Sequence[str]) -> list[ProductView]:
    """In the order asked (the products a conversation showed); unknown SKUs are left out."""
    return _products_in_order(session, Product.sku, skus)


def search_products(session: Session, text: str, *, limit: int = 10, active_only: bool = True) -> list[ProductView]:
    """Keyword search over names, brands and descriptions in both languages (every word must match)."""
    words = [w for w in re.split(r"\s+", text.strip()) if w][:6]
    if not words:
        return []
    query = select(Product).options(joinedload(Product.category))
    for word in words:
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(
                func.lower(Product.name_en).like(pattern),
                Product.name_zh.like(pattern),
                func.lower(Product.brand).like(pattern),
                func.lower(Product.description_en).like(pattern),
                Product.description_zh.like(pattern),
            )
        )
    if active_only:
        query = query.where(Product.active.is_(True))
    return [_product_view(p) for p in session.scalars(query.order_by(Product.id).limit(limit))]


def category_tree(session: Session) -> list[tuple[str, str, str, str | None]]:
    """(slug, English name, Chinese name, parent slug) of every category."""
    categories = session.scalars(select(Category).order_by(Category.id)).all()
    by_id = {c.id: c.slug for c in categories}
    return [(c.slug, c.name_en, c.name_zh, by_id.get(c.parent_id) if c.parent_id else None) for c in categories]
