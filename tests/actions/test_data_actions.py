"""Each data action against the demo CRM and a recommender trained from it: the facts in the replies
are the database's, writes land in the database, and one customer never sees another's order."""

from __future__ import annotations

from rasa_sdk.events import SlotSet
from sqlalchemy import func, select

from crm.models import HandoffRequest, Interaction, Review, Ticket
from crm.repository import (
    add_identity,
    addresses_of,
    find_customer,
    get_order,
    get_product,
    products_by_ids,
    refunds_of,
)
from actions.account import ActionDeleteAccount, ActionPasswordReset, ActionStopPersonalization
from actions.feedback import ActionNewsletter, ActionOpenComplaint, ActionRecordReview, complaint_priority
from actions.forms.link_account import ValidateLinkAccountForm
from actions.forms.order_number import ValidateRefundStatusForm, ValidateTrackOrderForm
from actions.faq import ActionAffirmAfterAnswer
from actions.handoff import ActionAgentMessage, ActionHandoff
from actions.identity import sealed_proof
from actions.linking import ActionLinkAccount
from actions.orders import ActionCancelOrder, ActionChangeOrder, ActionConfirmCancel, ActionTrackOrder
from actions.payments import ActionInvoice, ActionOpenRefund, ActionPaymentIssue, ActionTrackRefund
from actions.runtime import Services, use_services
from actions.shipping import ActionDeliveryOptions, ActionSaveAddress
from actions.shopping import ActionProductInfo, ActionRecommendProducts, ActionSearchProducts, ActionSimilarProducts
from kelian.agent_voice import encode
from tests.actions.conftest import ALICE, LI, make_tracker, texts, user_event

DOMAIN = {"forms": {"track_order_form": {"required_slots": ["order_id"]}}, "slots": {}}


def customer_id(crm, sender: str) -> int:
    with crm() as session:
        return find_customer(session, "rest", sender).id


# --- orders ------------------------------------------------------------------------------------


async def test_tracking_shows_the_orders_real_shipment(dispatcher, crm):
    await ActionTrackOrder().run(
        dispatcher, make_tracker("where is it", sender=ALICE, slots={"order_id": "KL20250104"}), {}
    )
    with crm() as session:
        order = get_order(session, "KL20250104")
    reply = texts(dispatcher)
    assert "shipped" in reply and order.shipments[0].tracking_number in reply
    assert "Expected delivery" in reply or "Delivered" in reply


async def test_tracking_in_chinese(dispatcher):
    await ActionTrackOrder().run(
        dispatcher, make_tracker("我的快递到哪了", sender=LI, slots={"order_id": "KL20251104", "language": "zh"}), {}
    )
    assert "已发货" in texts(dispatcher) and "运单号" in texts(dispatcher)


async def test_another_customers_order_is_not_found(dispatcher):
    await ActionTrackOrder().run(
        dispatcher, make_tracker("where is it", sender=LI, slots={"order_id": "KL20250104"}), {}
    )
    reply = texts(dispatcher)
    assert "can't find order KL20250104" in reply and "shipped" not in reply


async def test_an_unknown_sender_must_prove_the_order_is_theirs(dispatcher, crm):
    form = ValidateTrackOrderForm()
    tracker = make_tracker(
        "KL20250104",
        sender="stranger",
        slots={"requested_slot": "order_id"},
        active_loop="track_order_form",
        new_slots={"order_id": "KL20250104"},
    )
    events = await form.run(dispatcher, tracker, DOMAIN)
    assert {"event": "slot", "timestamp": None, "name": "requested_slot", "value": "order_proof"} in events

    wrong = make_tracker(
        "1234",
        sender="stranger",
        slots={"requested_slot": "order_proof", "order_id": "KL20250104"},
        active_loop="track_order_form",
        new_slots={"order_proof": "1234"},
    )
    events = await form.run(dispatcher, wrong, DOMAIN)
    assert {"event": "slot", "timestamp": None, "name": "order_proof", "value": None} in events
    assert "doesn't match" in texts(dispatcher)

    right = make_tracker(
        "尾号8000",
        sender="stranger",
        slots={"requested_slot": "order_proof", "order_id": "KL20250104"},
        active_loop="track_order_form",
        new_slots={"order_proof": "尾号8000"},
    )
    events = await form.run(dispatcher, right, DOMAIN)
    verified = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert verified["customer_id"] == sealed_proof(customer_id(crm, ALICE), "stranger")
    assert verified.get("requested_slot") is None


