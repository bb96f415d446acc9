"""Costs Rasa 3.6 pays on every turn that buy nothing, taken out of the Rasa server (bot/serve.py).

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
runs Rasa's command line with them applied; devstack/rule_check.py trains with it, and
devstack/nlu_predict.py parses with them as the server does.

Two more costs, of every parse (found by profiling `nlu-dev`'s parse of the dev messages, 2026-12-07):

- **The intent classifier's coefficients copied on every prediction.** scikit-learn multiplies the
  message's sparse row by `coef_.T`; SciPy needs that operand in row order and copies the whole
  matrix (intents × features, ~2 MB) when it is not. Stored column-major once at load time, the
  transpose is already in row order: the same products, no copy.
- **Features combined twice over to build one row.** Rasa's LogisticRegressionClassifier asks for all
  sparse features (sequence and sentence, each combined through deep copies and SciPy `hstack`), keeps
  the sentence ones, and stacks them with the dense sentence vector through two more SciPy calls.
  `create_x` builds the same CSR rows directly from the sentence features, in Rasa's order.

And one more of every prediction (profiling the greeting load again, 2026-12-07, after the four above):

- **Every rule tried against the newest state, one by one.** RulePolicy's `_get_possible_keys` decodes
  and tests each of the ~2,200 rule keys against the conversation's newest state in a Python loop,
  twice or more per turn (once per predicted action, again for a form's unhappy paths): a quarter of
  the server's CPU under the greeting load. Most keys cannot apply (they need another previous action)
  and many share the same newest state. `possible_rule_keys` groups the keys once per rule table —
  by the previous action their newest state requires, then by that state — and asks Rasa's own
  `_is_rule_applicable` once per group; older states are checked key by key as Rasa does.

- **Memory and TED asked when a rule has already decided.** Rasa runs every policy for every
  prediction, then keeps the one with the highest (confidence, priority). A rule's prediction has
  confidence 1.0 and the RulePolicy the highest priority, so when a rule applies neither the
  MemoizationPolicy's nor TED's prediction can win — yet both rebuild the conversation's states and
  TED runs its network, a third of the server's CPU on a greeting and more on a form's several
  predictions. Rasa's graph runs the policies' nodes in the order of their names (memory, rules,
  TED). `predict_by_memory` asks its model's RulePolicy first (the policies of one model share the
  storage they were loaded from, which `init_rule_policy` notes) and answers "no opinion" (all zeros,
  what a policy answers without a model) where the rules decide; the rules' prediction is handed to
  the RulePolicy's own node, so they run once. `predict_with_ted` answers "no opinion" for a tracker
  the rules decided, unchanged since. Only where the rules win whatever the others say: confidence 1.0
  (a rule, not the 0.3 core fallback), a "no user" (loop) or end-to-end prediction of the rules, no
  rejected action (the ensemble zeroes a rejected action's confidence everywhere), and for TED one
  that predicts from intents only (a TED trained on story text may make end-to-end predictions, which
  overrule rules). The MemoizationPolicy never makes those.

- **A new connection, and the slow JSON encoder, for every action call.** Rasa's `EndpointConfig`
  opens a new aiohttp session — a new TCP connection to the action server — for each request and
  closes it after, three or four times in a form's turn, and the standard library encodes the
  tracker it sends (every event of the session, each user message with its parse). `kept_session`
  gives `async with endpoint.session()` one session per endpoint and event loop, kept open (idle
  connections closed after 15 s, well before the action server's keep-alive of 120 s ends them),
  which encodes with orjson (falling back to the standard library for what orjson refuses).

Each replaces a function of Rasa's by one with the same contract; `tests/bot/test_speedups.py` checks
the contract on the installed Rasa, so an upgrade that changes it fails there rather than in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import sys
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import numpy as np
import orjson
import rasa.core.run
from rasa.core.actions.action import RemoteAction
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from scipy.sparse import coo_matrix, csr_matrix


@functools.lru_cache(maxsize=None)
def rule_key_to_state(rule_key: str) -> Any:
    """RulePolicy's `_rule_key_to_state` with room for every rule (the key set is fixed by the model)."""
    return json.loads(rule_key)


ANY = object()  # a rule state that requires no particular value


