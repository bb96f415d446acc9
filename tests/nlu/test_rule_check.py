"""The rule contradiction check runs on config.yml's policies with the check switched on."""
from __future__ import annotations

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
