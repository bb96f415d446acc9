"""After the end-to-end conversations (tests/e2e and this suite, which run first in the same pytest
session), no log file of any stack holds a customer's phone number, e-mail address or street address
in plain text: logs are read by more people, and kept longer, than the CRM's encrypted columns."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm.repository import addresses_of, find_customer
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)1[3-9]\d[ -]\d{4}[ -]\d{4}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.){1,4}[A-Za-z]{2,24}")
KNOWN = ["alice@example.com", "13800138000", "138 0013 8000", "13912345678"]


def _street_addresses(crm: sessionmaker[Session]) -> list[str]:
    with crm() as session:
        customers = [find_customer(session, "web", who) for who in ("demo-alice", "demo-li")]
        return [address.street for customer in customers if customer for address in addresses_of(session, customer.id)]


def test_no_personal_data_in_any_log(
    stack: Stack, crm: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory
) -> None:
    logs = [path for path in tmp_path_factory.getbasetemp().rglob("log/*") if path.is_file()]
    logs += [path for path in stack.config.log_dir.glob("*") if path.is_file()]
    assert logs, "no log files found: the stacks of the e2e run write them under <var>/log"
    needles = KNOWN + _street_addresses(crm)
    found: list[str] = []
    for path in sorted(set(logs)):
        text = path.read_text(errors="replace")
        found += [f"{path.name}: {needle}" for needle in needles if needle in text]
        found += [f"{path.name}: phone {m.group(0)}" for m in PHONE.finditer(text)]
        found += [f"{path.name}: e-mail {m.group(0)}" for m in EMAIL.finditer(text)]
    assert not found, "personal data in logs:\n" + "\n".join(found[:30])
