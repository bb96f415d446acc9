"""`python -m crm experiments`: the whole life of an experiment through the command line, its
refusals, and `simulate` writing its section of the docs (SQLite; the commands are backend-neutral)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.cli import main
from crm.db import make_engine
from crm.experiments.definitions import get_experiment
from crm.experiments.serving import arm_for, record_exposure
from crm.migrate import upgrade
from crm.models import Channel, Customer, Experiment, ExperimentMetric, Interaction, InteractionKind, Product

T0 = datetime(2025, 11, 1, 9, tzinfo=timezone.utc)


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'experiments.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def run(url: str, *args: str) -> int:
    return main(["--database-url", url, "experiments", *args])


def exposed_customers(url: str, count: int, clicks_every: int) -> None:
    """`count` customers who saw their arm at T0; every `clicks_every`-th clicked a day later."""
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        session.add(
            Product(
                id=1,
                sku="SKU-1",
                name_en="Kettle",
                name_zh="水壶",
                description_en="",
                description_zh="",
                category_id=_category(session),
                brand="B",
                price=10,
                stock=5,
                created_at=T0,
            )
        )
        for i in range(count):
            customer = Customer(created_at=T0 - timedelta(days=30))
            session.add(customer)
            session.flush()
            assignment = arm_for(session, "recommendations", customer_id=customer.id, channel="web", now=T0)
            assert assignment is not None and record_exposure(session, assignment, "web", now=T0)
            if i % clicks_every == 0:
                session.add(
                    Interaction(
                        customer_id=customer.id,
                        product_id=1,
                        kind=InteractionKind.REC_CLICK,
                        weight=3.0,
                        channel=Channel.WEB,
                        occurred_at=T0 + timedelta(days=1),
                    )
                )
    engine.dispose()


def _category(session: Session) -> int:
    from crm.models import Category

    category = Category(slug="kitchen", name_en="Kitchen", name_zh="厨房")
    session.add(category)
    session.flush()
    return category.id


def test_create_start_report_stop(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            url,
            "create",
            "recs-als",
            "--arm",
            "control:50",
            "--arm",
            "als:50:strategy=als,diversity=off",
            "--metric",
            "rec_click",
            "--baseline",
            "0.1",
            "--mde",
            "0.2",
            "--window-days",
            "3",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "created as a draft" in out and "3,835 analysed units per arm planned" in out
    assert run(url, "start", "recs-als", "--at", "2025-11-01T08:00") == 0
    assert "running since 2025-11-01 08:00 UTC" in capsys.readouterr().out
    assert run(url, "list", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["key"], listed["status"], listed["planned_per_arm"]) == ("recs-als", "running", 3835)
    assert [a["variant"] for a in listed["arms"]] == ["default", "strategy=als diversity=off popularity_weight=0"]

    exposed_customers(url, 40, clicks_every=4)
    assert run(url, "report", "recs-als", "--as-of", "2025-11-10", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    arms = report["analysis"]["arms"]
    assert sum(a["exposed"] for a in arms) == sum(a["analysed"] for a in arms) == 40
    assert sum(a["conversions"] for a in arms) == 10
    assert report["analysis"]["winner"] is None and report["analysis"]["verdict"].startswith("no winner yet")

    assert run(url, "report", "recs-als", "--as-of", "2025-11-10") == 0
    text = capsys.readouterr().out
    assert "rate [95% Wilson]" in text and "p (Holm)" in text and "verdict: no winner yet" in text
    assert "planned 3,835 analysed units per arm (not reached)" in text

    assert run(url, "stop", "recs-als", "--at", "2025-11-05") == 0
    assert "stopped since 2025-11-05 00:00 UTC" in capsys.readouterr().out
    assert run(url, "list") == 0
    assert "recs-als  stopped" in capsys.readouterr().out


def test_refusals_are_clear_and_change_nothing(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(url, "create", "x", "--arm", "control:50", "--arm", "b:50", "--metric", "happiness", "--sample-size", "100")
        == 1
    )
    assert "happiness" in capsys.readouterr().err
    assert run(url, "create", "x", "--arm", "control:50", "--metric", "rec_click", "--sample-size", "100") == 1
    assert "2 to 5 arms" in capsys.readouterr().err
    assert (
        run(
            url,
            "create",
            "x",
            "--arm",
            "control:50",
            "--arm",
            "b:50:strategy=magic",
            "--metric",
            "rec_click",
            "--sample-size",
            "100",
        )
        == 1
    )
    assert "strategy must be one of" in capsys.readouterr().err
    assert (
        run(url, "create", "x", "--arm", "control:50", "--arm", "b:50", "--metric", "rec_click", "--baseline", "0.1")
        == 1
    )
    assert "--mde" in capsys.readouterr().err
    assert run(url, "report", "nobody") == 1
    assert "no experiment 'nobody'" in capsys.readouterr().err
    assert run(url, "start", "nobody") == 1
    capsys.readouterr()
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Experiment)) == 0
    engine.dispose()


def test_the_help_names_every_metric_and_surface(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["experiments", "create", "--help"])
    create = " ".join(capsys.readouterr().out.split())
    assert all(metric.value in create for metric in ExperimentMetric)  # csat too
    assert all(surface in create for surface in ("recommendations", "outreach", "replies"))
    with pytest.raises(SystemExit):
        main(["--help"])
    top = " ".join(capsys.readouterr().out.split())
    assert "A/B experiments on recommendations, reply wordings and outreach" in top


def test_commands_need_a_migrated_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(f"sqlite:///{tmp_path / 'empty.db'}", "list") == 1
    assert "python -m crm migrate" in capsys.readouterr().err


def test_simulate_rewrites_only_its_section_of_the_doc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, image = tmp_path / "experiments.md", tmp_path / "simulation.png"
    doc.write_text(
        "# Experiments\n\nHand-written text.\n\n<!-- simulation:start -->\nold figures\n"
        "<!-- simulation:end -->\n\nMore hand-written text.\n",
        encoding="utf-8",
    )
    args = [
        "simulate",
        "--repetitions",
        "40",
        "--customers",
        "4000",
        "--seed",
        "3",
        "--quiet",
        "--doc",
        str(doc),
        "--image",
        str(image),
    ]
    assert main(["--database-url", f"sqlite:///{tmp_path / 'unused.db'}", "experiments", *args]) == 0
    summary = capsys.readouterr().out.strip()
    assert summary.startswith("simulated 40 x 2 experiments of 4,000 customers") and "\n" not in summary
    text = doc.read_text(encoding="utf-8")
    assert "Hand-written text." in text and "More hand-written text." in text and "old figures" not in text
    assert text.count("<!-- simulation:start -->") == 1 and "| treatment better | +20% |" in text
    assert "](simulation.png)" in text and image.stat().st_size > 10_000


def test_the_simulated_analysis_covers_the_truth_and_keeps_its_error_rate() -> None:
    """A smaller run than the docs' (200 repetitions): the figures must be where chance allows."""
    from crm.experiments.simulation import SimulationConfig, simulate

    result = simulate(
        SimulationConfig(repetitions=200, customers=6000, baseline=0.1, lift=0.25, seed=5), show_progress=False
    )
    assert result.effect.coverage >= 0.9 and result.null.coverage >= 0.9  # 95 % nominal, 3 s.e. below
    assert result.null.rejection_rate <= 0.1  # 5 % nominal
    assert result.effect.rejection_rate > 0.5  # a real +25 % lift is usually found
    assert result.null.peeking_rejections > result.null.rejection_rate * 200  # peeking inflates false positives
    assert result.effect.srm_alarms + result.null.srm_alarms <= 2


