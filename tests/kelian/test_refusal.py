"""kelian/refusal.py: the rule the NLU's novelty check names in the parse data, read defensively."""

from __future__ import annotations

import pytest

from kelian.refusal import EVIDENCE_KEY, FAR_FROM_EXAMPLES, NEARER_TO_REFUSAL, rule_of


@pytest.mark.parametrize("rule", [FAR_FROM_EXAMPLES, NEARER_TO_REFUSAL])
def test_the_rule_is_read_from_the_parse_data(rule):
    evidence = {"rule": rule, "nearest_in_scope": 0.81, "nearest_refusal": 0.86}
    assert rule_of({"intent": {"name": "out_of_scope"}, EVIDENCE_KEY: evidence}) == rule


@pytest.mark.parametrize(
    "parse_data",
    [
        None,
        {},
        {EVIDENCE_KEY: None},
        {EVIDENCE_KEY: "nearer_to_refusal"},  # not the shape the NLU writes
        {EVIDENCE_KEY: ["nearer_to_refusal"]},
        {EVIDENCE_KEY: {"rule": "something_else"}},
        {EVIDENCE_KEY: {"rule": ["nearer_to_refusal"]}},
    ],
)
def test_anything_else_means_no_rule(parse_data):
    assert rule_of(parse_data) is None
