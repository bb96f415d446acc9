"""CPU per turn of the tracker store, Rasa's way against bot/stores.py's, as a conversation grows.

Runs in `.venv-bot` (Python 3.10, rasa) as a plain script, like devstack/nlu_predict.py:
`.venv-bot/bin/python devstack/store_bench.py [--turns 40]`. Each turn does what the Rasa server does
with its store: retrieve the conversation, add six events (the customer's message with a parse of the
size the NLU gives, the language slot, two actions, the reply, listen), save it — to a SQLite tracker
store with the SQLite event broker, in temporary files. "Rasa's store" is Rasa 3.6's SQLTrackerStore
(in WAL mode, like ours): it reads and replays the latest session at every retrieve, and its save
retrieves and replays it again to find the events to stream, then commits each event on its own.
`LeanSQLTrackerStore` saves with one count query and one broker transaction and hands the next turn the
tracker it kept. CPU time, not wall clock, so other work on the machine does not move the figures much.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bot.stores

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.stores import SQLiteEventBroker, SQLiteTrackerStore, use_wal  # noqa: E402

DOMAIN = Domain.from_yaml(
    "version: '3.1'\nintents: [greet]\nslots:\n  language:\n    type: text\n    mappings: [{type: custom}]\n"
)


def parse(i: int) -> dict:
    """A parse of the NLU's size: the intent, its ranking, an entity, the message's metadata."""
    return {
        "intent": {"name": "greet", "confidence": 0.93},
        "entities": [{"entity": "product", "value": "shoes", "start": 0, "end": 5, "extractor": "CRFEntityExtractor"}],
        "text": f"shoes, message number {i} of the conversation",
        "metadata": {"language": "en", "channel": "rest"},
        "intent_ranking": [{"name": f"intent_{k}", "confidence": 0.01} for k in range(10)],
    }


def turn(i: int) -> list[Event]:
    data = parse(i)
    return [
        UserUttered(data["text"], data["intent"], data["entities"], parse_data=data),
        SlotSet("language", "en"),
        ActionExecuted("action_validate_slot_mappings"),
        ActionExecuted("utter_greet"),
        BotUttered(f"reply {i}"),
        ActionExecuted("action_listen"),
    ]


class RasaStore(SQLTrackerStore):
    """Rasa's own SQL tracker store, on a WAL-mode SQLite file as ours is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_wal(self)


async def store_turns(store_class: type[SQLTrackerStore], turns: int, folder: str) -> list[float]:
    store = store_class(DOMAIN, dialect="sqlite", db=f"{folder}/tracker.db")
    store.event_broker = SQLiteEventBroker(db=f"{folder}/events.db")
    seconds = []
    for i in range(turns):
        started = time.process_time()
        tracker = await store.retrieve("bench") or DialogueStateTracker("bench", DOMAIN.slots)
        for event in turn(i):
            tracker.update(event)
        await store.save(tracker)
        seconds.append(time.process_time() - started)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40, help="turns of the conversation (a multiple of 10)")
    args = parser.parse_args()
    blocks = [(start, start + 10) for start in range(0, max(10, args.turns), 10)]
    print("| store | " + " | ".join(f"turns {a + 1}–{b}" for a, b in blocks) + " |")
    print("|---|" + "---:|" * len(blocks))
    for name, store_class in (("Rasa's store", RasaStore), ("LeanSQLTrackerStore", SQLiteTrackerStore)):
        with tempfile.TemporaryDirectory(prefix="kelian-store-bench-") as folder:
            seconds = asyncio.run(store_turns(store_class, blocks[-1][1], folder))
        cells = [f"{1000 * sum(seconds[a:b]) / (b - a):.1f} ms" for a, b in blocks]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nCPU per turn (retrieve, six events, save), SQLite tracker store and event broker.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
