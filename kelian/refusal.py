"""What the Rasa server's NLU says about a message it rejected as off-topic, and where the action server
finds it: one entry of the message's parse data (bot/nlu/novelty.py writes it; actions/faq.py and
retrieval/faq_index.py read it). Standard library only: both environments import it.

`EVIDENCE_KEY` holds `{"rule": ..., "nearest_in_scope": float, "nearest_refusal": float | None}`, the
cosine similarities of the message's e5 vector to the nearest in-scope training example and to the
nearest `out_of_scope` one (None where it was not needed to decide).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

EVIDENCE_KEY = "out_of_scope_evidence"
# Far from every in-scope training example (below the language's threshold).
FAR_FROM_EXAMPLES = "far_from_examples"
# Nearer to an example of something the assistant was taught to decline than to any in-scope one.
NEARER_TO_REFUSAL = "nearer_to_refusal"
RULES = frozenset({FAR_FROM_EXAMPLES, NEARER_TO_REFUSAL})


def rule_of(parse_data: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The rule that rejected the message, or None (not rejected by it, or parse data from elsewhere:
    the client cannot choose it, but a malformed entry is ignored rather than trusted)."""
    evidence = (parse_data or {}).get(EVIDENCE_KEY)
    rule = evidence.get("rule") if isinstance(evidence, Mapping) else None
    return rule if isinstance(rule, str) and rule in RULES else None
