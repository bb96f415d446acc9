"""The multi-turn script player's reading and report (devstack/eval_dialogue.py), without a stack."""

from __future__ import annotations

from devstack import eval_dialogue
from devstack.eval_dialogue import Outcome, load, report, script_files


def test_the_default_scripts_are_the_teams_and_the_blind_set_each_named_by_its_folder():
    files = script_files(eval_dialogue.SCRIPTS)
    conversations = load(files)
    sources = {c.source for c in conversations}
    assert {"en.yml", "zh.yml", "blind/en.yml", "blind/zh.yml"} <= sources
    assert all(c.turns for c in conversations)


def test_the_report_gives_each_script_its_own_figure_and_shows_the_failures():
    conversations = load([eval_dialogue.SCRIPTS / "en.yml", eval_dialogue.SCRIPTS / "blind" / "en.yml"])
    team = next(c for c in conversations if c.source == "en.yml")
    blind = [c for c in conversations if c.source == "blind/en.yml"][:2]
    outcomes = [
        Outcome(team),
        Outcome(blind[0]),
        Outcome(blind[1], 2, "missing 'x'", ["  customer: hi", "  bot: hello"]),
    ]
    text = report(outcomes, verbose=False).splitlines()
    assert text[0] == f"FAIL blind/en.yml: {blind[1].name}" and text[1] == "     turn 2: missing 'x'"
    assert "  blind/en.yml: 1/2" in text and "  en.yml: 1/1" in text
    assert text[-1] == "eval-dialogue: 2/3 conversations end as they should (66.7 %)"