def test_get_experiment_reads_what_the_cli_wrote(url: str) -> None:
    assert (
        run(
            url,
            "create",
            "carts",
            "--arm",
            "control:1",
            "--arm",
            "popular:1:strategy=popularity",
            "--metric",
            "add_to_cart",
            "--target",
            "segment:at_risk",
            "--sample-size",
            "500",
        )
        == 0
    )
    engine = make_engine(url)
    with Session(engine) as session:
        created = get_experiment(session, "carts")
        assert (created.target_kind.value, created.target_value, created.planned_per_arm) == ("segment", "at_risk", 500)
        assert created.arms[1].parameters == {
            "strategy": "popularity",
            "blend": {"personal_weight": 0.0, "popularity_weight": 1.0},
        }
    engine.dispose()


def test_a_stop_can_be_scheduled(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run(
            url,
            "create",
            "later",
            "--arm",
            "control:1",
            "--arm",
            "b:1:diversity=off",
            "--metric",
            "resolved",
            "--sample-size",
            "50",
        )
        == 0
    )
    assert run(url, "start", "later") == 0
    assert run(url, "stop", "later", "--at", "2999-01-01") == 0
    assert "keeps running until 2999-01-01 00:00 UTC (stop scheduled)" in capsys.readouterr().out
    assert run(url, "list", "--json") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["status"], listed["stops_at"]) == ("running", "2999-01-01T00:00:00+00:00")
