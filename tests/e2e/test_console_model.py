"""Retraining from the console, end to end.

In headless Chromium, in Chinese then in English: a supervisor presses Retrain, the page polls the job's
progress (console/static/model.js) and shows the candidate's figures and the gate's verdict by itself when
the job ends, then Activate. The trainer there is the fake one (tests/console/fake_trainer.py).

Then the whole flow, in the browser too, with the real dev-set evaluation (`python -m devstack nlu-dev --model
--json`, the real-message sets of ../shared/eval) of the model `make train` left in models/, copied as the
"candidate" by the fake trainer: a few minutes of parsing and scoring instead of `rasa train`'s twenty."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from crm.models import StaffRole
from console.app import make_app
from console.config import ROOT
from console.training import Trainer, TrainingSettings
from console.training_models import latest_model, read_baseline
from console.views import model as model_views
from tests.console.conftest import PASSWORD, demo, demo_engine, new_user  # noqa: F401 - fixtures
from tests.console.test_model_page import ModelRasa
from tests.console.test_training import FAKE, settings
from tests.console.test_web import console_config
from tests.e2e.test_console_browser import ConsoleThread, Watch
from tests.e2e.test_queue_browser import sign_in

pytestmark = pytest.mark.e2e


class ModelConsole(ConsoleThread):
    """The console with a fake trainer that waits for `go`, and a Rasa stand-in that takes `PUT /model`."""

    def __init__(self, engine: Engine, var_dir: Path, training: TrainingSettings | None = None) -> None:
        super().__init__(engine, var_dir)
        self.model_rasa = ModelRasa()
        self.go = var_dir / "go"
        self.nlu_dir = var_dir / "nlu"
        self.training = training or settings(var_dir, "--wait-for", str(self.go))
        shutil.copytree(ROOT / "data" / "rasa" / "nlu", self.nlu_dir)

    async def _start(self) -> None:
        await self.model_rasa.server.start_server()
        rasa_url = str(self.model_rasa.server.make_url("")).rstrip("/")
        app = make_app(console_config(self.engine, self.var_dir, rasa_url, nlu_dir=self.nlu_dir))
        app[model_views.TRAINER] = Trainer(self.training)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        self.go.touch()
        assert self._runner is not None
        await self._runner.cleanup()
        await self.model_rasa.server.close()


@pytest.fixture
def console(demo_engine: Engine, tmp_path: Path) -> Iterator[ModelConsole]:  # noqa: F811
    running = ModelConsole(demo_engine, tmp_path)
    with running:
        yield running


def test_retrain_and_activate_in_the_browser_in_chinese_then_english(
    console: ModelConsole,
    browser: Browser,
    demo: sessionmaker[Session],  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, console.url, new_user(demo, StaffRole.SUPERVISOR, language="zh"))
    page.click("nav a[href='/model']")
    page.wait_for_url(f"{console.url}/model")
    assert page.locator("h1").inner_text() == "助手的 NLU 模型"
    assert page.locator("#waiting h2").inner_text() == "等待导出的纠错"
    page.click("#retrain")
    page.wait_for_url(f"{console.url}/model?done=started")
    assert page.locator("#model-notice").inner_text() == "重新训练已开始。"
    assert page.locator("#job-phase").inner_text() == "正在训练" and page.locator("#retrain").is_disabled()
    page.wait_for_function("document.getElementById('job-log').textContent.includes('Training NLU model...')")
    console.go.touch()  # the fake training ends; the page finds out by polling and reloads itself
    page.wait_for_selector("#verdict", timeout=60_000)
    assert page.locator("#job-phase").inner_text() == "候选模型已就绪"
    assert page.locator("#verdict").inner_text().startswith("推荐启用")
    assert page.locator("#figures th").all_inner_texts() == ["开发集", "指标", "基线(已接受)", "当前模型", "候选模型"]
    assert "意图准确率" in page.locator("#figures").inner_text()
    page.click("#activate")
    page.wait_for_url(f"{console.url}/model?done=loaded")
    assert page.locator("#model-notice").inner_text() == "候选模型已启用:Rasa 服务器已加载它。"
    assert "20261207-031500-fake-candidate.tar.gz" in page.locator("#active-model").inner_text()
    assert page.locator("#activate").count() == 0
    watch.assert_clean("the Model page in Chinese")
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, console.url, new_user(demo, StaffRole.ADMIN, language="en"))
    page.goto(f"{console.url}/model")
    assert page.locator("h1").inner_text() == "The assistant's NLU model"
    assert page.locator("nav a[aria-current=page]").inner_text() == "Model"
    assert page.locator("#job-phase").inner_text() == "activated"
    assert page.locator("#figures th").all_inner_texts() == [
        "Dev set",
        "Figure",
        "Baseline (accepted)",
        "Active model",
        "Candidate",
    ]
    console.go.unlink()
    page.click("#retrain")
    page.wait_for_url(f"{console.url}/model?done=started")
    assert page.locator("#job-phase").inner_text() == "training"
    console.go.touch()
    page.wait_for_selector("#verdict", timeout=60_000)
    assert page.locator("#verdict").inner_text().startswith("Recommended:")
    watch.assert_clean("the Model page in English")
    context.close()


def test_the_whole_flow_with_the_real_dev_set_evaluation_of_a_trained_model(
    demo_engine: Engine,  # noqa: F811
    demo: sessionmaker[Session],  # noqa: F811
    browser: Browser,
    tmp_path: Path,
) -> None:
    trained = latest_model(ROOT / "models")
    assert trained is not None, "no trained model in models/: make train"
    real = TrainingSettings(work_dir=tmp_path / "training")  # the defaults, not the tests' environment
    assert real.eval_command[:4] == (str(ROOT / ".venv" / "bin" / "python"), "-m", "devstack", "nlu-dev")
    training = TrainingSettings(
        work_dir=tmp_path / "training",
        models_dir=tmp_path / "models",
        train_command=(*FAKE, "train", "--out", "{out}", "--copy", str(trained)),
        eval_command=real.eval_command,  # python -m devstack nlu-dev --model {model} --json {json}
    )
    console = ModelConsole(demo_engine, tmp_path, training)
    with console:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        page = context.new_page()
        watch = Watch(page)
        sign_in(page, console.url, new_user(demo, StaffRole.SUPERVISOR, language="en"))
        page.goto(f"{console.url}/model")
        page.click("#retrain")
        page.wait_for_url(f"{console.url}/model?done=started")
        page.wait_for_function("document.getElementById('job-phase').dataset.phase === 'evaluating'", timeout=120_000)
        page.wait_for_selector("#verdict, #job-problem", timeout=900_000)  # the page reloads itself at the end
        assert page.locator("#job-problem").count() == 0, page.locator("#job-log").inner_text()
        figures = json.loads(training.figures_path.read_text())
        baseline = read_baseline()
        assert set(figures["sets"]) == set(baseline["sets"])  # every dev set measured
        for name, accepted in baseline["sets"].items():
            assert set(accepted) <= set(figures["sets"][name])
            assert all(0.0 <= value <= 100.0 for value in figures["sets"][name].values())
        assert figures["model"] == trained.name and isinstance(figures["regressions"], list)
        verdict = "Recommended:" if not figures["regressions"] else "Not recommended:"
        assert page.locator("#verdict").inner_text().startswith(verdict)
        table = page.locator("#figures").inner_text()
        assert f"{figures['sets']['zh-real-dev']['accuracy']:.1f}" in table
        assert page.locator("#figures tr.below-gate").count() == len(figures["regressions"])
        page.click("#activate")
        page.wait_for_url(f"{console.url}/model?done=loaded")
        model = tmp_path / "models" / trained.name
        assert console.model_rasa.loaded == [{"model_file": str(model)}]
        assert latest_model(tmp_path / "models") == model
        assert trained.is_file()  # the stack's own models/ is untouched
        watch.assert_clean("the whole flow")
        context.close()
