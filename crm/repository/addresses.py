"""Delivery addresses typed by a customer in one chat message, in English or Chinese.

The region is found from the places the text names (`crm.geography`) and the names of the shop's own
`delivery_regions` rows. Street names are often named after other cities (上海的南京路, 广州的北京路,
"Nanjing Road, Shanghai"), so a place directly followed by a road word does not count; Chinese
addresses go from the largest place to the smallest and English ones the other way round, so the first
Chinese (last English) place that points to exactly one region decides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.crypto import normalize_phone
from crm.errors import InvalidInput, MissingContact, UnknownDeliveryRegion
from crm.geography import DIVISIONS, PROVINCES, strip_chinese_suffix
from crm.models import Address, Channel, DeliveryRegion, Identity
from crm.repository.common import live_customer
from crm.repository.views import AddressView
from kelian.language import has_chinese

ADDRESS_MAX_CHARS = 300
RECIPIENT_MAX_CHARS = 64
_POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_ROAD_ZH = re.compile(r"[东西南北中]{0,2}(?:路|大街|街|大道|道|巷|弄|胡同)")
_ROAD_EN = re.compile(
    r"\s+(?:(?:east|west|north|south|middle|central|dong|xi|nan|bei|zhong|[ewns])\.?\s+)?"
    r"(?:road|rd|street|st|avenue|ave|boulevard|blvd|lane|ln|lu|jie|dadao)\b",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"[(（]([^)）]*)[)）]")
_LIST_SEPARATORS = re.compile(r"\s*(?:[,，、/;；]|\band\b|和)\s*")


@dataclass(frozen=True)
class _Place:
    """What a name in the text points to: a city (in its province) or a whole province, or a region row."""

    province: str | None = None
    city: str | None = None
    region_code: str | None = None


def _key(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip()
    return strip_chinese_suffix(name) if has_chinese(name) else name.lower()


def _geography_names() -> dict[str, _Place]:
    names: dict[str, _Place] = {}
    for province in PROVINCES:
        for name in (province.name_zh, *province.names_en):
            names.setdefault(_key(name), _Place(province=province.name_zh))
    for province in PROVINCES:  # a city named like its province (北京, 吉林) is the more precise reading
        for city_zh, city_en in province.cities:
            for name in (city_zh, *city_en):
                names[_key(name)] = _Place(province=province.name_zh, city=city_zh)
    return names


_GEOGRAPHY = _geography_names()
_PROVINCE_DIVISION = {p.name_zh: p.division for p in PROVINCES}
_DIVISION_KEYS = {_key(name): zh for zh, names_en in DIVISIONS.items() for name in (zh, *names_en)}
_PROVINCE_NAMES = {p.name_zh for p in PROVINCES}


@dataclass
class _Coverage:
    """The places a region row covers, by how precisely its name says so."""

    cities: set[str] = field(default_factory=set)
    provinces: set[str] = field(default_factory=set)
    divisions: set[str] = field(default_factory=set)


def _terms(name: str) -> list[str]:
    """ "偏远地区（新疆、西藏）" -> ["偏远地区", "新疆", "西藏"]: the name, and the places it lists."""
    name = unicodedata.normalize("NFKC", name)
    listed = [part for inner in _PARENTHESES.findall(name) for part in _LIST_SEPARATORS.split(inner)]
    return [key for key in (_key(term) for term in [_PARENTHESES.sub(" ", name), *listed]) if key]


@dataclass(frozen=True)
class _Matcher:
    pattern: re.Pattern[str]
    places: dict[str, _Place]
    coverage: dict[str, _Coverage]


@lru_cache(maxsize=8)
def _matcher(regions: tuple[tuple[str, str, str], ...]) -> _Matcher:
    places = dict(_GEOGRAPHY)
    coverage: dict[str, _Coverage] = {}
    for code, name_en, name_zh in regions:
        covers = coverage.setdefault(code, _Coverage())
        for term in _terms(name_en) + _terms(name_zh):
            place = _GEOGRAPHY.get(term)
            if term in _DIVISION_KEYS:
                covers.divisions.add(_DIVISION_KEYS[term])
            elif place is not None and place.city is not None:
                covers.cities.add(place.city)
                if place.city in _PROVINCE_NAMES:
                    covers.provinces.add(place.city)
            elif place is not None and place.province is not None:
                covers.provinces.add(place.province)
            if place is None:
                places[term] = _Place(region_code=code)
    alternatives = []
    for name in sorted(places, key=len, reverse=True):
        escaped = re.escape(name)
        alternatives.append(escaped if has_chinese(name) else rf"(?<![a-zà-ÿ]){escaped}(?![a-zà-ÿ])")
    return _Matcher(re.compile("|".join(alternatives), re.IGNORECASE), places, coverage)


def _regions_of(place: _Place, coverage: dict[str, _Coverage]) -> list[str]:
    """The regions a place belongs to, by the most precise rule that names it."""
    if place.region_code is not None:
        return [place.region_code]
    division = _PROVINCE_DIVISION.get(place.province or "")
    for covered in (
        lambda c: place.city in c.cities,
        lambda c: place.province in c.provinces,
        lambda c: division in c.divisions,
    ):
        codes = [code for code, covers in coverage.items() if covered(covers)]
        if codes:
            return codes
    return []


def _is_street_name(text: str, end: int, chinese: bool) -> bool:
    return (_ROAD_ZH if chinese else _ROAD_EN).match(text, end) is not None


def _locate(text: str, regions: tuple[tuple[str, str, str], ...]) -> tuple[str, str | None]:
    """(region code, city) of an address; the city is None when the text names none in that region."""
    matcher = _matcher(regions)
    mentions = []
    for match in matcher.pattern.finditer(text):
        name = match.group()
        chinese = has_chinese(name)
        if not _is_street_name(text, match.end(), chinese):
            mentions.append(matcher.places[name if chinese else name.lower()])
    if not has_chinese(text):
        mentions.reverse()
    resolved = [(place, _regions_of(place, matcher.coverage)) for place in mentions]
    region = next((codes[0] for _, codes in resolved if len(codes) == 1), None)
    if region is None:
        raise UnknownDeliveryRegion(regions)
    cities = [place.city for place, codes in resolved if codes == [region] and place.city is not None]
    city = next((c for c in cities if c not in _PROVINCE_NAMES), cities[0] if cities else None)
    return region, city


def normalize_address(text: str) -> str:
    """Full-width characters folded (`１００号` -> `100号`), whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def address_view(address: Address) -> AddressView:
    return AddressView(
        address.recipient,
        address.phone,
        address.street,
        address.city,
        address.region_code,
        address.postcode,
        address.is_default,
    )


