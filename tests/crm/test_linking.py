"""One customer across channels: one-time linking codes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from crm import repository as repo
from crm.errors import CustomerNotFound
from crm.privacy import erase_customer
from tests.crm.conftest import AS_OF

ALICE, LI = 1, 2
NOW = AS_OF + timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("123456", "123456"),
        ("my code is 042 913", "042913"),
        ("验证码：６５４３２１", "654321"),
        ("KL20250104", None),
        ("12345", None),
    ],
)
def test_codes_are_found_in_what_the_customer_types(text: str, code: str | None) -> None:
    assert repo.find_link_code(text) == code


def test_a_code_links_the_other_channel_to_the_same_customer(session: Session) -> None:
    issued = repo.issue_link_code(session, LI, channel="web", now=NOW)
    assert len(issued.code) == 6 and issued.expires_at == NOW + repo.CODE_LIFETIME
    result = repo.redeem_link_code(session, issued.code, channel="wechat", sender_id="wx-new-openid", now=NOW)
    assert result.customer is not None and result.customer.id == LI
    assert repo.find_customer(session, "wechat", "wx-new-openid").id == LI
    again = repo.redeem_link_code(session, issued.code, channel="wechat", sender_id="wx-someone-else", now=NOW)
    assert again.customer is None  # a code works once


def test_an_expired_code_does_not_link(session: Session) -> None:
    issued = repo.issue_link_code(session, ALICE, channel="web", now=NOW)
    late = NOW + repo.CODE_LIFETIME + timedelta(seconds=1)
    assert repo.redeem_link_code(session, issued.code, channel="wechat", sender_id="wx-late", now=late).customer is None
    assert repo.find_customer(session, "wechat", "wx-late") is None


def test_a_new_code_replaces_the_old_one(session: Session) -> None:
    first = repo.issue_link_code(session, ALICE, channel="web", now=NOW)
    second = repo.issue_link_code(session, ALICE, channel="web", now=NOW)
    assert repo.redeem_link_code(session, first.code, channel="wechat", sender_id="wx-a", now=NOW).customer is None
    assert repo.redeem_link_code(session, second.code, channel="wechat", sender_id="wx-a", now=NOW).customer.id == ALICE


def test_five_wrong_codes_lock_the_sender_out(session: Session) -> None:
    issued = repo.issue_link_code(session, ALICE, channel="web", now=NOW)
    wrong = f"{(int(issued.code) + 1) % 10**6:06d}"
    lefts = [
        repo.redeem_link_code(session, wrong, channel="wechat", sender_id="wx-guesser", now=NOW).attempts_left
        for _ in range(5)
    ]
    assert lefts == [4, 3, 2, 1, 0]
    locked = repo.redeem_link_code(session, issued.code, channel="wechat", sender_id="wx-guesser", now=NOW)
    assert locked.customer is None and locked.attempts_left == 0
    later = NOW + repo.CODE_LIFETIME + timedelta(minutes=1)
    assert repo.link_attempts_left(session, "wechat", "wx-guesser", now=later) == 5


def test_a_sender_already_known_is_not_relinked(session: Session) -> None:
    issued = repo.issue_link_code(session, ALICE, channel="web", now=NOW)
    result = repo.redeem_link_code(session, issued.code, channel="wechat", sender_id="wx-demo-li", now=NOW)
    assert result.already_linked and result.customer.id == LI
    assert repo.find_customer(session, "wechat", "wx-demo-li").id == LI


def test_erasure_removes_open_codes(session: Session) -> None:
    issued = repo.issue_link_code(session, ALICE, channel="web", now=NOW)
    erase_customer(session, ALICE, actor="test", now=NOW)
    assert repo.redeem_link_code(session, issued.code, channel="wechat", sender_id="wx-after", now=NOW).customer is None
    with pytest.raises(CustomerNotFound):
        repo.issue_link_code(session, 10**6, channel="web", now=NOW)