@dataclass(frozen=True)
class RuleIndex:
    """One rule table's keys grouped for the newest state: (previous action, intent) the state requires
    -> [(a key, the keys whose newest state is that key's)]. Keys without states apply to any state."""

    keys: frozenset[str]
    groups: dict[Any, list[tuple[str, list[str]]]]
    stateless: list[str]


def _required(sub_state: Any, name: str) -> Any:
    """The value a rule's sub-state requires under `name`, or ANY (Rasa's `_does_rule_match_state`: a
    set value other than SHOULD_NOT_BE_SET must be equal in the conversation's state)."""
    value = (sub_state or {}).get(name)
    return value if value and value != SHOULD_NOT_BE_SET and isinstance(value, str) else ANY


def _group_of(state: Mapping[str, Any]) -> tuple[Any, Any]:
    """A rule's newest state -> (the previous action it requires, the intent it requires). The intent
    counts only with a previous action: Rasa compares two states only when both have one (two
    conversation starts match whatever their intents)."""
    action = _required(state.get(PREVIOUS_ACTION), ACTION_NAME)
    return (action, ANY if action is ANY else _required(state.get(USER), INTENT))


def build_rule_index(keys: frozenset[str]) -> RuleIndex:
    by_action: dict[Any, dict[str, tuple[str, list[str]]]] = {}
    stateless: list[str] = []
    for key in sorted(keys):
        states = rule_key_to_state(key)
        if not states:
            stateless.append(key)
            continue
        newest = states[-1]
        signature = json.dumps(newest, sort_keys=True)
        group = by_action.setdefault(_group_of(newest), {})
        group.setdefault(signature, (key, []))[1].append(key)
    return RuleIndex(keys, {action: list(g.values()) for action, g in by_action.items()}, stateless)


_RULE_INDEXES: dict[int, RuleIndex] = {}  # id of a rule table -> its index, checked against its keys


def _rule_index(lookup: Mapping[str, Any]) -> RuleIndex:
    index = _RULE_INDEXES.get(id(lookup))
    if index is None or lookup.keys() != index.keys:
        # a new table, or one training changed: index it (a handful of tables live in a process)
        if len(_RULE_INDEXES) >= 16:
            _RULE_INDEXES.clear()
        index = _RULE_INDEXES[id(lookup)] = build_rule_index(frozenset(lookup))
    return index


