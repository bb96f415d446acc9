"""Who is talking: the CRM customer behind the conversation, if any.

A customer is known either by an identity the shop or WeChat signed (the user of a token the shop
signed, on the web page or the REST channel; the WeChat openid of a signed request — the channels
make these the conversation id, and make every other id anonymous: `guest-…`, `rest-…`), or, in this
conversation only, by having proved that they own an order (its number plus the last four digits of
the phone or the email on it). Personal data is shown to known customers only, and only their own.

The proof is kept in the `customer_id` slot sealed with the action server's secret and bound to the
conversation: a slot value that an action of this server did not set (a tracker made up by hand,
another conversation's value) proves nothing.
"""

from __future__ import annotations

import hashlib
import hmac

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.server import shared_token
from bot.channels.web_auth import is_anonymous
from crm.errors import CustomerNotFound, InvalidOrderNumber, OrderNotFound
from crm.repository import CustomerView, OrderView, find_customer, get_customer, get_order

VERIFIED_SLOT = "customer_id"

# Rasa input channel -> CRM identity channel. Channels not listed (cmdline, socketio: Rasa's own
# connectors, which take the conversation id from the client) never identify anyone.
CHANNELS = {"rest": "rest", "web": "web", "wechat": "wechat"}


def _seal(customer_id: int, sender_id: str) -> str:
    message = f"kelian-order-proof:{sender_id}:{customer_id}".encode()
    return hmac.new(shared_token().encode(), message, hashlib.sha256).hexdigest()[:32]


def sealed_proof(customer_id: int, sender_id: str) -> str:
    """The `customer_id` slot's value once this conversation proved an order of that customer."""
    return f"{customer_id}.{_seal(customer_id, sender_id)}"


def proven_customer_id(tracker: Tracker) -> int | None:
    """The customer this conversation proved to be, if the slot holds a seal this server made for it."""
    value = tracker.get_slot(VERIFIED_SLOT)
    if not isinstance(value, str) or value.count(".") != 1:
        return None
    number, seal = value.split(".")
    if not number.isdigit() or len(number) > 12:
        return None
    return int(number) if hmac.compare_digest(seal, _seal(int(number), tracker.sender_id)) else None


def crm_channel(tracker: Tracker) -> str:
    """The CRM channel of the latest message (`rest` when Rasa does not say or it is not one of ours)."""
    return CHANNELS.get(tracker.get_latest_input_channel() or "rest", "rest")


def identified_customer(session: Session, tracker: Tracker) -> CustomerView | None:
    """The customer this conversation is with, or None for an anonymous visitor. Erased customers
    are anonymous: their identities no longer lead anywhere personal."""
    verified = proven_customer_id(tracker)
    customer: CustomerView | None = None
    if verified is not None:
        try:
            customer = get_customer(session, verified)
        except CustomerNotFound:
            customer = None
    if customer is None:
        customer = signed_customer(session, tracker)
    return None if customer is None or customer.erased else customer


def signed_customer(session: Session, tracker: Tracker) -> CustomerView | None:
    """The customer behind the conversation's signed identity (not an order proof), or None."""
    channel = tracker.get_latest_input_channel()
    if channel not in CHANNELS or is_anonymous(tracker.sender_id):
        return None
    return find_customer(session, CHANNELS[channel], tracker.sender_id)


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
