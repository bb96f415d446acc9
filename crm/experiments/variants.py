"""What an arm may change, checked when the experiment is created so a typo cannot reach a customer.

For recommendations the arm's parameters are keyword arguments of `Recommender.recommend`: `blend`
(overrides of the hybrid weights) and `diversity`. A strategy is a named blend: `als` ranks by the
customer's taste alone, `popularity` by what sells, `hybrid` is the trained default.
The CRM does not import the recommender (imports point the other way), so the names are listed here.
`explanation` is how the list is shown, not ranked (`EXPLANATIONS`): `reasons`, each product with the reason
it was picked (the default), or `none`, the products without one; actions/shopping.py renders it.

For replies an arm's parameters are `{"wording": {MESSAGE_KEY: {"en": ..., "zh": ...}}}`: its own words
for some of the messages in `REPLY_KEYS` (the actions' catalogue, actions/messages.py, says the
defaults; tests/actions check the two lists agree). An arm without wordings says the defaults.

For outreach a treatment arm may carry its own offer, stored the same way: `{"wording": {"outreach_message":
{"en": ..., "zh": ...}}}` (`OUTREACH_KEYS`), checked like a reply wording but as long as a campaign's message;
an arm without one sends the campaign's message, and the first arm (the hold-out) is never contacted.
"""

from __future__ import annotations

import string
from typing import Any

from crm.errors import InvalidInput

BLEND_KEYS = ("personal_weight", "text_weight", "popularity_weight", "diversity_penalty")
STRATEGIES: dict[str, dict[str, float]] = {
    "hybrid": {},
    "als": {"popularity_weight": 0.0},
    "popularity": {"personal_weight": 0.0, "popularity_weight": 1.0},
}
# the messages a replies experiment may reword -> the {placeholders} a wording may use
REPLY_KEYS: dict[str, tuple[str, ...]] = {
    "rec_intro_personal": (),  # the heading of a customer's own recommendations ("Picked for you:")
    "rec_intro_popular": (),  # the heading of the popular list a guest gets ("Popular right now:")
    "retention_offer": (),  # the offer said to a consenting customer at risk under their recommendations
    "handoff_promise": (),  # the first sentence of the hand-off ("I've passed our conversation to a colleague")
}
# the message an outreach arm may carry instead of the campaign's (crm/outreach/sending.py, web.py)
OUTREACH_KEYS: dict[str, tuple[str, ...]] = {"outreach_message": ()}
# how a recommendations arm shows the list: the reason under each product (the default), or none
EXPLANATIONS = ("reasons", "none")
LANGUAGES = ("en", "zh")
MAX_WORDING_CHARS = 300
MAX_OUTREACH_CHARS = 600  # a campaign's message (crm.outreach.wording.MAX_MESSAGE_CHARS is this number)
_TRUE, _FALSE = ("on", "true", "yes", "1"), ("off", "false", "no", "0")


