"""The turn benchmark's pure parts (devstack/turn_bench.py, devstack/init_bot.py): the ratios and the
report, the order of the measurements, and when the `rasa init` bot is created or trained again.
Nothing here starts a server or measures time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import cast

from devstack import init_bot, turn_bench
from devstack.config import StackConfig
from devstack.init_bot import InitBot, needs_init, needs_training
from devstack.stack import Stack
from devstack.turn_bench import GREETING, INIT_GREETING, ratios, report

TRACK = "track an order (CRM)"
ROWS = [
    (GREETING, 10, 900.0, 1200.0, 10.0, 90.0),
    (GREETING, 50, 4000.0, 5000.0, 11.0, 88.0),
    (INIT_GREETING, 10, 250.0, 300.0, 40.0, 45.0),
    (INIT_GREETING, 50, 1100.0, 1400.0, 44.0, 44.0),
    (TRACK, 10, 3000.0, 4800.0, 3.0, 300.0),
    (TRACK, 50, 14000.0, 20000.0, 3.1, 310.0),
]


def test_the_ratios_compare_kelian_with_the_init_bot_and_data_turns_with_the_greeting():
    assert ratios(ROWS) == [
        "greeting throughput Kelian / rasa init = 0.25× at 10 conversations",
        "greeting CPU per turn Kelian / rasa init = 2.00× at 10 conversations",
        "greeting throughput Kelian / rasa init = 0.25× at 50 conversations",
        "greeting CPU per turn Kelian / rasa init = 2.00× at 50 conversations",
        "track an order (CRM): data-turn p95 / greeting p95 = 4.00× at 10 conversations",
        "track an order (CRM): data-turn p95 / greeting p95 = 4.00× at 50 conversations",
    ]


def test_a_ratio_needs_both_rows_at_its_level():
    rows = [(GREETING, 10, 900.0, 1200.0, 10.0, 9.0), (INIT_GREETING, 50, 1, 1, 1, 1), (TRACK, 1, 1, 1, 1, 1)]
    assert ratios(rows) == []
    rows += [(GREETING, 1, 100.0, 150.0, 8.0, 9.0), (INIT_GREETING, 1, 20.0, 30.0, 40.0, 3.0)]
    assert ratios(rows)[0] == "greeting throughput Kelian / rasa init = 0.20× at 1 conversation"


def test_the_report_holds_the_table_the_ratios_and_the_load():
    text = report(ROWS, turns=20, cores=2, load=(1.04, 2.5), day="2026-12-06")
    assert "| greeting, `rasa init` bot | 50 | 1100 | 1400 | 44.0 | 44 |" in text
    assert "- greeting throughput Kelian / rasa init = 0.25× at 10 conversations" in text
    assert text.endswith(
        "Measured 2026-12-06 on 2 cores, 20 turns per conversation one after another; "
        "1-minute load average 1.0 before the run, 2.5 after it."
    )


def test_without_the_init_bot_and_data_turns_the_report_has_no_empty_section():
    text = report(ROWS[:1], turns=5, cores=2, load=(0.0, 0.0), day="2026-12-06")
    assert "\n\n\n" not in text and "- " not in text


def test_the_greetings_run_level_by_level_side_by_side_then_the_data_turns(monkeypatch):
    calls = []

    async def fake_measure(stack, alices, levels, turns, which=None):
        calls.append((stack, tuple(levels), tuple(which)))
        return [(name, level, 1.0, 2.0, 3.0, 4.0) for name in which for level in levels]

    monkeypatch.setattr(turn_bench, "measure", fake_measure)
    # names stand in for the two stacks: the fake measure only hands them back
    rows = turn_bench.measure_all(cast(Stack, "kelian"), cast(Stack, "init"), [], [10, 50], 20)
    assert calls[:4] == [
        ("kelian", (10,), (GREETING,)),
        ("init", (10,), (INIT_GREETING,)),
        ("kelian", (50,), (GREETING,)),
        ("init", (50,), (INIT_GREETING,)),
    ]
    assert calls[4][0] == "kelian" and GREETING not in calls[4][2]
    assert [(name, level) for name, level, *_ in rows[:4]] == [
        (GREETING, 10),
        (GREETING, 50),
        (INIT_GREETING, 10),
        (INIT_GREETING, 50),
    ]


def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    for name in ("config.yml", "domain.yml", "data/nlu.yml"):
        (tmp_path / name).write_text("version: '3.1'\n", encoding="utf-8")
        os.utime(tmp_path / name, (1000, 1000))
    return tmp_path


def model(tmp_path: Path, mtime: float) -> Path:
    (tmp_path / "models").mkdir(exist_ok=True)
    path = tmp_path / "models" / f"{int(mtime)}.tar.gz"
    path.write_bytes(b"")
    os.utime(path, (mtime, mtime))
    return path


def test_the_template_project_is_created_only_when_missing(tmp_path):
    assert needs_init(tmp_path)
    assert not needs_init(project(tmp_path))


def test_training_only_without_a_model_or_after_a_change(tmp_path):
    project(tmp_path)
    assert needs_training(tmp_path)  # no model yet
    model(tmp_path, 2000)
    assert not needs_training(tmp_path)  # reused
    os.utime(tmp_path / "data" / "nlu.yml", (3000, 3000))
    assert needs_training(tmp_path)  # a training file changed after the model
    model(tmp_path, 4000)
    assert not needs_training(tmp_path)  # the newest model counts


def test_the_init_bot_serves_its_own_project_over_rest_with_the_api_on(tmp_path):
    config = StackConfig(rasa_port=5999, var_dir=tmp_path / "var")
    bot = InitBot(config, project=project(tmp_path))
    trained = model(tmp_path, 2000)
    command = bot.rasa_server_command()
    assert command[:3] == [str(init_bot.VENV_BOT / "rasa"), "run", "--enable-api"]
    assert command[command.index("--model") + 1] == str(trained)
    assert command[command.index("--credentials") + 1] == str(tmp_path / "credentials.yml")
    assert command[command.index("--port") + 1] == "5999"


def test_the_scale_out_ratio_compares_two_rasa_servers_with_one_at_each_level():
    rows = [
        (turn_bench.scaled_name(1), 10, 700.0, 900.0, 12.0, 80.0),
        (turn_bench.scaled_name(2), 10, 400.0, 600.0, 19.2, 85.0),
        (turn_bench.scaled_name(2), 50, 900.0, 1900.0, 20.0, 90.0),
    ]
    assert ratios(rows) == ["throughput two Rasa servers / one = 1.60× at 10 conversations"]
    assert "| greeting, scaled deployment, 2 Rasa servers | 10 | 400 | 600 | 19.2 | 85 |" in report(
        rows, turns=20, cores=2, load=(0.5, 1.0), day="2026-12-07"
    )


def test_the_scale_out_figures_have_their_own_section_in_the_benchmarks_page(tmp_path: Path):
    page = tmp_path / "benchmarks.md"
    turn_bench.write_markdown(page, "turn figures")
    turn_bench.write_markdown(page, "scale figures", turn_bench.SCALE_MARKERS, "Scale-out")
    turn_bench.write_markdown(page, "new scale figures", turn_bench.SCALE_MARKERS, "Scale-out")
    text = page.read_text()
    assert "<!-- turn-bench:start -->\nturn figures\n<!-- turn-bench:end -->" in text
    assert "<!-- scale-out-bench:start -->\nnew scale figures\n<!-- scale-out-bench:end -->" in text
    assert text.count("## Scale-out") == 1
