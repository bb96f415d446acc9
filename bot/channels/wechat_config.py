"""The WeChat connector's settings: the `bot.channels.wechat.WeChatInput:` block of credentials.yml,
each value overridable by an environment variable (so real secrets need not be written in a file;
Rasa's own ${VAR} expansion in credentials.yml fails when the variable is unset)."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from bot.channels.web_auth import stored_secret
from bot.channels.wechat_api import DEFAULT_API_BASE
from bot.channels.wechat_crypto import WeChatCryptoError, aes_key

MODES = ("plain", "compatible", "safe")

# setting -> environment variable that overrides credentials.yml
ENVIRONMENT = {
    "mode": "KELIAN_WECHAT_MODE",
    "token": "KELIAN_WECHAT_TOKEN",
    "encoding_aes_key": "KELIAN_WECHAT_ENCODING_AES_KEY",
    "app_id": "KELIAN_WECHAT_APP_ID",
    "app_secret": "KELIAN_WECHAT_APP_SECRET",
    "api_base": "KELIAN_WECHAT_API_BASE",
    "reply_deadline": "KELIAN_WECHAT_REPLY_DEADLINE",
}


def new_aes_key() -> str:
    """An EncodingAESKey as WeChat's console makes one: 43 characters of base64 for 32 random bytes."""
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


class WeChatConfigError(ValueError):
    """A setting that cannot work; the message names it (never its value)."""


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    mode: str = "safe"
    encoding_aes_key: str = ""
    app_id: str = ""
    app_secret: str = ""
    api_base: str = DEFAULT_API_BASE
    # WeChat waits 5 s for the passive reply; past this the answer goes through the API instead.
    reply_deadline: float = 4.5
    # Requests whose timestamp is further than this from our clock are refused as replays.
    max_clock_skew: float = 300.0
    max_body_bytes: int = 64 * 1024
    # Menu CLICK event keys -> what is sent to Rasa (an intent like /track_order, or words).
    menu: Mapping[str, str] = field(default_factory=dict)
    # Long enough for WeChat's three retries and for any replay whose timestamp is still accepted.
    dedup_ttl: float = 600.0
    dedup_size: int = 10_000
    buttons_ttl: float = 86_400.0
    buttons_size: int = 10_000

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise WeChatConfigError(f"wechat: mode must be one of {', '.join(MODES)}")
        if not self.token:
            raise WeChatConfigError("wechat: a token is required (KELIAN_WECHAT_TOKEN or `token:`)")
        if self.encrypted:
            if not self.app_id:
                raise WeChatConfigError(
                    f"wechat: mode {self.mode} needs the app id (KELIAN_WECHAT_APP_ID or `app_id:`)"
                )
            try:
                aes_key(self.encoding_aes_key)
            except WeChatCryptoError as error:
                raise WeChatConfigError(f"wechat: mode {self.mode} needs a valid EncodingAESKey: {error}") from None
        if not 0 < self.reply_deadline < 5:
            raise WeChatConfigError("wechat: reply_deadline must be between 0 and 5 seconds (WeChat waits 5)")
        for name in ("max_clock_skew", "max_body_bytes", "dedup_ttl", "dedup_size", "buttons_ttl", "buttons_size"):
            if getattr(self, name) <= 0:
                raise WeChatConfigError(f"wechat: {name} must be positive")

    @property
    def encrypted(self) -> bool:
        """Whether encrypted messages are accepted (compatible) or required (safe)."""
        return self.mode != "plain"

    @classmethod
    def from_credentials(
        cls, credentials: Optional[Mapping[str, Any]], environ: Mapping[str, str] = os.environ
    ) -> "WeChatSettings":
        values: dict[str, Any] = dict(credentials or {})
        for name, variable in ENVIRONMENT.items():
            if environ.get(variable):
                values[name] = environ[variable]
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise WeChatConfigError(f"wechat: unknown settings {', '.join(sorted(unknown))}")
        menu = values.get("menu") or {}
        if not isinstance(menu, Mapping):
            raise WeChatConfigError("wechat: menu must map event keys to intents, e.g. {ORDER_STATUS: /track_order}")
        values["menu"] = {str(key): str(value) for key, value in menu.items()}
        # No development secret is committed: an install without real ones gets its own, made once
        # under var/ (the official account's console takes whatever token and key you give it).
        if not values.get("token"):
            values["token"] = stored_secret("wechat-token")
        if not values.get("encoding_aes_key") and values.get("mode", "safe") != "plain":
            values["encoding_aes_key"] = stored_secret("wechat-aes-key", make=new_aes_key)
        for name in ("token", "mode", "encoding_aes_key", "app_id", "app_secret", "api_base"):
            if name in values:
                values[name] = "" if values[name] is None else str(values[name]).strip()
        try:
            for name in ("reply_deadline", "max_clock_skew", "dedup_ttl", "buttons_ttl"):
                if name in values:
                    values[name] = float(values[name])
            for name in ("max_body_bytes", "dedup_size", "buttons_size"):
                if name in values:
                    values[name] = int(values[name])
        except (TypeError, ValueError):
            raise WeChatConfigError(f"wechat: {name} must be a number") from None
        return cls(**values)
