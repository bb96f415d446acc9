"""`POST /webhooks/wechat/outreach`: the CRM's outreach (crm/outreach/delivery.py) sends one message to a
follower through the channel's own API client, so the official account's access token has one holder
(WeChat invalidates a token a few minutes after another is fetched).

    Authorization: Bearer <the Rasa API token: $KELIAN_RASA_TOKEN, else <var>/rasa-token>
    {"openid": "...", "text": "...", "language": "zh" | "en",
     "template": {"first": "...", "keyword1": "...", ..., "remark": "..."}, "window": "open" | "closed"}
    →  {"delivered": true, "via": "customer_service" | "template"}
     | {"delivered": false, "via": "customer_service" | "template", "error": "..."}

WeChat allows a customer-service message (客服消息) only within 48 hours of the follower's last message
(errcode 45015 outside it), and a customer at risk of churning has usually been silent for longer. So the
text goes as a customer-service message first, unless the CRM already knows the window is closed
("window": "closed"); when WeChat answers 45015, or the window is closed, the `template` fields go as a
template message (模板消息) with the template the shop registered for the customer's language:

    KELIAN_WECHAT_OUTREACH_TEMPLATE_ID_ZH / _EN   the template for Chinese / English customers, else
    KELIAN_WECHAT_OUTREACH_TEMPLATE_ID            the one for both

With none configured, such a send is answered as not delivered, with that reason: never a silent success.
`via` says which way the message went (or was last tried), so the CRM can count the two.

Without a Rasa token configured every call is refused; the token is compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import limits
from bot.channels.wechat_api import OUTSIDE_WINDOW, WeChatApiError
from bot.channels.wechat_replies import MAX_TEXT_BYTES
from bot.channels.web_auth import default_var_dir
from kelian.language import LANGUAGES, text_language

logger = logging.getLogger(__name__)

ROUTE = "/outreach"
MAX_BODY_BYTES = 16 * 1024
TOKEN_ENV = "KELIAN_RASA_TOKEN"
TEMPLATE_ENV = "KELIAN_WECHAT_OUTREACH_TEMPLATE_ID"
CUSTOMER_SERVICE = "customer_service"
TEMPLATE = "template"
MAX_TEMPLATE_FIELDS = 10
# A template's field names (first, keyword1, remark, …) and WeChat's template ids (43 characters of base64url).
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_TEMPLATE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class OutreachApi(Protocol):
    async def send_text(self, openid: str, content: str) -> None: ...

    async def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class OutreachRequest:
    openid: str
    text: str
    language: str  # "zh" or "en": which template
    template: dict[str, str] = field(default_factory=dict)  # the template message's fields; empty: none
    window_closed: bool = False  # the CRM knows the follower has been silent for more than 48 hours


def api_token() -> Optional[str]:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    path = default_var_dir() / "rasa-token"
    return path.read_text().strip() or None if path.exists() else None


def authorised(header: Optional[str], token: Optional[str]) -> bool:
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())


def template_id(language: str, environ: Mapping[str, str] = os.environ) -> Optional[str]:
    """The shop's template for customers of `language`; None when none is configured (or it is malformed)."""
    for variable in (f"{TEMPLATE_ENV}_{language.upper()}", TEMPLATE_ENV):
        value = environ.get(variable, "").strip()
        if value:
            return value if _TEMPLATE_ID.fullmatch(value) else None
    return None


def _template_fields(value: object) -> Optional[dict[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_TEMPLATE_FIELDS:
        return None
    if not all(isinstance(k, str) and _FIELD_NAME.fullmatch(k) and isinstance(v, str) for k, v in value.items()):
        return None
    if sum(len(v.encode("utf-8")) for v in value.values()) > MAX_TEXT_BYTES:
        return None
    return dict(value)


def parse(body: bytes) -> Optional[OutreachRequest]:
    """The request, when well-formed; else None."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    openid, text, language = data.get("openid"), data.get("text"), data.get("language")
    if not limits.valid_sender(openid) or not isinstance(text, str) or not text.strip():
        return None
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        return None
    if language is None:
        language = text_language(text, "zh")
    if language not in LANGUAGES or data.get("window", "open") not in ("open", "closed"):
        return None
    template = _template_fields(data.get("template"))
    if template is None:
        return None
    return OutreachRequest(openid, text, language, template, data.get("window") == "closed")


def _not_delivered(via: str, error: str) -> dict[str, Any]:
    return {"delivered": False, "via": via, "error": error[:120]}


async def deliver(
    api: OutreachApi, request: OutreachRequest, environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """A customer-service message inside the 48-hour window, else a template message; the answer to the CRM."""
    if not request.window_closed:
        try:
            await api.send_text(request.openid, request.text)
            return {"delivered": True, "via": CUSTOMER_SERVICE}
        except WeChatApiError as error:
            if error.errcode != OUTSIDE_WINDOW:
                return _not_delivered(CUSTOMER_SERVICE, str(error))
    template = template_id(request.language, environ)
    if template is None:
        return _not_delivered(TEMPLATE, f"outside the 48 h window (45015) and no template configured ({TEMPLATE_ENV})")
    if not request.template:
        return _not_delivered(TEMPLATE, "outside the 48 h window (45015) and no template fields were given")
    try:
        await api.send_template(request.openid, template, request.template)
    except WeChatApiError as error:
        return _not_delivered(TEMPLATE, str(error))
    return {"delivered": True, "via": TEMPLATE}


def add_route(blueprint: Blueprint, api: OutreachApi) -> None:
    async def outreach(request: Request) -> HTTPResponse:
        if not authorised(request.headers.get("authorization"), api_token()):
            logger.warning("wechat: refused an outreach request from %s (403)", request.remote_addr or request.ip)
            return response.json({"delivered": False, "error": "forbidden"}, status=403)
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            return response.json({"delivered": False, "error": "too large"}, status=413)
        parsed = parse(body)
        if parsed is None:
            return response.json(
                {
                    "delivered": False,
                    "error": "expected {openid, text, language?, template?, window?} (text at most 2000 bytes)",
                },
                400,
            )
        answer = await deliver(api, parsed)
        if not answer["delivered"]:
            logger.warning("wechat: an outreach message was not delivered (%s): %s", answer["via"], answer["error"])
        return response.json(answer)

    blueprint.add_route(outreach, ROUTE, methods=["POST"], name="outreach")
