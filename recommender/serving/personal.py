"""A customer's own list, by one path for the action server and the staff console, so staff see the
list the customer gets.

Before ranking, what the CRM learnt about the customer since the served version was trained is folded
in (clicks and impressions from any channel or worker, products named in chats, purchases), and the
products they bought are left out (consumables excepted). The chat adds what the conversation says
(the request, the products the customer opened, an experiment's arm); the console's customer page
shows the list of a customer who asks for recommendations and says nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from recommender.crm_source import learnt_since
from recommender.serving.service import Recommendation, Recommender

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LIST_LENGTH = 4  # products in one list: in the chat and on the console's customer page


def catch_up(recommender: Recommender, session: Session, customer_id: int) -> set[int]:
    """Folds in what the CRM learnt about the customer since training and returns what they bought.
    Repeating it is harmless: each call replaces what the previous one folded in."""
    recent, owned = learnt_since(session, customer_id, recommender.trained_at())
    recommender.fold_in(customer_id, recent)
    return owned


def ranked(
    recommender: Recommender,
    customer_key: object,
    k: int,
    *,
    owned: Iterable[object],
    language: str,
    **request: Any,
) -> list[Recommendation]:
    """The customer's top `k` (a guest's conversation key ranks by that conversation): `owned` is
    never offered again; `request` is what the conversation adds (`Recommender.recommend`'s filters,
    the request's text, the products engaged with, an experiment's blend)."""
    return recommender.recommend(customer_key, k, exclude_products=owned, language=language, **request)


def customer_list(
    recommender: Recommender, session: Session, customer_id: int, *, language: str, k: int = LIST_LENGTH
) -> list[Recommendation]:
    """The list the customer gets when they ask for recommendations with nothing more said."""
    owned = catch_up(recommender, session, customer_id)
    return ranked(recommender, customer_id, k, owned=owned, language=language)