def possible_rule_keys(self: RulePolicy, lookup: dict[str, Any], states: Sequence[Any]) -> set[str]:
    """RulePolicy's `_get_possible_keys`: the keys of `lookup` whose rule applies to `states` (oldest
    first), each state checked by Rasa's `_is_rule_applicable`; for the newest state once per group of
    keys with the same newest state, among the keys that could take its previous action and intent."""
    if not states:
        return set(lookup)
    index = _rule_index(lookup)
    newest = states[-1]
    action = (newest.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    intent = (newest.get(USER) or {}).get(INTENT)
    candidates = list(index.groups.get((ANY, ANY), ()))
    if action is not None:
        candidates += index.groups.get((action, ANY), ())
        if intent is not None:
            candidates += index.groups.get((action, intent), ())
    possible = list(index.stateless)
    for representative, members in candidates:
        if self._is_rule_applicable(representative, 0, newest):
            possible += members
    for turn_index, state in enumerate(reversed(states[:-1]), start=1):
        possible = [key for key in possible if self._is_rule_applicable(key, turn_index, state)]
    return set(possible)


_RASA_RULE_INIT = RulePolicy.__init__
_RASA_RULE_PREDICT = RulePolicy.predict_action_probabilities
_RASA_MEMO_PREDICT = MemoizationPolicy.predict_action_probabilities
_RASA_TED_PREDICT = TEDPolicy.predict_action_probabilities
# Rasa runs a prediction graph synchronously, one at a time per process: the tracker the last rule
# prediction decided and its events then; and a rule prediction made early, for the MemoizationPolicy,
# waiting for the RulePolicy's own node.
Noted = tuple[weakref.ref[DialogueStateTracker], tuple[int, int]]  # a tracker and its events when noted
_decided: Noted | None = None
_early: tuple[Noted, weakref.ref[RulePolicy], PolicyPrediction] | None = None
# a model's storage -> its RulePolicy (the policies of one model share the storage they were loaded from)
_RULES_BESIDE: weakref.WeakKeyDictionary[Any, weakref.ref[RulePolicy]] = weakref.WeakKeyDictionary()


def _events_mark(tracker: DialogueStateTracker) -> tuple[int, int]:
    """What changes when anything is added to the tracker: its number of events and its last event."""
    events = tracker.events
    return len(events), id(events[-1]) if events else 0


def rule_decides(prediction: PolicyPrediction, tracker: DialogueStateTracker) -> bool:
    """Whether the ensemble will pick this RulePolicy prediction whatever the MemoizationPolicy and an
    intent-only TED predict (Rasa's DefaultPolicyPredictionEnsemble: no-user and end-to-end predictions
    overrule the others, then the highest (confidence, priority); a rejected action's confidence is
    zeroed first)."""
    last_action = next(
        (e for e in reversed(tracker.events) if isinstance(e, (ActionExecutionRejected, ActionExecuted))), None
    )
    if isinstance(last_action, ActionExecutionRejected):
        return False
    return prediction.is_no_user_prediction or prediction.is_end_to_end_prediction or prediction.max_confidence >= 1.0


def _note(tracker: DialogueStateTracker) -> Noted:
    return weakref.ref(tracker), _events_mark(tracker)


def _unchanged(noted: Noted | None, tracker: DialogueStateTracker) -> bool:
    """Whether `noted` is this tracker with nothing added since."""
    return noted is not None and noted[0]() is tracker and noted[1] == _events_mark(tracker)


def init_rule_policy(self: RulePolicy, *args: Any, **kwargs: Any) -> None:
    """RulePolicy's constructor, then the policy noted beside its model's storage."""
    _RASA_RULE_INIT(self, *args, **kwargs)
    with contextlib.suppress(TypeError):  # a storage that cannot be weakly referenced: nothing noted
        _RULES_BESIDE[self._model_storage] = weakref.ref(self)


def predict_by_rules(  # `self` unannotated: Rasa's graph validation takes annotated parameters for inputs
    self, tracker: DialogueStateTracker, domain: Domain, *args: Any, **kwargs: Any
) -> PolicyPrediction:
    """RulePolicy's prediction (the one made early for this tracker, if any), noting the tracker when it
    is decisive (see above)."""
    global _decided, _early
    early, _early = _early, None
    if early is not None and _unchanged(early[0], tracker) and early[1]() is self:
        return early[2]
    prediction = _RASA_RULE_PREDICT(self, tracker, domain, *args, **kwargs)
    _decided = _note(tracker) if rule_decides(prediction, tracker) else None
    return prediction


def predict_by_memory(  # `self` unannotated: Rasa's graph validation takes annotated parameters for inputs
    self, tracker: DialogueStateTracker, domain: Domain, *args: Any, **kwargs: Any
) -> PolicyPrediction:
    """MemoizationPolicy's prediction, or no opinion where its model's rules decide this tracker: Rasa's
    graph runs the MemoizationPolicy first, so the rules are asked here and their prediction handed to
    the RulePolicy's node when it runs."""
    global _early
    rules_ref = None
    with contextlib.suppress(TypeError):
        rules_ref = _RULES_BESIDE.get(getattr(self, "_model_storage", None))
    rules = rules_ref() if rules_ref is not None else None
    if rules is not None:
        prediction = rules.predict_action_probabilities(tracker, domain, *args, **kwargs)
        _early = (_note(tracker), weakref.ref(rules), prediction)
        if _unchanged(_decided, tracker):
            return self._prediction(self._default_predictions(domain))
    return _RASA_MEMO_PREDICT(self, tracker, domain, *args, **kwargs)


def predict_with_ted(  # `self` unannotated: Rasa's graph validation takes annotated parameters for inputs
    self, tracker: DialogueStateTracker, domain: Domain, *args: Any, **kwargs: Any
) -> PolicyPrediction:
    """TEDPolicy's prediction, or no opinion where a rule has decided this very tracker state."""
    if _unchanged(_decided, tracker) and TEXT not in getattr(
        self, "fake_features", {TEXT: None}
    ):  # intent-only: never e2e
        return self._prediction(self._default_predictions(domain))
    return _RASA_TED_PREDICT(self, tracker, domain, *args, **kwargs)


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


_RASA_LOGISTIC_REGRESSION_LOAD = LogisticRegressionClassifier.load.__func__  # type: ignore[attr-defined]


def load_logistic_regression(cls: type, *args: Any, **kwargs: Any) -> LogisticRegressionClassifier:
    """Rasa's `LogisticRegressionClassifier.load`, then the coefficients stored column-major (see above)."""
    component = _RASA_LOGISTIC_REGRESSION_LOAD(cls, *args, **kwargs)
    clf = getattr(component, "clf", None)
    if clf is not None and hasattr(clf, "coef_"):
        clf.coef_ = np.asfortranarray(clf.coef_)
    return component


def create_x(self: LogisticRegressionClassifier, messages: list[Message]) -> csr_matrix:
    """The classifier's input rows, as Rasa's `_create_X` builds them: the message's sparse sentence
    features, in the order the featurizers added them, then its dense sentence features."""
    data: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    indptr = [0]
    width = 0
    for message in messages:
        sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
        offset = stored = 0
        for feature in [f for f in sentence if f.is_sparse()] + [f for f in sentence if f.is_dense()]:
            if feature.is_sparse():
                row = coo_matrix(feature.features)
                columns, values, size = row.col, row.data, row.shape[1]
            else:
                vector = np.asarray(feature.features).reshape(-1)
                columns = np.flatnonzero(vector)
                values, size = vector[columns], vector.size
            data.append(values)
            indices.append(columns + offset)
            offset += size
            stored += len(columns)
        width = max(width, offset)
        indptr.append(indptr[-1] + stored)
    matrix = csr_matrix(
        (
            np.concatenate(data).astype(np.float64) if data else np.zeros(0),
            np.concatenate(indices).astype(np.int32) if indices else np.zeros(0, dtype=np.int32),
            np.asarray(indptr, dtype=np.int32),
        ),
        shape=(len(messages), width),
    )
    matrix.sum_duplicates()  # a count vector may hold a column twice; Rasa's conversion sums them too
    return matrix


ORJSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS  # a parse's scores are NumPy floats


def dumps(value: Any) -> str:
    """JSON text of a request body: orjson's, NumPy scalars and keys that are not strings included as
    the standard library writes them; the standard library's where orjson refuses something (integers
    beyond 64 bits)."""
    try:
        return orjson.dumps(value, option=ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value)


class KeptSession:
    """What `async with endpoint.session() as session` enters: a session that stays open after."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


_SESSIONS: dict[tuple[Any, ...], aiohttp.ClientSession] = {}
KEEPALIVE_SECONDS = 15.0  # idle connections closed well before the action server's keep-alive ends them


def kept_session(self: EndpointConfig) -> KeptSession:
    """`EndpointConfig.session`: one open session per event loop, headers and credentials."""
    loop = asyncio.get_running_loop()
    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    key = (loop, tuple(sorted((str(k), str(v)) for k, v in self.headers.items())), auth)
    session = _SESSIONS.get(key)
    if session is None or session.closed:
        for stale in [k for k in _SESSIONS if k[0].is_closed()]:  # sessions of loops that have ended
            del _SESSIONS[stale]
        session = _SESSIONS[key] = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=dumps,
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
        )
    return KeptSession(session)


async def close_sessions() -> None:
    """Closes this loop's kept sessions."""
    loop = asyncio.get_running_loop()
    for key in [k for k in _SESSIONS if k[0] is loop]:
        await _SESSIONS.pop(key).close()


_RASA_CLOSE_RESOURCES = rasa.core.run.close_resources


async def close_resources(app: Any, loop: Any) -> None:
    """What `rasa run` closes when its server stops, and the kept sessions."""
    await _RASA_CLOSE_RESOURCES(app, loop)
    await close_sessions()


PATCHES: tuple[tuple[Any, str, Any], ...] = (
    (RulePolicy, "_rule_key_to_state", staticmethod(rule_key_to_state)),
    (RulePolicy, "_get_possible_keys", possible_rule_keys),
    (RulePolicy, "__init__", init_rule_policy),
    (RulePolicy, "predict_action_probabilities", predict_by_rules),
    (MemoizationPolicy, "predict_action_probabilities", predict_by_memory),
    (TEDPolicy, "predict_action_probabilities", predict_with_ted),
    (EndpointConfig, "session", kept_session),
    (rasa.core.run, "close_resources", close_resources),
    (RemoteAction, "_validate_action_result", validate_action_result),
    (LogisticRegressionClassifier, "load", classmethod(load_logistic_regression)),
    (LogisticRegressionClassifier, "_create_X", create_x),
)


def apply() -> None:
    """Install them in this process (again: the same)."""
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
