"""The Model page over HTTP (the real application, a small demo CRM, the fake trainer of
tests/console/fake_trainer.py and a stand-in Rasa server that takes `PUT /model`): roles, CSRF, the export and
background job behind "Retrain", one job at a time, the figures and the gate's verdict, and "Activate", each
audited, in both languages."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from crm.db import run_transaction
from crm.models import AuditEntry, NluCorrection
from crm.repository import open_conversation, record_message
from console import corrections as fixes
from console.app import make_app
from console.config import ROOT
from console.training import Trainer
from console.training_models import read_baseline
from console.views import model as model_views
from tests.console.conftest import new_user
from tests.console.fake_rasa import TOKEN
from tests.console.test_training import settings
from tests.console.test_web import Staff, console_config


class ModelRasa:
    """The Rasa server's `PUT /model`, recording which model file it was asked to load."""

    def __init__(self) -> None:
        self.loaded: list[dict[str, Any]] = []
        app = web.Application()
        app.router.add_put("/model", self.load)
        self.server = TestServer(app)

    async def load(self, request: web.Request) -> web.Response:
        if request.query.get("token") != TOKEN:
            raise web.HTTPUnauthorized()
        self.loaded.append(await request.json())
        return web.Response(status=204)


@pytest.fixture
async def model_rasa() -> AsyncIterator[ModelRasa]:
    fake = ModelRasa()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
def nlu_dir(tmp_path: Path) -> Path:
    """A copy of the training data: Retrain exports the corrections into it."""
    target = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "rasa" / "nlu", target, ignore=shutil.ignore_patterns(fixes.EXPORT_NAME))
    return target


@pytest.fixture
async def console(
    demo_engine: Engine, tmp_path: Path, model_rasa: ModelRasa, nlu_dir: Path
) -> AsyncIterator[tuple[TestClient, Trainer]]:
    app = make_app(
        console_config(demo_engine, tmp_path, str(model_rasa.server.make_url("")).rstrip("/"), nlu_dir=nlu_dir)
    )
    trainer = Trainer(settings(tmp_path, "--wait-for", str(tmp_path / "go")))
    app[model_views.TRAINER] = trainer
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client, trainer
    (tmp_path / "go").touch()
    await client.close()


async def sign_in(
    client: TestClient, demo: sessionmaker[Session], role: str, language: str = "en"
) -> tuple[Staff, str]:
    name = new_user(demo, role, language=language)
    staff = Staff(client)
    assert (await staff.login(name)).status == 303
    return staff, name


def audited(demo: sessionmaker[Session], actor: str) -> list[AuditEntry]:
    with demo() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id)))


def a_correction(demo: sessionmaker[Session]) -> int:
    word = uuid.uuid4().hex[:6]

    def setup(session: Session) -> int:
        conversation = open_conversation(session, "rest", f"model-{word}", language="en")
        text = f"wheres my parcel {word} gone"
        message = record_message(session, conversation, "customer", text, intent="greet", confidence=0.3)
        saved = fixes.save_correction(
            session,
            message,
            intent="track_order",
            entities=[],
            text=None,
            author="mei",
            vocabulary=fixes.domain_vocabulary(ROOT / "bot" / "domain"),
        )
        return saved.correction_id

    # it reads, then writes, while the console may write too: run again if SQLite reports it locked
    return run_transaction(demo, setup)


async def test_only_supervisors_and_admins_retrain_and_every_post_needs_the_csrf_token(
    console: tuple[TestClient, Trainer], demo: sessionmaker[Session]
) -> None:
    client, trainer = console
    agent, _ = await sign_in(client, demo, "agent")
    assert 'href="/model"' not in await agent.page("/inbox")
    for path in ("/model", "/model/status"):
        assert "This page is for" in await agent.page(path, status=403)
    for path in ("/model/retrain", "/model/activate"):
        assert (await agent.post(path)).status == 403
    assert trainer.current() is None
    await agent.post("/logout")
    admin, _ = await sign_in(client, demo, "admin")
    page = await admin.page("/model")
    assert 'href="/model" aria-current="page"' in page and 'id="retrain"' in page
    forged = await client.post("/model/retrain", data={"csrf_token": "forged"}, allow_redirects=False)
    assert forged.status == 403 and trainer.current() is None