async def test_three_wrong_proofs_end_the_attempt(dispatcher):
    tracker = make_tracker(
        "0000",
        sender="stranger",
        active_loop="track_order_form",
        new_slots={"order_proof": "0000"},
        slots={"requested_slot": "order_proof", "order_id": "KL20250104", "proof_attempts": 2.0},
    )
    events = await ValidateTrackOrderForm().run(dispatcher, tracker, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["order_id"] is None and "couldn't verify" in texts(dispatcher)


async def test_verified_visitor_then_sees_the_order(dispatcher, crm):
    tracker = make_tracker(
        "where",
        sender="stranger",
        slots={"order_id": "KL20250104", "customer_id": sealed_proof(customer_id(crm, ALICE), "stranger")},
    )
    await ActionTrackOrder().run(dispatcher, tracker, {})
    assert "is shipped" in texts(dispatcher)


async def test_a_proof_slot_this_server_did_not_seal_proves_nothing(dispatcher, crm):
    """A hand-made tracker (or a payload) with a bare customer id, or with another conversation's seal,
    shows no order (before: the bare id was trusted)."""
    for value in (str(customer_id(crm, ALICE)), sealed_proof(customer_id(crm, ALICE), "someone-else")):
        dispatcher.messages.clear()
        tracker = make_tracker("where", sender="stranger", slots={"order_id": "KL20250104", "customer_id": value})
        await ActionTrackOrder().run(dispatcher, tracker, {})
        assert "is shipped" not in texts(dispatcher)


async def test_anonymous_channel_ids_are_nobody(dispatcher, crm):
    """Ids the channels make up for unsigned visitors, and Rasa's own connectors that take the id from
    the client, never identify a customer, even when a CRM identity of that name exists."""
    with crm() as session:
        add_identity(session, customer_id(crm, ALICE), "rest", "rest-alice-phone")
        session.commit()
    for sender, channel in (("rest-alice-phone", "rest"), (ALICE, "cmdline"), (ALICE, "socketio")):
        dispatcher.messages.clear()
        await ActionTrackOrder().run(
            dispatcher, make_tracker("where", sender=sender, channel=channel, slots={"order_id": "KL20250104"}), {}
        )
        assert "is shipped" not in texts(dispatcher)


async def test_cancelling_quotes_the_fee_then_writes_after_yes(dispatcher, crm):
    slots = {"order_id": "KL20250105"}
    await ActionConfirmCancel().run(dispatcher, make_tracker("cancel it", sender=ALICE, slots=slots), {})
    assert "free of charge" in texts(dispatcher) and [b["payload"] for b in dispatcher.messages[-1]["buttons"]] == [
        "/affirm",
        "/deny",
    ]
    with crm() as session:
        assert get_order(session, "KL20250105").status.value == "paid"  # nothing written before the yes
    await ActionCancelOrder().run(dispatcher, make_tracker("yes", intent="affirm", sender=ALICE, slots=slots), {})
    with crm() as session:
        order = get_order(session, "KL20250105")
    assert order.status.value == "cancelled"
    assert order.refunds[-1].number in texts(dispatcher)


async def test_a_delivered_order_cannot_be_cancelled(dispatcher, crm):
    await ActionConfirmCancel().run(
        dispatcher, make_tracker("cancel", sender=ALICE, slots={"order_id": "KL20250101"}), {}
    )
    assert "can't be cancelled" in texts(dispatcher)
    with crm() as session:
        assert get_order(session, "KL20250101").status.value == "delivered"


async def test_changing_a_shipped_order_explains_the_options(dispatcher):
    await ActionChangeOrder().run(
        dispatcher, make_tracker("change", sender=LI, slots={"order_id": "KL20251104", "language": "zh"}), {}
    )
    assert "已发货" in texts(dispatcher)


# --- payments, invoices, refunds ------------------------------------------------------------------


async def test_payment_issue_reads_the_failed_attempt(dispatcher):
    await ActionPaymentIssue().run(
        dispatcher, make_tracker("payment failed", sender=ALICE, slots={"order_id": "KL20250107"}), {}
    )
    assert "Nothing was charged" in texts(dispatcher)


async def test_invoice_is_shown_or_issued(dispatcher, crm):
    asked = [user_event("I need an invoice", "get_invoice")]
    await ActionInvoice().run(
        dispatcher,
        make_tracker("KL20250104", intent="get_invoice", sender=ALICE, history=asked, slots={"order_id": "KL20250104"}),
        {},
    )
    with crm() as session:
        invoice = get_order(session, "KL20250104").invoices[-1]
    assert invoice.number in texts(dispatcher)


async def test_refund_request_is_written_with_a_reference(dispatcher, crm):
    asked = [user_event("the stroller wobbles, I want my money back", "get_refund")]
    await ActionOpenRefund().run(
        dispatcher,
        make_tracker(
            "KL20251102",
            intent="get_refund",
            sender=LI,
            history=asked,
            slots={"order_id": "KL20251102", "language": "zh"},
        ),
        {},
    )
    with crm() as session:
        refunds = refunds_of(session, customer_id(crm, LI))
    newest = max(refunds, key=lambda r: r.requested_at)
    assert newest.order_number == "KL20251102" and newest.number in texts(dispatcher)


async def test_refund_of_an_undelivered_order_suggests_cancelling(dispatcher):
    await ActionOpenRefund().run(dispatcher, make_tracker("refund", sender=ALICE, slots={"order_id": "KL20250104"}), {})
    assert "cancel" in texts(dispatcher)


async def test_refund_status(dispatcher, crm):
    await ActionTrackRefund().run(
        dispatcher, make_tracker("refund?", sender=ALICE, slots={"order_id": "KL20250103"}), {}
    )
    with crm() as session:
        refund = get_order(session, "KL20250103").refunds[0]
    assert refund.number in texts(dispatcher)


# --- shipping and account ------------------------------------------------------------------------


async def test_delivery_options_of_the_customers_region(dispatcher):
    await ActionDeliveryOptions().run(dispatcher, make_tracker("delivery options?", sender=ALICE), {})
    assert "Delivery to your address in" in texts(dispatcher)


async def test_delivery_options_for_a_visitor_are_the_general_policy(dispatcher):
    await ActionDeliveryOptions().run(dispatcher, make_tracker("delivery options?", sender="stranger"), {})
    assert "We ship with" in texts(dispatcher)


async def test_address_is_saved_for_a_known_customer_only(dispatcher, crm):
    slots = {"new_address": "Room 5, 88 Nanjing Road, Shanghai 200001"}
    await ActionSaveAddress().run(dispatcher, make_tracker("yes", intent="affirm", sender=ALICE, slots=slots), {})
    with crm() as session:
        default = addresses_of(session, customer_id(crm, ALICE))[0]
    assert "88 Nanjing Road" in default.street and default.is_default
    dispatcher.messages.clear()
    await ActionSaveAddress().run(dispatcher, make_tracker("yes", intent="affirm", sender="stranger", slots=slots), {})
    assert "sign in" in texts(dispatcher)


async def test_password_reset_does_not_reveal_accounts(dispatcher):
    await ActionPasswordReset().run(dispatcher, make_tracker("", sender="x", slots={"email": "alice@example.com"}), {})
    known = texts(dispatcher).replace("alice@example.com", "E")
    dispatcher.messages.clear()
    await ActionPasswordReset().run(dispatcher, make_tracker("", sender="x", slots={"email": "nobody@example.com"}), {})
    assert texts(dispatcher).replace("nobody@example.com", "E") == known


async def test_delete_account_opens_an_erasure_request(dispatcher, crm):
    await ActionDeleteAccount().run(
        dispatcher, make_tracker("yes", intent="affirm", sender=LI, slots={"language": "zh"}), {}
    )
    with crm() as session:
        ticket = session.scalars(
            select(Ticket).where(Ticket.customer_id == customer_id(crm, LI)).order_by(Ticket.id.desc())
        ).first()
    assert "erasure" in ticket.subject and ticket.number in texts(dispatcher)


# --- complaints, reviews, newsletter ------------------------------------------------------------


def test_complaint_priority_follows_tone():
    assert complaint_priority("the parcel is late", None) == "normal"
    assert complaint_priority("this is TOTALLY UNACCEPTABLE service!!", None) == "high"
    assert complaint_priority("我要去12315投诉你们", None) == "urgent"


async def test_complaint_opens_a_ticket_and_offers_a_person(dispatcher, crm):
    await ActionOpenComplaint().run(
        dispatcher, make_tracker("worst service ever, a total scam", intent="complaint", sender="angry-visitor"), {}
    )
    with crm() as session:
        ticket = session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
    assert ticket.category.value == "complaint" and ticket.priority.value == "high"
    assert (
        ticket.number in texts(dispatcher)
        and dispatcher.messages[-1]["buttons"][0]["payload"] == "/contact_human_agent"
    )


async def test_review_records_the_rating(dispatcher, crm):
    await ActionRecordReview().run(dispatcher, make_tracker("5", sender=ALICE, slots={"rating": 5.0}), {})
    with crm() as session:
        review = session.scalars(
            select(Review).where(Review.customer_id == customer_id(crm, ALICE)).order_by(Review.id.desc())
        ).first()
    assert review.rating == 5 and "⭐⭐⭐⭐⭐" in texts(dispatcher)


async def test_newsletter_subscription_is_a_consent(dispatcher, crm):
    await ActionNewsletter().run(dispatcher, make_tracker("sign me up for the newsletter", sender=ALICE), {})
    with crm() as session:
        assert find_customer(session, "rest", ALICE).marketing_consent
    await ActionNewsletter().run(dispatcher, make_tracker("unsubscribe me please", sender=ALICE), {})
    assert "unsubscribed" in texts(dispatcher)


# --- recommendations ------------------------------------------------------------------------------


def shown(dispatcher) -> list[str]:
    return [
        b["payload"].split('"')[3]
        for m in dispatcher.messages
        for b in m.get("buttons") or []
        if b["payload"].startswith("/product_info")
    ]


async def test_recommendations_exist_and_are_logged_as_impressions(dispatcher, crm):
    await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend something", intent="recommend_products", sender=ALICE), {}
    )
    skus = shown(dispatcher)
    assert len(skus) == 4
    alice = customer_id(crm, ALICE)
    with crm() as session:
        impressions = session.scalars(
            select(Interaction).where(Interaction.customer_id == alice, Interaction.kind == "rec_impression")
        ).all()
    assert len(impressions) >= 4


