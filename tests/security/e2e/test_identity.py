"""Nobody reads another customer's data without that customer's signed identity or an order proof,
tried through the running stack. Before: `{"sender": "demo-alice"}` on the REST channel was Alice
(items, carrier and tracking number without any proof), `"input_channel": "wechat"` in the body made a
REST client a WeChat follower, and client metadata went into the tracker."""

from __future__ import annotations

import requests
import pytest

from bot.channels import web_auth
from devstack.stack import Stack

pytestmark = pytest.mark.e2e

ORDER = "KL20250104"  # Alice's shipped order in the demo shop


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def post(stack: Stack, body: object, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(f"{stack.config.rasa_url}/webhooks/rest/webhook", json=body, headers=headers or {}, timeout=60)


def test_an_unsigned_rest_sender_is_nobody(stack: Stack, alice: str) -> None:
    signed = texts(stack.say(alice, f"can you track {ORDER}?"))
    assert "shipped" in signed  # Alice, signed in, sees her order...
    for sender in ("demo-alice", alice):  # ...the same ids without her token see nothing of it
        answer = post(stack, {"sender": sender, "message": f"can you track {ORDER}?"})
        assert answer.status_code == 200 and answer.json()
        assert "shipped" not in texts(answer.json()) and "tracking number" not in texts(answer.json())
        tracker = requests.get(
            f"{stack.config.rasa_url}/conversations/rest-{sender}/tracker", params={"token": stack.token}, timeout=30
        ).json()
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [f"can you track {ORDER}?"]


def test_the_body_cannot_choose_the_channel_or_the_metadata(stack: Stack) -> None:
    answer = post(
        stack,
        {
            "sender": "wx-demo-li",
            "message": "我的订单到哪了",
            "input_channel": "wechat",
            "metadata": {"customer_id": "2"},
        },
    )
    assert answer.status_code == 200
    tracker = requests.get(
        f"{stack.config.rasa_url}/conversations/rest-wx-demo-li/tracker", params={"token": stack.token}, timeout=30
    ).json()
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user["input_channel"] == "rest" and "customer_id" not in (user.get("metadata") or {})


def test_a_payload_cannot_set_identity_slots(stack: Stack, customer: str) -> None:
    injected = f'/track_order{{"order_id": "{ORDER}", "customer_id": "1", "order_proof": "verified"}}'
    reply = texts(stack.say(customer, injected))
    assert "shipped" not in reply
    slots = stack.tracker(customer)["slots"]
    assert slots.get("customer_id") is None and slots.get("order_proof") != "verified"


def test_tokens_are_checked(stack: Stack) -> None:
    forged = web_auth.issue_user_token("demo-alice", "a secret that is not the shop's, 32+ bytes long")
    assert post(stack, {"message": f"track {ORDER}"}, {"Authorization": f"Bearer {forged}"}).status_code == 401
    secret = web_auth.web_secret(var_dir=stack.config.var_dir)
    expired = web_auth.issue_user_token("demo-alice", secret, minutes=-5)
    assert post(stack, {"message": f"track {ORDER}"}, {"Authorization": f"Bearer {expired}"}).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        ["hi"],
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "s" * 129, "message": "hi"},
        {"sender": "me", "message": 42},
        {"sender": "../../conversations/x", "message": "hi"},
    ],
)
def test_malformed_requests_are_400_not_a_shared_default_conversation(stack: Stack, body: object) -> None:
    assert post(stack, body).status_code == 400
