"""Generated messages (tests/security/fuzz_corpus.py: pathological repetitions, random scripts,
control characters, payload look-alikes), cut by the channels' limit, through the trained model's
NLU: 1,000 in `make test` (every kind: they alternate), 10,000 with `make fuzz`
(KELIAN_FUZZ_MESSAGES; every parse pays for an e5 sentence vector, so the full corpus takes a quarter
of an hour). Before: one such message (a long run of `a.` or a 1 MB text) kept the Rasa server busy
for hours.
A watchdog ends the run with a stack dump if any single message takes more than HANG seconds: a hang,
not a speed, is what fails here. Needs the model `make train` builds (make test trains first)."""

from __future__ import annotations

import asyncio
import faulthandler
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.channels.limits import bound_message
from tests.security.fuzz_corpus import messages

if TYPE_CHECKING:  # imported late where it runs: rasa takes seconds to import
    from rasa.core.agent import Agent

MODELS = Path(__file__).resolve().parents[3] / "models"
COUNT = int(os.environ.get("KELIAN_FUZZ_MESSAGES", "1000"))
HANG = 30.0


@pytest.fixture(scope="module")
def agent() -> Agent:
    from rasa.core.agent import Agent
    from rasa.model import get_local_model

    if not any(MODELS.glob("*.tar.gz")):
        pytest.fail("no trained model in models/: run `make train` first")
    return Agent.load(get_local_model(str(MODELS)))


# Rasa warns about every message that looks like a payload with broken JSON ("/track_order{…"): a
# thousand warnings, each repeating the message, would bury the test's output.
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_nlu_answers_every_fuzz_message(agent: Agent) -> None:
    async def run() -> tuple[int, float]:
        slowest = 0.0
        parsed = 0
        for raw in messages(COUNT):
            text, _ = bound_message(raw)
            if not text:  # the channels send nothing to Rasa then (tests/security/bot/test_rest_channel.py)
                parsed += 1
                continue
            faulthandler.dump_traceback_later(HANG, exit=True)
            started = time.monotonic()
            result = await agent.parse_message(text)
            slowest = max(slowest, time.monotonic() - started)
            faulthandler.cancel_dump_traceback_later()
            assert result["intent"]["name"]
            parsed += 1
        return parsed, slowest

    parsed, slowest = asyncio.run(run())
    print(f"\n{parsed} fuzz messages parsed; slowest {slowest * 1000:.0f} ms")
    assert parsed == COUNT
