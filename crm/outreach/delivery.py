"""Sending one outreach message to a WeChat follower.

The Rasa server's WeChat channel is the only holder of the official account's access token (WeChat
invalidates a token a few minutes after a new one is fetched, so two holders would keep breaking each
other): the CRM asks it, over HTTP, to send through the same API client the channel answers with
(`POST /webhooks/wechat/outreach`, bot/channels/wechat_outreach.py), authenticated with the Rasa API token.

WeChat allows a customer-service message only within 48 hours of the follower's last message (errcode
45015 outside it), and customers at risk have usually been silent for longer: the channel then sends a
template message with the shop's template (KELIAN_WECHAT_OUTREACH_TEMPLATE_ID, docs/channels.md), filled
from the same words in the customer's language (`template_fields`). When the CRM knows when the follower
last wrote it says whether the window is closed, and the refused first attempt is skipped. The channel
answers whether WeChat accepted the message, which way it went (`via`) and, if not, why.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal, Protocol

from crm.db import REPO_ROOT
from kelian.language import Language, text_language

PATH = "/webhooks/wechat/outreach"
CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)
Via = Literal["customer_service", "template"]
VIAS: tuple[Via, ...] = ("customer_service", "template")

# The template the shop registers (docs/channels.md): {{first.DATA}} the offer, {{keyword1.DATA}} what it is,
# {{keyword2.DATA}} the date, {{remark.DATA}} how to stop.
_KIND = {"zh": "会员专属优惠", "en": "A member offer"}


class WeChatSender(Protocol):
    def send(self, openid: str, text: str) -> str | None:
        """None when WeChat accepted the text, else why not (no credentials, never the token)."""


@dataclass(frozen=True)
class Delivery:
    via: Via | None  # which way the message went (or was last tried); None when the channel was not reached
    error: str | None  # None when WeChat accepted it


def rasa_url() -> str:
    url = os.environ.get("KELIAN_RASA_URL")
    return (url or f"http://127.0.0.1:{os.environ.get('KELIAN_RASA_PORT', '5005')}").rstrip("/")


def rasa_token() -> str | None:
    token = os.environ.get("KELIAN_RASA_TOKEN")
    if token:
        return token
    path = Path(os.environ.get("KELIAN_VAR", REPO_ROOT / "var")) / "rasa-token"
    return path.read_text().strip() if path.exists() else None


def window_closed(last_wrote: datetime | None, now: datetime) -> bool | None:
    """Whether WeChat would refuse a customer-service message; None when the CRM does not know."""
    return None if last_wrote is None else now - last_wrote >= CUSTOMER_SERVICE_WINDOW


def template_fields(text: str, language: Language, now: datetime) -> dict[str, str]:
    """The template message's fields from the outreach text (crm/outreach/wording.compose: the offer, a
    blank line, how to stop) in the customer's language."""
    offer, _, footer = text.strip().rpartition("\n\n")
    if not offer:
        offer, footer = footer, ""
    return {"first": offer.strip(), "keyword1": _KIND[language], "keyword2": now.date().isoformat(), "remark": footer}


class RasaWeChatSender:
    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 20.0) -> None:
        self.base_url = (base_url or rasa_url()).rstrip("/")
        self.token = token or rasa_token()
        self.timeout = timeout

    def send(self, openid: str, text: str) -> str | None:
        return self.deliver(openid, text).error

    def deliver(
        self,
        openid: str,
        text: str,
        language: str | None = None,
        last_wrote: datetime | None = None,
        now: datetime | None = None,
    ) -> Delivery:
        """Sends `text` (in `language`, else the one it is written in) to the follower; `last_wrote`, when the
        CRM knows it, saves the customer-service attempt WeChat would refuse."""
        if not self.token:
            return Delivery(None, "no Rasa API token (KELIAN_RASA_TOKEN or var/rasa-token)")
        now = now or datetime.now(timezone.utc)
        lang: Language = "en" if language == "en" else "zh" if language == "zh" else text_language(text, "zh")
        payload = {
            "openid": openid,
            "text": text,
            "language": lang,
            "template": template_fields(text, lang, now),
            "window": "closed" if window_closed(last_wrote, now) else "open",
        }
        request = urllib.request.Request(
            self.base_url + PATH,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - our own server
                answer = json.loads(response.read(64 * 1024) or b"{}")
        except urllib.error.HTTPError as error:
            return Delivery(None, f"the Rasa server answered HTTP {error.code}")
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            return Delivery(None, f"the Rasa server at {self.base_url} does not answer ({type(error).__name__})")
        if not isinstance(answer, dict):
            return Delivery(None, "WeChat did not accept the message")
        via = next((v for v in VIAS if v == answer.get("via")), None)
        if answer.get("delivered") is True:
            return Delivery(via, None)
        return Delivery(via, str(answer.get("error") or "WeChat did not accept the message")[:120])
