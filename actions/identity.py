"""Who is talking: the CRM customer behind the conversation, if any.

A customer is known either by the identity of the channel they write on (the REST sender id, the
signed-in web user, the WeChat openid — CRM identities) or, in this conversation only, by having
proved that they own an order (its number plus the last four digits of the phone or the email on
it; `customer_id` slot). Personal data is shown to known customers only, and only their own.
"""
from __future__ import annotations

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from crm.errors import CustomerNotFound, InvalidOrderNumber, OrderNotFound
from crm.repository import CustomerView, OrderView, find_customer, get_customer, get_order

VERIFIED_SLOT = "customer_id"

# Rasa input channel -> CRM identity channel. Channels not listed never identify anyone.
CHANNELS = {"rest": "rest", "cmdline": "rest", "socketio": "web", "web": "web", "wechat": "wechat"}


def crm_channel(tracker: Tracker) -> str:
    """The CRM channel of the latest message (`rest` when Rasa does not say)."""
    return CHANNELS.get(tracker.get_latest_input_channel() or "rest", "rest")


def identified_customer(session: Session, tracker: Tracker) -> CustomerView | None:
    """The customer this conversation is with, or None for an anonymous visitor. Erased customers
    are anonymous: their identities no longer lead anywhere personal."""
    verified = tracker.get_slot(VERIFIED_SLOT)
    customer: CustomerView | None = None
    if verified:
        try:
            customer = get_customer(session, int(verified))
        except (CustomerNotFound, ValueError):
            customer = None
    if customer is None:
        channel = tracker.get_latest_input_channel() or "rest"
        if channel in CHANNELS:
            customer = find_customer(session, CHANNELS[channel], tracker.sender_id)
    return None if customer is None or customer.erased else customer


def visible_order(session: Session, tracker: Tracker, number: str) -> OrderView | None:
    """The order if it belongs to the customer of this conversation; None for anyone else, whether
    or not it exists, so one customer can never learn about another's order."""
    customer = identified_customer(session, tracker)
    if customer is None:
        return None
    try:
        return get_order(session, number, customer_id=customer.id)
    except (OrderNotFound, InvalidOrderNumber):
        return None
