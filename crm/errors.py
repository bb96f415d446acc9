"""Typed errors of the CRM store.

Callers (the action server, the console, the CLI) catch these to give the customer or the staff
member a precise answer; anything else escaping the CRM is a bug or a database outage.
Every error that comes from bad input is raised before anything is written, or inside a
savepoint that is rolled back, so the database is left as it was.
"""

from __future__ import annotations


class CRMError(Exception):
    """Base class of every error the CRM raises on purpose."""


class InvalidInput(CRMError, ValueError):
    """A value given by a caller is malformed (channel, language, quantity, rating...)."""


class InvalidOrderNumber(InvalidInput):
    """An order number is not `KL` followed by 8 digits."""

    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not an order number: expected KL followed by 8 digits, e.g. KL20251107")
        self.text = text


class UnknownDeliveryRegion(InvalidInput):
    """An address names no city, province or region that the shop delivers to."""

    def __init__(self, regions: tuple[tuple[str, str, str], ...]) -> None:
        served = "; ".join(f"{name_en} / {name_zh}" for _, name_en, name_zh in regions)
        super().__init__(
            f"the address names no city, province or region we deliver to (we serve: {served}); "
            "include the city or province"
        )
        self.regions = regions


class MissingContact(InvalidInput):
    """A delivery address lacks a recipient or a phone number, and the customer has none on file."""

    def __init__(self, field: str) -> None:
        super().__init__(f"a delivery address needs a {field}, and the customer has none on file: give one")
        self.field = field


class NotFound(CRMError, LookupError):
    """The thing asked for does not exist (or is not visible to the asker)."""


class CustomerNotFound(NotFound):
    def __init__(self, customer: object) -> None:
        super().__init__(f"no customer {customer}")
        self.customer = customer


class OrderNotFound(NotFound):
    def __init__(self, number: str) -> None:
        super().__init__(f"no order {number}")
        self.number = number


class ProductNotFound(NotFound):
    def __init__(self, product: object) -> None:
        super().__init__(f"no product {product}")
        self.product = product


class ConversationNotFound(NotFound):
    def __init__(self, conversation: object) -> None:
        super().__init__(f"no conversation {conversation}")
        self.conversation = conversation


class DuplicateIdentity(CRMError):
    """The (channel, external id) pair already belongs to a customer."""

    def __init__(self, channel: str, owner_id: int) -> None:
        super().__init__(f"this {channel} identity already belongs to customer {owner_id}")
        self.channel = channel
        self.owner_id = owner_id


class NotAllowed(CRMError):
    """A well-formed request that the shop's rules refuse (cancel a delivered order...)."""


class CustomerErased(NotAllowed):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"customer {customer_id} has been erased")
        self.customer_id = customer_id


class ConsentRequired(NotAllowed):
    def __init__(self, customer_id: int, purpose: str) -> None:
        super().__init__(f"customer {customer_id} has not consented to {purpose}")
        self.customer_id = customer_id
        self.purpose = purpose


class EncryptionKeyError(CRMError):
    """The encryption key is missing, malformed, too widely readable, or not the one the data was written with."""


class DatabaseNotEmpty(CRMError):
    """The demo generator refuses to mix its data with an existing shop."""