async def test_retrain_exports_trains_in_the_background_once_and_activate_loads_the_candidate(
    console: tuple[TestClient, Trainer], demo: sessionmaker[Session], model_rasa: ModelRasa, tmp_path: Path
) -> None:
    client, trainer = console
    correction = a_correction(demo)
    supervisor, name = await sign_in(client, demo, "supervisor")
    page = await supervisor.page("/model")
    assert "Corrections waiting to be exported" in page and "No trained model in models/ yet" in page

    started = await supervisor.post("/model/retrain")
    assert started.status == 303 and started.headers["Location"] == "/model?done=started"
    with demo() as session:
        assert session.get(NluCorrection, correction).exported_at is not None
    exported = yaml.safe_load((tmp_path / "nlu" / "en" / fixes.EXPORT_NAME).read_text())
    assert any("wheres my parcel" in block["examples"] for block in exported["nlu"])
    running = await supervisor.page("/model?done=started")
    assert "Retraining started." in running and 'data-running="1"' in running and "started by " + name in running
    assert 'id="retrain" disabled' in running
    status = await (await client.get("/model/status")).json()
    assert status["running"] is True and status["phase"] == "training" and status["phase_label"] == "training"
    assert any("Training NLU model..." in line for line in status["tail"]) or status["tail"][0].startswith("$ ")

    again = await supervisor.post("/model/retrain")  # a second click while it runs
    assert again.status == 409 and "A retraining job is running already" in await again.text()

    (tmp_path / "go").touch()
    state = await trainer.wait()
    assert state is not None and state.phase == "ready", state
    done = await supervisor.page("/model")
    assert 'data-running="0"' in done and "candidate ready" in done
    assert 'id="verdict" class="notice"' in done and "Recommended: no figure is worse" in done
    accepted = read_baseline()["sets"]["en-real-dev"]["accuracy"]  # the repository's docs/nlu-dev-baseline.json
    assert "<td>84.5</td>" in done and f"<td>{accepted:.1f}</td>" in done  # the candidate beside the accepted baseline
    assert 'id="activate"' in done

    activated = await supervisor.post("/model/activate")
    assert activated.status == 303 and activated.headers["Location"] == "/model?done=loaded"
    model = tmp_path / "models" / "20261207-031500-fake-candidate.tar.gz"
    assert model.is_file() and model_rasa.loaded == [{"model_file": str(model)}]
    after = await supervisor.page("/model?done=loaded")
    assert "the Rasa server loaded it" in after and "20261207-031500-fake-candidate.tar.gz" in after
    assert 'id="activate"' not in after and "<td>84.5</td>" in after  # the active model's recorded figures
    assert (await supervisor.post("/model/activate")).status == 409  # nothing left to activate
    entries = [(e.action, e.detail) for e in audited(demo, name)]
    exported_counts = [dict(map(tuple, d["exported"])) for a, d in entries if a == "retrain_model"]
    assert len(exported_counts) == 1 and exported_counts[0]["en"] >= 1  # (the demo CRM has other tests' too)
    assert (
        "activate_model",
        {"model": model.name, "recommended": True, "loaded": True},
    ) in entries


async def test_the_page_and_its_verdict_read_in_chinese(
    console: tuple[TestClient, Trainer], demo: sessionmaker[Session], tmp_path: Path
) -> None:
    client, trainer = console
    trainer.settings = settings(tmp_path, evaluate=("--regression", "en-real-dev: accuracy 84.5% < 86.0% - 2"))
    supervisor, _ = await sign_in(client, demo, "supervisor", "zh")
    page = await supervisor.page("/model")
    assert "<title>模型" in page and "等待导出的纠错" in page and "重新训练" in page
    assert (await supervisor.post("/model/retrain")).status == 303
    await trainer.wait()
    done = await supervisor.page("/model")
    assert "候选模型已就绪" in done and "不推荐启用" in done and 'class="below-gate"' in done
    assert "意图准确率" in done and "启用" in done
