"""Account links cannot be hijacked, are seen, and can be undone (issue #18, part two).

Before: a conversation that was a customer only because of an unsigned REST sender id (or any channel
identity at all) could ask "link my account", get a code and have an attacker's WeChat id enter it; the
customer never heard of the link, and nobody could see or undo it. After: codes are given and taken only
for an identity the shop or WeChat signed (the channels make every other id anonymous: `guest-…`,
`rest-…`) — never from an order proof or a client-chosen id; every conversation of the customer is told
about a new link on its next turn; staff list links (`list_links`) and remove them (`remove_link`,
audited). Every test fails on the code before.
"""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.forms.link_account import ValidateLinkAccountForm
from actions.forms.slot_mappings import ValidateSlotMappings
from actions.identity import sealed_proof
from actions.linking import NOTICE_SLOT, ActionLinkAccount
from crm.errors import NotAllowed, NotFound
from crm.models import AuditEntry, Channel, Identity
from crm.repository import find_customer, issue_link_code, list_links, redeem_link_code, remove_link
from tests.actions.conftest import (  # noqa: F401 - fixtures
    ALICE,
    LI,
    CrmOpener,
    crm,
    crm_url,
    make_tracker,
    recommender_dir,
    services,
    texts,
)

FORM_DOMAIN = {"forms": {"link_account_form": {"required_slots": ["link_code"]}}}
SLOTS_DOMAIN = {"slots": {NOTICE_SLOT: {"type": "text", "mappings": [{"type": "custom"}]}}}


def customer_id(crm: CrmOpener, channel: str, sender: str) -> int | None:
    with crm() as session:
        found = find_customer(session, channel, sender)
        return None if found is None else found.id


def known_id(crm: CrmOpener, channel: str, sender: str) -> int:
    found = customer_id(crm, channel, sender)
    assert found is not None, f"no customer {channel}:{sender}"
    return found


def code_in(dispatcher: CollectingDispatcher) -> str | None:
    words = texts(dispatcher).replace("(", " ").replace("(", " ").split()
    return next((w for w in words if w.isdigit() and len(w) == 6), None)


@pytest.mark.parametrize(
    "sender, channel, slots",
    [
        pytest.param("rest-demo-alice", "rest", {}, id="an unsigned REST sender"),
        pytest.param(ALICE, "cmdline", {}, id="a channel that takes the id from the client"),
        pytest.param("guest-0123456789abcdef", "web", {}, id="a web guest"),
        pytest.param("guest-0123456789abcdef", "web", {"customer_id": "proof"}, id="a web guest who proved an order"),
    ],
)
async def test_no_code_without_a_signed_identity(sender, channel, slots, crm):  # noqa: F811
    if slots.get("customer_id") == "proof":
        slots = {"customer_id": sealed_proof(known_id(crm, "rest", ALICE), sender)}
    dispatcher = CollectingDispatcher()
    await ActionLinkAccount().run(
        dispatcher,
        make_tracker("link my account", intent="link_account", sender=sender, channel=channel, slots=slots),
        {},
    )
    assert code_in(dispatcher) is None and "sign in" in texts(dispatcher)


async def test_an_anonymous_conversation_cannot_take_a_code(crm):  # noqa: F811
    """The form asks an anonymous conversation for no code, and a valid code slipped into it anyway (a
    crafted tracker) links nothing; the CRM takes codes on chat channels only."""
    form = ValidateLinkAccountForm()
    with crm() as session:
        code = issue_link_code(session, known_id(crm, "web", ALICE), channel="web").code
    for sender, channel in (("rest-attacker", "rest"), ("guest-00000000000000aa", "web")):
        tracker = make_tracker("link my account", sender=sender, channel=channel, active_loop="link_account_form")
        assert await form.required_slots(["link_code"], CollectingDispatcher(), tracker, FORM_DOMAIN) == []
        events = await form.run(
            CollectingDispatcher(),
            make_tracker(
                code,
                sender=sender,
                channel=channel,
                active_loop="link_account_form",
                slots={"requested_slot": "link_code"},
            ),
            FORM_DOMAIN,
        )
        assert {"event": "slot", "timestamp": None, "name": "link_code", "value": "linked"} not in events
        assert customer_id(crm, channel, sender) is None
    with crm() as session:
        with pytest.raises(NotAllowed):
            redeem_link_code(session, code, channel="phone", sender_id="13800000000")
        with pytest.raises(NotAllowed):
            issue_link_code(session, known_id(crm, "web", ALICE), channel="email")


async def test_a_link_is_told_to_the_customer_listed_and_undone(crm):  # noqa: F811
    """Li, signed in on the web, gets a code; a WeChat id takes it. On the next turn of Li's web
    conversation the bot says a WeChat account was linked (once, with a way to a person). Staff see the
    link and remove it (audited); the WeChat id is nobody again, Li's own sign-in cannot be removed."""
    li = known_id(crm, "web", LI)
    web = CollectingDispatcher()
    await ActionLinkAccount().run(
        web, make_tracker("link my account", intent="link_account", sender=LI, channel="web"), {}
    )
    code = code_in(web)
    assert code is not None

    openid = "wx-linking-test-openid"
    wechat = CollectingDispatcher()
    events = await ValidateLinkAccountForm().run(
        wechat,
        make_tracker(
            code,
            sender=openid,
            channel="wechat",
            active_loop="link_account_form",
            slots={"requested_slot": "link_code"},
        ),
        FORM_DOMAIN,
    )
    assert {"event": "slot", "timestamp": None, "name": "link_code", "value": "linked"} in events
    assert customer_id(crm, "wechat", openid) == li

    notice = CollectingDispatcher()
    events = await ValidateSlotMappings().run(notice, make_tracker("hello", sender=LI, channel="web"), SLOTS_DOMAIN)
    told = texts(notice)
    assert "WeChat account" in told and "wx-l…" in told and "undo" in told and notice.messages[0]["buttons"]
    seen = next(e["value"] for e in events if e.get("name") == NOTICE_SLOT)
    again = CollectingDispatcher()
    await ValidateSlotMappings().run(
        again, make_tracker("hello", sender=LI, channel="web", slots={NOTICE_SLOT: seen}), SLOTS_DOMAIN
    )
    assert not again.messages

    with crm() as session:
        links = list_links(session, li)
        assert [(link.channel, link.masked_id, link.issued_on) for link in links] == [
            (Channel.WECHAT, "wx-l…", Channel.WEB)
        ]
        own = find_customer(session, "web", LI)
        assert own is not None
    with crm() as session:
        remove_link(session, li, links[0].identity_id, actor="staff:mei")
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "unlink_identity", AuditEntry.customer_id == li)
        ).one()
        assert entry.actor == "staff:mei" and entry.detail["channel"] == "wechat"
        with pytest.raises(NotFound):
            remove_link(session, li, links[0].identity_id, actor="staff:mei")
        own_id = session.scalars(
            select(Identity.id).where(Identity.customer_id == li, Identity.channel == Channel.WEB)
        ).one()
        with pytest.raises(NotFound):
            remove_link(session, li, own_id, actor="staff:mei")
    assert customer_id(crm, "wechat", openid) is None
    with crm() as session:
        assert list_links(session, li) == []
