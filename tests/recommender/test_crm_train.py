"""`python -m recommender train` against a small demo CRM database."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm import demo
from crm.db import make_engine
from crm.demo import generate
from crm.migrate import upgrade

from recommender import artifacts
from recommender.__main__ import main
from recommender.serving.service import Recommender


@pytest.fixture(scope="module")
def crm_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('crm') / 'crm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    generate(engine, demo.DemoConfig(customers=80, products=120, interactions=4000), show_progress=False)
    engine.dispose()
    return url


def test_train_from_the_demo_crm(crm_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--crm-url", crm_url, "--out", str(tmp_path), "--no-text"]) == 0
    summary = capsys.readouterr().out
    assert "trained" in summary and "current ->" in summary
    trained = artifacts.load(tmp_path)
    assert trained.meta["source"].startswith("sqlite") and trained.meta["data"]["interactions"] > 1000
    assert len(trained.catalogue) == 120
    service = Recommender.load(tmp_path)
    customer = trained.user_ids[0]
    results = service.recommend(int(customer), k=5, language="zh")
    assert len(results) == 5 and all(isinstance(r.product_id, int) for r in results)
    assert service.explain(int(customer), results[0].product_id, language="zh").text


def test_train_reports_an_unreachable_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["train", "--crm-url", f"sqlite:///{tmp_path}/missing/dir/none.db", "--out", str(tmp_path / "out")]) == 2
    )
    assert "error" in capsys.readouterr().err
    assert not (tmp_path / "out" / "current").exists()
