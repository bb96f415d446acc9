"""The scaled deployment (bot/endpoints-scaled.yml): two Rasa servers serve one conversation through the
PostgreSQL tracker store and the Redis lock store, and their events reach the CRM through RabbitMQ and
the feedback consumer. Uses the PostgreSQL, Redis and RabbitMQ servers of the machine."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text

from crm.models import Conversation, Message
from crm.repository import sender_key
from devstack.config import ROOT, StackConfig, free_port
from devstack.stack import Stack
from tests.e2e.conftest import new_identity
from tests.e2e.test_rest_conversations import texts

pytestmark = pytest.mark.e2e

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def tracker_database() -> str:
    name = f"kelian_tracker_{uuid.uuid4().hex[:8]}"
    yield name
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_two_rasa_servers_share_a_conversation_and_publish_to_rabbitmq(
    tmp_path: Path, crm_url: str, crm, in_crm, tracker_database: str
) -> None:
    action_port = free_port()
    queue = f"kelian-e2e-{uuid.uuid4().hex[:8]}"
    environment = {
        "CRM_DATABASE_URL": crm_url,
        "KELIAN_PG_HOST": "127.0.0.1",
        "KELIAN_PG_DATABASE": tracker_database,
        "KELIAN_REDIS_HOST": "127.0.0.1",
        "KELIAN_AMQP_HOST": "127.0.0.1",
        "KELIAN_AMQP_QUEUE": queue,
        "KELIAN_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
        "KELIAN_ACTION_URL": f"http://127.0.0.1:{action_port}/webhook",
    }
    config = StackConfig(
        rasa_port=free_port(),
        action_port=action_port,
        var_dir=tmp_path / "var",
        extra_env=environment,
        endpoints=ROOT / "bot" / "endpoints-scaled.yml",
        event_broker="rabbitmq",
    )
    with Stack(config) as first:
        alice = first.sign_in(new_identity(crm, "demo-alice"))
        second_port = free_port()
        command = first.rasa_server_command()
        command[command.index("--port") + 1] = str(second_port)
        command[command.index("--log-file") + 1] = str(config.log_dir / "rasa-second.log")
        second = subprocess.Popen(
            command,
            cwd=ROOT,
            env=config.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            second_url = f"http://127.0.0.1:{second_port}"
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"{second_url}/status", params={"token": first.token}, timeout=2).ok:
                        break
                except requests.RequestException:
                    time.sleep(1)
            asked = texts(first.say(alice, "can you check where my parcel is"))
            assert "KL" in asked  # the first server asks for the order number...
            answer = requests.post(
                f"{second_url}/webhooks/rest/webhook",
                json={"message": "KL20250104"},
                headers=first.rest_headers(alice),
                timeout=60,
            ).json()
            assert "shipped" in texts(answer)  # ...the second one continues the same conversation

            def transcript(session):  # noqa: ANN001, ANN202 - a CRM session
                ids = (
                    select(Conversation.id)
                    .where(Conversation.sender_key == sender_key("rest", alice))
                    .scalar_subquery()
                )
                return [
                    m.text
                    for m in session.scalars(
                        select(Message).where(Message.conversation_id.in_(ids), Message.sender == "customer")
                    )
                ]

            while len(in_crm(transcript)) < 2 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert in_crm(transcript) == ["can you check where my parcel is", "KL20250104"]
        finally:
            second.terminate()
            second.wait(timeout=30)