def recommendation_parameters(settings: dict[str, str]) -> dict[str, Any]:
    """The stored parameters of a recommendations arm from `key=value` settings (strategy=als,
    diversity=off, popularity_weight=0.3, ...); an empty dict is the served default (a control)."""
    unknown = set(settings) - {"strategy", "diversity", "explanation", *BLEND_KEYS}
    if unknown:
        raise InvalidInput(
            f"unknown arm setting(s) {sorted(unknown)}; known: strategy, diversity, explanation, "
            f"{', '.join(BLEND_KEYS)}"
        )
    parameters: dict[str, Any] = {}
    blend: dict[str, float] = {}
    strategy = settings.get("strategy")
    if strategy is not None:
        if strategy not in STRATEGIES:
            raise InvalidInput(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
        parameters["strategy"] = strategy
        blend.update(STRATEGIES[strategy])
    for key in BLEND_KEYS:
        if key in settings:
            try:
                value = float(settings[key])
            except ValueError:
                raise InvalidInput(f"{key} must be a number, not {settings[key]!r}") from None
            if not 0.0 <= value <= 10.0:
                raise InvalidInput(f"{key} must be between 0 and 10")
            blend[key] = value
    if blend:
        parameters["blend"] = blend
    if "diversity" in settings:
        flag = settings["diversity"].lower()
        if flag not in _TRUE + _FALSE:
            raise InvalidInput(f"diversity must be on or off, not {settings['diversity']!r}")
        parameters["diversity"] = flag in _TRUE
    if "explanation" in settings:
        style = settings["explanation"].lower()
        if style not in EXPLANATIONS:
            raise InvalidInput(f"explanation must be one of {', '.join(EXPLANATIONS)}, not {settings['explanation']!r}")
        parameters["explanation"] = style
    return parameters


def reply_parameters(
    wordings: dict[str, dict[str, str]], keys: dict[str, tuple[str, ...]] = REPLY_KEYS
) -> dict[str, Any]:
    """The stored parameters of a replies arm from {message key: {"en": text, "zh": text}}; every wording
    names a message that may vary (one of `keys`), in both languages, short, with only the placeholders the
    message fills (a stray `{` would break the reply at the moment it is said)."""
    checked: dict[str, dict[str, str]] = {}
    for key, texts in wordings.items():
        if key not in keys:
            raise InvalidInput(f"message {key!r} cannot vary; these can: {', '.join(keys)}")
        limit = MAX_OUTREACH_CHARS if key in OUTREACH_KEYS else MAX_WORDING_CHARS
        unknown = set(texts) - set(LANGUAGES)
        if unknown:
            raise InvalidInput(f"message {key!r}: languages are en and zh, not {sorted(unknown)}")
        for language in LANGUAGES:
            text = (texts.get(language) or "").strip()
            if not text:
                raise InvalidInput(f"message {key!r}: a wording needs English and Chinese; {language} is missing")
            if len(text) > limit:
                raise InvalidInput(f"message {key!r} ({language}): at most {limit} characters")
            try:
                fields = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            except ValueError:
                fields = {"{"}
            if not fields <= set(keys[key]):
                allowed = ", ".join("{" + f + "}" for f in keys[key]) or "none"
                raise InvalidInput(
                    f"message {key!r} ({language}): unknown placeholder(s) or stray braces; allowed: {allowed}"
                )
        checked[key] = {language: texts[language].strip() for language in LANGUAGES}
    return {"wording": checked} if checked else {}


def outreach_parameters(wordings: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The stored parameters of an outreach arm: its own message (`outreach_message`), checked like a reply
    wording (both languages, at most `MAX_OUTREACH_CHARS`, no braces)."""
    return reply_parameters(wordings, OUTREACH_KEYS)


def arm_message(parameters: dict[str, Any] | None, language: str) -> str | None:
    """An outreach arm's own message in `language` ("en" or "zh"), or None: the campaign's message then."""
    texts = ((parameters or {}).get("wording") or {}).get("outreach_message") or {}
    return texts.get(language) or None


def recommend_options(parameters: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments the arm passes to `Recommender.recommend` (the strategy is only a label)."""
    return {key: value for key, value in parameters.items() if key in ("blend", "diversity")}


def explanation_style(parameters: dict[str, Any] | None) -> str:
    """How an arm shows the reasons of its recommendations: one of `EXPLANATIONS` (`reasons` by default)."""
    style = (parameters or {}).get("explanation")
    return style if style in EXPLANATIONS else EXPLANATIONS[0]


def describe(parameters: dict[str, Any]) -> str:
    """One line for listings: `strategy=als diversity=off popularity_weight=0.0`, or `default`."""
    parts = []
    if "strategy" in parameters:
        parts.append(f"strategy={parameters['strategy']}")
    if "diversity" in parameters:
        parts.append(f"diversity={'on' if parameters['diversity'] else 'off'}")
    if "explanation" in parameters:
        parts.append(f"explanation={parameters['explanation']}")
    parts += [f"{k}={v:g}" for k, v in sorted((parameters.get("blend") or {}).items())]
    parts += [f"wording:{key}" for key in sorted(parameters.get("wording") or {})]
    return " ".join(parts) or "default"
