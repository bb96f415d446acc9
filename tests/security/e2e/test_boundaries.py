"""Service boundaries of the running stack. Before: the action server listened on 0.0.0.0:5055 with
no token and CORS `*`, so anyone who reached it could run `action_track_order` on a hand-made tracker
with `customer_id: "2"` and read that customer's order; the Rasa API token was on the command line,
readable by every user in `ps`; the web socket accepted any Origin."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests

from devstack.stack import Stack

pytestmark = pytest.mark.e2e

# Every route of Rasa 3.6's HTTP API that holds or changes data (rasa/server.py). `/` and `/version`
# answer anyone by design: a greeting and the version number, nothing of a conversation.
RASA_ROUTES = [
    ("GET", "/status"),
    ("GET", "/domain"),
    ("GET", "/conversations/demo-alice/tracker"),
    ("POST", "/conversations/demo-alice/tracker/events"),
    ("PUT", "/conversations/demo-alice/tracker/events"),
    ("GET", "/conversations/demo-alice/story"),
    ("POST", "/conversations/demo-alice/execute"),
    ("POST", "/conversations/demo-alice/trigger_intent"),
    ("POST", "/conversations/demo-alice/predict"),
    ("POST", "/conversations/demo-alice/messages"),
    ("POST", "/model/train"),
    ("POST", "/model/test/stories"),
    ("POST", "/model/test/intents"),
    ("POST", "/model/predict"),
    ("POST", "/model/parse"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
]

HAND_MADE_CALL = {
    "next_action": "action_track_order",
    "sender_id": "attacker",
    "version": "3.6.21",
    "domain": {},
    "tracker": {
        "sender_id": "attacker",
        "slots": {"customer_id": "2", "order_id": "KL20251104"},
        "latest_message": {"text": "where", "intent": {"name": "track_order"}, "entities": []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    },
}


@pytest.mark.parametrize("method, path", RASA_ROUTES)
def test_every_rasa_api_route_wants_the_token(stack: Stack, method: str, path: str) -> None:
    url = stack.config.rasa_url + path
    assert requests.request(method, url, json={}, timeout=30).status_code == 401
    assert requests.request(method, url, params={"token": "wrong"}, json={}, timeout=30).status_code == 401


def test_the_action_server_answers_only_the_rasa_server(stack: Stack) -> None:
    url = stack.config.action_url
    assert requests.post(f"{url}/webhook", json=HAND_MADE_CALL, timeout=30).status_code == 401
    wrong = {"X-Kelian-Action-Token": "guess"}
    assert requests.post(f"{url}/webhook", json=HAND_MADE_CALL, headers=wrong, timeout=30).status_code == 401
    assert requests.get(f"{url}/actions", timeout=30).status_code == 401
    assert requests.get(f"{url}/health", timeout=30).status_code == 200
    preflight = requests.options(
        f"{url}/webhook",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_a_sealed_proof_is_needed_even_with_the_token(stack: Stack) -> None:
    """With the shared token (a compromised Rasa server, say), a bare customer id in the slot still
    shows nothing: the proof slot must carry the action server's own seal for this conversation."""
    token = stack.config.env()["KELIAN_ACTION_TOKEN"]
    answer = requests.post(
        f"{stack.config.action_url}/webhook", json=HAND_MADE_CALL, headers={"X-Kelian-Action-Token": token}, timeout=30
    )
    assert answer.status_code == 200
    said = " ".join(r.get("text") or "" for r in answer.json()["responses"])
    assert "KL20251104" not in said or "shipped" not in said


def _outside_addresses() -> list[str]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: picks the machine's outward address
            address = probe.getsockname()[0]
        except OSError:
            return []
    return [] if address.startswith("127.") else [address]


def test_the_action_server_listens_on_loopback_only(stack: Stack) -> None:
    addresses = _outside_addresses()
    assert addresses, "this machine has no non-loopback address to try"
    for address in addresses:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            assert probe.connect_ex((address, stack.config.action_port)) != 0


def test_no_secret_on_a_command_line(stack: Stack) -> None:
    secrets = {stack.token, stack.config.env()["KELIAN_ACTION_TOKEN"]}
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            command_line = (process / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        assert not any(secret in command_line for secret in secrets), f"a secret on the command line of {process.name}"


def test_the_web_socket_refuses_other_origins(stack: Stack) -> None:
    url = f"{stack.config.rasa_url}/socket.io/"
    params = {"EIO": "4", "transport": "polling"}
    own = requests.get(url, params=params, headers={"Origin": stack.config.rasa_url}, timeout=30)
    assert own.status_code == 200
    other = requests.get(url, params=params, headers={"Origin": "https://evil.example"}, timeout=30)
    assert other.status_code >= 400
