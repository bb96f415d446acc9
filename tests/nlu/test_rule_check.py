"""The rule contradiction check runs on config.yml's policies with the check switched on."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
import yaml

from devstack.config import ROOT
from devstack.rule_check import checking_config


def test_the_check_is_switched_on_and_nothing_else_changes():
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    checked = checking_config(config)
    rule = next(p for p in checked["policies"] if p["name"] == "RulePolicy")
    assert rule["check_for_contradictions"] is True
    assert checked["pipeline"] == config["pipeline"]
    assert [p["name"] for p in checked["policies"]] == [p["name"] for p in config["policies"]]
    assert next(p for p in config["policies"] if p["name"] == "RulePolicy")["check_for_contradictions"] is False


def test_a_config_without_rule_policy_is_refused():
    with pytest.raises(ValueError):
        checking_config({"policies": [{"name": "TEDPolicy"}]})


def test_the_check_trains_the_dialogue_with_rasa_and_the_speedups_on_the_checking_config(monkeypatch):
    from devstack import rule_check

    seen: dict[str, Any] = {}

    def call(command, **kwargs):
        config = command[command.index("--config") + 1]
        seen["command"], seen["config"] = command, yaml.safe_load(open(config, encoding="utf-8"))
        return 0

    monkeypatch.setattr(rule_check.subprocess, "call", call)
    assert rule_check.check(argparse.Namespace()) == 0
    command = seen["command"]
    assert command[1:6] == ["-m", "bot.speedups", "train", "core", "--config"]
    assert next(p for p in seen["config"]["policies"] if p["name"] == "RulePolicy")["check_for_contradictions"] is True