async def test_a_click_changes_the_next_recommendations(dispatcher):
    visitor = "window-shopper"
    await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend", intent="recommend_products", sender=visitor), {}
    )
    before = shown(dispatcher)
    dispatcher.messages.clear()
    click = [{"entity": "product_sku", "value": before[-1]}]
    await ActionSimilarProducts().run(
        dispatcher, make_tracker("", intent="similar_products", sender=visitor, entities=click), {}
    )
    dispatcher.messages.clear()
    await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend", intent="recommend_products", sender=visitor), {}
    )
    assert shown(dispatcher) != before


async def test_search_respects_the_budget(dispatcher, services):
    await ActionSearchProducts().run(
        dispatcher, make_tracker("something for running under 300", intent="search_products", sender="stranger"), {}
    )
    skus = shown(dispatcher)
    with services.crm() as session:
        prices = [get_product(session, sku).price for sku in skus]
    assert skus and all(price <= 300 for price in prices)


async def test_product_details_from_the_catalogue(dispatcher, services):
    with services.crm() as session:
        product = products_by_ids(session, [1])[0]
    await ActionProductInfo().run(
        dispatcher,
        make_tracker(
            "", intent="product_info", sender="stranger", entities=[{"entity": "product_sku", "value": product.sku}]
        ),
        {},
    )
    assert product.name_en in texts(dispatcher) and product.brand in texts(dispatcher)


