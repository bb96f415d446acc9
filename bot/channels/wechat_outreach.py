"""`POST /webhooks/wechat/outreach`: the CRM's outreach (crm/outreach/delivery.py) sends one text to a
follower through the channel's own customer-service API client, so the official account's access
token has one holder (WeChat invalidates a token a few minutes after another is fetched).

    Authorization: Bearer <the Rasa API token: $KELIAN_RASA_TOKEN, else <var>/rasa-token>
    {"openid": "...", "text": "..."}  →  {"delivered": true} | {"delivered": false, "error": "..."}

Without a token configured every call is refused; the token is compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import limits
from bot.channels.wechat_api import CustomerServiceApi, WeChatApiError
from bot.channels.wechat_replies import MAX_TEXT_BYTES
from bot.channels.web_auth import default_var_dir

logger = logging.getLogger(__name__)

ROUTE = "/outreach"
MAX_BODY_BYTES = 16 * 1024
TOKEN_ENV = "KELIAN_RASA_TOKEN"


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


def parse(body: bytes) -> Optional[tuple[str, str]]:
    """(openid, text) from a well-formed request, else None."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    openid, text = data.get("openid"), data.get("text")
    if not limits.valid_sender(openid) or not isinstance(text, str) or not text.strip():
        return None
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        return None
    return openid, text


def add_route(blueprint: Blueprint, api: CustomerServiceApi) -> None:
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
                {"delivered": False, "error": "expected {openid, text} (text at most 2000 bytes)"}, 400
            )
        try:
            await api.send_text(*parsed)
        except WeChatApiError as error:
            logger.warning("wechat: an outreach message was not delivered: %s", error)
            return response.json({"delivered": False, "error": str(error)[:120]})
        return response.json({"delivered": True})

    blueprint.add_route(outreach, ROUTE, methods=["POST"], name="outreach")
