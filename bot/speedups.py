"""Two costs Rasa 3.6 pays on every turn that buy nothing, taken out of the Rasa server (bot/serve.py).

Found by profiling the server under `make bench`'s greeting load (docs/benchmarks.md):

- **Rule keys decoded again on every prediction.** RulePolicy keeps each rule as a JSON string and
  decodes it (`_rule_key_to_state`) for every rule at every prediction, behind an LRU cache of 1,000
  entries. Kelian has about 2,200 rule keys (the generated digressions of every form), so the cache
  is walked in a cycle larger than itself and never hits: a quarter of the server's CPU went to
  `json.loads`. The cache here holds every key (a few MB); the states are the same objects Rasa's own
  cache would return, and Rasa never modifies them.
- **The action server's answer checked against a schema that is checked first.** Each custom
  action's response (one per turn at least: `action_validate_slot_mappings`) goes through
  `jsonschema.validate`, which validates the schema itself against the JSON-Schema meta-schema before
  validating the response: an eighth of the server's CPU. The same schema is compiled once here and
  every response is still validated, with Rasa's own error message.

The rule-key cache also speeds up the RulePolicy's contradiction check (`make check-rules`): it
predicts every rule's state against every rule key, and took 111 s instead of 36 s without it
(2026-12-06, `rasa train core` with the check on, 2 cores). `python -m bot.speedups <rasa arguments>`
runs Rasa's command line with both applied; devstack/rule_check.py trains with it.

Both replace a function of Rasa's by one with the same contract; `tests/bot/test_speedups.py` checks
the contract on the installed Rasa, so an upgrade that changes it fails there rather than in production.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

from rasa.core.actions.action import RemoteAction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=None)
def rule_key_to_state(rule_key: str) -> Any:
    """RulePolicy's `_rule_key_to_state` with room for every rule (the key set is fixed by the model)."""
    return json.loads(rule_key)


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction's `_validate_action_result` with the schema compiled once."""
    from jsonschema import ValidationError

    try:
        _response_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


PATCHES: tuple[tuple[type, str, Callable[..., Any]], ...] = (
    (RulePolicy, "_rule_key_to_state", staticmethod(rule_key_to_state)),
    (RemoteAction, "_validate_action_result", validate_action_result),
)


def apply() -> None:
    """Install both in this process (again: the same)."""
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)


def main() -> None:
    """`python -m bot.speedups <rasa arguments>`: Rasa's command line with the speedups installed."""
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    apply()
    rasa_main()


if __name__ == "__main__":
    main()