# --- handoff and failure ------------------------------------------------------------------------


async def test_handoff_queues_the_conversation_and_pauses_the_bot(dispatcher, crm):
    history = [user_event("my parcel is lost", "track_order")]
    events = await ActionHandoff().run(
        dispatcher, make_tracker("a human please", intent="contact_human_agent", sender=ALICE, history=history), {}
    )
    assert {"event": "pause", "timestamp": None} in events
    with crm() as session:
        handoff = session.scalars(select(HandoffRequest).order_by(HandoffRequest.id.desc())).first()
    assert handoff.status.value == "waiting" and "my parcel is lost" in handoff.summary
    assert "no colleague is online" in texts(dispatcher)  # the demo has no agent online: no made-up wait


async def test_a_typed_yes_to_the_offer_of_a_person_hands_off(dispatcher, crm):
    history = [user_event("钱呢 那个 嗯", "nlu_fallback"), user_event("嗯 就那个", "nlu_fallback")]
    tracker = make_tracker(
        "是的",
        intent="affirm",
        sender="rest-typed-yes",
        history=history,
        slots={"language": "zh", "human_offered": True},
    )
    events = await ActionAffirmAfterAnswer().run(dispatcher, tracker, {})
    assert {"event": "pause", "timestamp": None} in events
    assert {"event": "slot", "timestamp": None, "name": "human_offered", "value": False} in events
    assert "已为您转接人工客服" in texts(dispatcher)
    with crm() as session:
        handoff = session.scalars(select(HandoffRequest).order_by(HandoffRequest.id.desc())).first()
    assert handoff.status.value == "waiting" and handoff.reason == "not understood"