def _phone_on_file(session: Session, customer_id: int) -> str | None:
    phone = session.scalar(
        select(Identity.external_id)
        .where(Identity.customer_id == customer_id, Identity.channel == Channel.PHONE)
        .order_by(Identity.verified.desc(), Identity.id)
        .limit(1)
    )
    if phone is not None:
        return phone
    return session.scalar(
        select(Address.phone)
        .where(Address.customer_id == customer_id)
        .order_by(Address.is_default.desc(), Address.id)
        .limit(1)
    )


def save_address(
    session: Session,
    customer_id: int,
    text: str,
    *,
    recipient: str | None = None,
    phone: str | None = None,
    make_default: bool = True,
    now: datetime | None = None,
) -> AddressView:
    """Save an address typed in one message ("上海市浦东新区世纪大道100号 200120").

    `street` keeps the whole normalised text; the region comes from the places it names (an address
    outside every region raises `UnknownDeliveryRegion`, which lists the regions served); `city` is the
    city's Chinese name, or the region's when the text names no city; a 6-digit number is the postcode.
    The recipient defaults to the customer's name and the phone to their phone identity (else the phone
    of their default address); without either, `MissingContact`. Saving the same text again updates that
    address instead of adding a copy. With `make_default` (and always for a first address) the address
    becomes the customer's only default. `now` is accepted for symmetry with the other writes: addresses
    carry no timestamp.
    """
    street = normalize_address(text)
    if not street:
        raise InvalidInput("an address cannot be empty")
    if len(street) > ADDRESS_MAX_CHARS:
        raise InvalidInput(f"an address is at most {ADDRESS_MAX_CHARS} characters")
    recipient = None if recipient is None else " ".join(recipient.split())
    if recipient is not None and not 1 <= len(recipient) <= RECIPIENT_MAX_CHARS:
        raise InvalidInput(f"a recipient name is 1 to {RECIPIENT_MAX_CHARS} characters")
    phone = None if phone is None else normalize_phone(phone)
    customer = live_customer(session, customer_id)
    rows = session.execute(
        select(DeliveryRegion.code, DeliveryRegion.name_en, DeliveryRegion.name_zh).order_by(DeliveryRegion.code)
    ).all()
    regions = tuple((code, name_en, name_zh) for code, name_en, name_zh in rows)
    region_code, city = _locate(street, regions)
    if city is None:
        city = next(name_zh for code, _, name_zh in regions if code == region_code)
    recipient = recipient or customer.name
    if not recipient:
        raise MissingContact("recipient")
    phone = phone or _phone_on_file(session, customer_id)
    if phone is None:
        raise MissingContact("phone")
    postcodes = _POSTCODE.findall(street)
    with session.begin_nested():
        addresses = list(session.scalars(select(Address).where(Address.customer_id == customer_id)))
        address = next((a for a in addresses if a.street == street), None)
        if address is None:
            address = Address(customer_id=customer_id, street=street, is_default=False)
            session.add(address)
        address.recipient, address.phone, address.city = recipient, phone, city[:64]
        address.region_code, address.postcode = region_code, postcodes[-1] if postcodes else None
        if make_default or not any(a.is_default for a in addresses if a is not address):
            address.is_default = True
        session.flush()
        if address.is_default:
            session.execute(
                update(Address)
                .where(Address.customer_id == customer_id, Address.id != address.id, Address.is_default.is_(True))
                .values(is_default=False)
            )
        return address_view(address)


def addresses_of(session: Session, customer_id: int) -> list[AddressView]:
    """The customer's addresses, the default one first."""
    return [
        address_view(a)
        for a in session.scalars(
            select(Address).where(Address.customer_id == customer_id).order_by(Address.is_default.desc(), Address.id)
        )
    ]
