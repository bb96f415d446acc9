"""Sending one outreach text to a WeChat follower.

The Rasa server's WeChat channel is the only holder of the official account's access token (WeChat
invalidates a token a few minutes after a new one is fetched, so two holders would keep breaking each
other): the CRM asks it, over HTTP, to send through the same customer-service API client the channel
answers with (`POST /webhooks/wechat/outreach`, bot/channels/wechat_outreach.py), authenticated with
the Rasa API token. The channel says whether WeChat accepted the message and, if not, WeChat's error
code (45015: the follower has not written in the last 48 hours, when WeChat allows no
customer-service message).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from crm.db import REPO_ROOT

PATH = "/webhooks/wechat/outreach"


class WeChatSender(Protocol):
    def send(self, openid: str, text: str) -> str | None:
        """None when WeChat accepted the text, else why not (no credentials, never the token)."""


def rasa_url() -> str:
    url = os.environ.get("KELIAN_RASA_URL")
    return (url or f"http://127.0.0.1:{os.environ.get('KELIAN_RASA_PORT', '5005')}").rstrip("/")


def rasa_token() -> str | None:
    token = os.environ.get("KELIAN_RASA_TOKEN")
    if token:
        return token
    path = Path(os.environ.get("KELIAN_VAR", REPO_ROOT / "var")) / "rasa-token"
    return path.read_text().strip() if path.exists() else None


class RasaWeChatSender:
    def __init__(self, base_url: str | None = None, token: str | None = None, timeout: float = 20.0) -> None:
        self.base_url = (base_url or rasa_url()).rstrip("/")
        self.token = token or rasa_token()
        self.timeout = timeout

    def send(self, openid: str, text: str) -> str | None:
        if not self.token:
            return "no Rasa API token (KELIAN_RASA_TOKEN or var/rasa-token)"
        request = urllib.request.Request(
            self.base_url + PATH,
            data=json.dumps({"openid": openid, "text": text}, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - our own server
                answer = json.loads(response.read(64 * 1024) or b"{}")
        except urllib.error.HTTPError as error:
            return f"the Rasa server answered HTTP {error.code}"
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            return f"the Rasa server at {self.base_url} does not answer ({type(error).__name__})"
        if isinstance(answer, dict) and answer.get("delivered") is True:
            return None
        reason = answer.get("error") if isinstance(answer, dict) else None
        return str(reason or "WeChat did not accept the message")[:120]