async def test_a_typed_yes_after_a_plain_answer_calls_nobody(dispatcher, crm):
    with crm() as session:
        before = session.scalar(select(func.count(HandoffRequest.id)))
    tracker = make_tracker("yes", intent="affirm", sender=ALICE, slots={"human_offered": False})
    assert await ActionAffirmAfterAnswer().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages[0]["response"] == "utter_anything_else"
    with crm() as session:
        assert session.scalar(select(func.count(HandoffRequest.id))) == before


async def test_a_failing_crm_gives_a_polite_apology(dispatcher, tmp_path, services):
    use_services(Services(f"sqlite:///{tmp_path}/missing/nothing.db", services._recommender_path))
    try:
        events = await ActionTrackOrder().run(
            dispatcher, make_tracker("where", sender=ALICE, slots={"order_id": "KL20250104"}), {}
        )
    finally:
        use_services(services)
    assert events == [] and "can't reach our system" in texts(dispatcher)
    assert dispatcher.messages[-1]["buttons"][0]["payload"] == "/contact_human_agent"


async def test_stop_personalization_withdraws_consent(dispatcher, crm):
    await ActionStopPersonalization().run(dispatcher, make_tracker("stop personalising", sender=LI), {})
    with crm() as session:
        assert not find_customer(session, "rest", LI).personalization_consent


async def test_recommended_products_exist_in_the_catalogue(dispatcher, services):
    await ActionRecommendProducts().run(
        dispatcher, make_tracker("推荐点东西", intent="recommend_products", sender=LI, slots={"language": "zh"}), {}
    )
    with services.crm() as session:
        assert all(get_product(session, sku) for sku in shown(dispatcher))


