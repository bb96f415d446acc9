"""What a staff member says to a customer through the bot, and how the customer's channel shows it.

The console puts one envelope in the Rasa slot `agent_message` and runs `action_agent_message`; the
action says it with two message metadata keys (`agent_name`, `agent_event`) that Rasa hands to the
channel's output, so the web page draws an agent's message apart from the bot's, with the agent's
name, and WeChat prefixes it with 【name】. "Joined" and "left" are notices the action words in the
customer's language. An agent's image (attachments, #16 item 6) goes in the envelope as the id of the stored
file; the action says it as the image `kelian-attachment:<id>`, which each channel turns into what it can
show (a signed link on the web page, an image message uploaded through WeChat's media API). Three
environments read this (console, action server, Rasa's channels): it lives on the ground floor and uses the
standard library only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, Optional

from kelian.language import Language

AgentEvent = Literal["message", "joined", "left"]
EVENTS: tuple[AgentEvent, ...] = ("message", "joined", "left")
NAME_KEY = "agent_name"  # message metadata: who said it
EVENT_KEY = "agent_event"  # message metadata: a message, or a joined / left notice
NAME_MAX_CHARS = 24
TEXT_MAX_CHARS = 4000
IMAGE_SCHEME = "kelian-attachment:"
_ATTACHMENT_ID = re.compile(r"[0-9a-f]{32}")

_NOTICES: dict[str, tuple[str, str]] = {
    "joined": ("{agent} joined the conversation", "{agent} 已加入对话"),
    "left": ("{agent} left the conversation", "{agent} 已离开对话"),
}


@dataclass(frozen=True)
class AgentSaying:
    event: AgentEvent
    agent: str  # "" for a plain text from before envelopes: said without a name
    text: str
    image: str = ""  # the id of an attachment the agent sent (crm/attachment_store.py), or ""


def _clean_name(agent: str) -> str:
    return " ".join(agent.split())[:NAME_MAX_CHARS]


def encode(event: AgentEvent, agent: str, text: str = "", image: str = "") -> str:
    """The slot value the console sets: an agent's message (`text`, and / or the attachment id `image`) or a
    notice (no text)."""
    if event not in EVENTS:
        raise ValueError(f"unknown agent event {event!r}")
    if image and not _ATTACHMENT_ID.fullmatch(image):
        raise ValueError("not an attachment id")
    envelope = {"event": event, "agent": _clean_name(agent), "text": text}
    if image:
        envelope["image"] = image
    return json.dumps(envelope, ensure_ascii=False)


def decode(value: Optional[str]) -> Optional[AgentSaying]:
    """The envelope in the slot; any other non-empty text is an agent's message without a name (a console
    from before envelopes). Nothing to say: None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        data: Any = json.loads(value)
    except ValueError:
        data = None
    if not (isinstance(data, dict) and data.get("event") in EVENTS and isinstance(data.get("agent"), str)):
        return AgentSaying("message", "", value.strip()[:TEXT_MAX_CHARS])
    text = data["text"] if isinstance(data.get("text"), str) else ""
    image = data["image"] if isinstance(data.get("image"), str) and _ATTACHMENT_ID.fullmatch(data["image"]) else ""
    saying = AgentSaying(data["event"], _clean_name(data["agent"]), text.strip()[:TEXT_MAX_CHARS], image)
    if saying.event == "message" and not saying.text and not saying.image:
        return None
    if saying.event != "message" and not saying.agent:
        return None
    return saying


def notice(event: AgentEvent, agent: str, language: Language) -> str:
    """The notice in the customer's language: "客服小林 joined the conversation" / "客服小林 已加入对话"."""
    en, zh = _NOTICES[event]
    return (zh if language == "zh" else en).format(agent=agent)


def utterance(value: Optional[str], language: Language) -> Optional[tuple[str, dict[str, str]]]:
    """(text, message metadata) the bot says for the slot's value, or None."""
    saying = decode(value)
    if saying is None:
        return None
    text = saying.text if saying.event == "message" else notice(saying.event, saying.agent, language)
    metadata = {NAME_KEY: saying.agent, EVENT_KEY: saying.event} if saying.agent else {}
    return text, metadata


def image_url(value: Optional[str]) -> Optional[str]:
    """The image the bot says with an agent's message (`kelian-attachment:<id>`), or None."""
    saying = decode(value)
    return IMAGE_SCHEME + saying.image if saying is not None and saying.image else None


def attachment_id(image: Any) -> Optional[str]:
    """The attachment id of an image the bot said (`kelian-attachment:<id>`), or None for any other image."""
    if not isinstance(image, str) or not image.startswith(IMAGE_SCHEME):
        return None
    candidate = image[len(IMAGE_SCHEME) :]
    return candidate if _ATTACHMENT_ID.fullmatch(candidate) else None


def agent_of(metadata: Any) -> Optional[tuple[str, AgentEvent]]:
    """(agent name, event) from a message's metadata (channel output kwargs or a tracker event), or None."""
    if not isinstance(metadata, dict):
        return None
    name, event = metadata.get(NAME_KEY), metadata.get(EVENT_KEY)
    if not isinstance(name, str) or not name.strip() or event not in EVENTS:
        return None
    return _clean_name(name), event


def labelled(text: str, metadata: Any) -> str:
    """A plain-text channel's version (WeChat): an agent's message after 【name】, notices and the bot's
    own messages as they are."""
    agent = agent_of(metadata)
    if agent is None or agent[1] != "message":
        return text
    return f"【{agent[0]}】{text}"
