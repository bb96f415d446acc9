"""The scaled deployment (bot/endpoints-scaled.yml): two Rasa servers behind one nginx port serve one
conversation through the PostgreSQL tracker store and the Redis lock store, and their events reach the
CRM through RabbitMQ and the feedback consumer. Uses the PostgreSQL, Redis and RabbitMQ servers of the
machine and Debian's nginx (`make nginx`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.models import Conversation, Message
from crm.repository import sender_key
from devstack import proxy
from devstack.config import StackConfig, free_port
from devstack.scaled import scaled_config, tracker_database
from devstack.stack import Stack, StackError
from tests.e2e.conftest import new_identity
from tests.e2e.test_rest_conversations import texts

pytestmark = pytest.mark.e2e


@pytest.fixture
def tracker_db() -> Iterator[str]:
    with tracker_database() as name:
        yield name


def test_two_rasa_servers_behind_one_port_share_a_conversation_and_publish_to_rabbitmq(
    tmp_path: Path, crm_url: str, crm, in_crm, tracker_db: str
) -> None:
    """`rasa_servers=2`: nginx on the Rasa port, two servers behind it. A form that spans turns is
    finished whichever server takes each turn (the proxy's log shows both took some), and the events of
    both reach the CRM through RabbitMQ."""
    config = scaled_config(tmp_path / "var", crm_url, tracker_db, rasa_servers=2)
    with Stack(config) as stack:
        backends = {f"127.0.0.1:{port}" for port in stack.backend_ports}
        assert len(backends) == 2
        alice = stack.sign_in(new_identity(crm, "demo-alice"))
        said = []
        for _ in range(2):  # the proxy alternates between idle servers: each asks once, each is answered once
            said.append("can you check where my parcel is")
            assert "KL" in texts(stack.say(alice, said[-1]))
            said.append("KL20250104")
            assert "shipped" in texts(stack.say(alice, said[-1]))
        assert backends <= proxy.upstreams_used(stack.proxy_dir)

        def transcript(session: Session) -> list[str]:
            ids = select(Conversation.id).where(Conversation.sender_key == sender_key("rest", alice)).scalar_subquery()
            return [
                m.text
                for m in session.scalars(
                    select(Message).where(Message.conversation_id.in_(ids), Message.sender == "customer")
                )
            ]

        deadline = time.monotonic() + 120
        while len(in_crm(transcript)) < len(said) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert in_crm(transcript) == said


def test_several_rasa_servers_refuse_stores_of_their_own(tmp_path: Path) -> None:
    """SQLite trackers and an in-memory lock store would let two servers interleave one conversation."""
    config = StackConfig(rasa_port=free_port(), action_port=free_port(), var_dir=tmp_path / "var", rasa_servers=2)
    with pytest.raises(StackError, match="shared tracker store"):
        Stack(config).start()