async def test_the_web_page_gets_product_cards(dispatcher):
    await ActionRecommendProducts().run(
        dispatcher, make_tracker("recommend", intent="recommend_products", sender="web-visitor", channel="web"), {}
    )
    cards = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert len(cards) == 4
    assert all(c["type"] == "product" and c["name"] and c["price"].startswith("¥") and c["description"] for c in cards)
    assert [b["payload"].split("{")[0] for b in cards[0]["buttons"]] == ["/similar_products", "/product_info"]


# --- one customer across channels ---------------------------------------------------------------


async def test_linking_issues_a_code_where_known_and_takes_it_where_not(dispatcher, crm):
    await ActionLinkAccount().run(
        dispatcher,
        make_tracker("绑定账号", intent="link_account", sender=LI, channel="web", slots={"language": "zh"}),
        {},
    )
    code = next(word for word in texts(dispatcher).replace("(", " ").split() if word.isdigit() and len(word) == 6)
    form = ValidateLinkAccountForm()
    domain = {"forms": {"link_account_form": {"required_slots": ["link_code"]}}}
    new_channel = make_tracker("绑定账号", sender="wx-fresh-openid", channel="wechat", active_loop="link_account_form")
    assert await form.required_slots(["link_code"], dispatcher, new_channel, domain) == ["link_code"]
    known = make_tracker("绑定账号", sender=LI, channel="web", active_loop="link_account_form")
    assert await form.required_slots(["link_code"], dispatcher, known, domain) == []
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    events = await form.run(
        dispatcher,
        make_tracker(
            wrong,
            sender="wx-fresh-openid",
            channel="wechat",
            active_loop="link_account_form",
            slots={"requested_slot": "link_code"},
        ),
        domain,
    )
    assert "4" in texts(dispatcher).splitlines()[-1]
    events = await form.run(
        dispatcher,
        make_tracker(
            f"验证码 {code}",
            sender="wx-fresh-openid",
            channel="wechat",
            active_loop="link_account_form",
            slots={"requested_slot": "link_code"},
        ),
        domain,
    )
    assert {"event": "slot", "timestamp": None, "name": "link_code", "value": "linked"} in events
    with crm() as session:
        assert find_customer(session, "wechat", "wx-fresh-openid").id == customer_id(crm, LI)


async def test_refund_status_continues_the_latest_refund(dispatcher, crm):
    domain = {"forms": {"refund_status_form": {"required_slots": ["order_id"]}}}
    events = await ValidateRefundStatusForm().run(
        dispatcher,
        make_tracker("what about my refund?", intent="track_refund", sender=ALICE, active_loop="refund_status_form"),
        domain,
    )
    filled = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    with crm() as session:
        in_progress = [
            r for r in refunds_of(session, customer_id(crm, ALICE)) if r.status.value in ("requested", "approved")
        ]
    assert in_progress and filled["order_id"] == in_progress[0].order_number


async def test_an_agents_message_is_said_once(dispatcher):
    events = await ActionAgentMessage().run(
        dispatcher, make_tracker("", slots={"agent_message": "Hi, this is Mei."}), {}
    )
    assert dispatcher.messages[0]["text"] == "Hi, this is Mei." and events == [SlotSet("agent_message", None)]


async def test_an_agent_joining_is_told_in_the_customers_language_with_their_name(dispatcher):
    slots = {"agent_message": encode("joined", "客服7号"), "language": "zh"}
    events = await ActionAgentMessage().run(dispatcher, make_tracker("", slots=slots), {})
    (said,) = dispatcher.messages
    assert said["text"] == "客服7号 已加入对话" and (said["agent_name"], said["agent_event"]) == ("客服7号", "joined")
    assert events == [SlotSet("agent_message", None)]
    slots = {"agent_message": encode("message", "客服7号", "Your refund is on its way."), "language": "en"}
    await ActionAgentMessage().run(dispatcher, make_tracker("", slots=slots), {})
    assert dispatcher.messages[-1]["text"] == "Your refund is on its way."
    assert dispatcher.messages[-1]["agent_event"] == "message"
