"""Who is writing on the web chat page, decided by the server alone.

A shop user signed in on the shop's site arrives with a token the shop signed (JWT, HS256, `sub` =
the shop's user id, `exp`): their conversation is their user id, the id the CRM knows them by on the
`web` channel. Everyone else is a guest with an id the server makes up (`guest-<random>`) and hands
to the page signed, so the page can present it again after a reload or a dropped connection without
being able to choose or guess somebody else's.

The REST channel takes the same tokens: a request with one is that user's conversation; a request
without one is anonymous, its client-chosen id prefixed with `rest-`, so it can never be the id of a
signed-in user. Ids with a reserved prefix (`guest-`, `rest-`) are never identities: the action server
asks `is_anonymous` before it looks a conversation up in the CRM.

Only the standard library and PyJWT: the Rasa server (connectors), the action server and the
developer tools (`python -m devstack web-token`, the tests) share this module across the two
environments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt

SECRET_ENV = "KELIAN_WEB_SECRET"
SECRET_FILE = "web-secret"
ALGORITHM = "HS256"
GUEST_PREFIX = "guest-"
REST_PREFIX = "rest-"
RESERVED_PREFIXES = (GUEST_PREFIX, REST_PREFIX)
_GUEST_ID = re.compile(r"guest-[0-9a-f]{16}")
_USER_ID = re.compile(r"[^\x00-\x1f\x7f/?#]{1,128}")  # ends up in Rasa's tracker URLs and the CRM


def default_var_dir() -> Path:
    return Path(os.environ.get("KELIAN_VAR", Path(__file__).resolve().parents[2] / "var"))


def stored_secret(filename: str, var_dir: Path | None = None, make: Callable[[], str] | None = None) -> str:
    """A secret generated once per install into `<var>/<filename>` (mode 600) and read from there
    afterwards: development keys that no two installs share and no repository holds."""
    path = (var_dir or default_var_dir()) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(make() if make else secrets.token_urlsafe(32))
    return path.read_text().strip()


def web_secret(configured: str | None = None, var_dir: Path | None = None) -> str:
    """The key shared with the shop's site: `$KELIAN_WEB_SECRET`, else the `secret` of the channel in
    credentials.yml, else one generated once into `<var>/web-secret` (mode 600) for development."""
    return os.environ.get(SECRET_ENV) or configured or stored_secret(SECRET_FILE, var_dir)


def is_anonymous(sender_id: str) -> bool:
    """Whether a conversation id was made up by a channel for someone who proved nothing."""
    return sender_id.startswith(RESERVED_PREFIXES)


def anonymous_rest_sender(client_id: str) -> str:
    """The conversation of an unsigned REST client: its own id, in a namespace no user id can enter."""
    return REST_PREFIX + client_id


def _usable_user_id(user_id: object) -> bool:
    return isinstance(user_id, str) and _USER_ID.fullmatch(user_id) is not None and not is_anonymous(user_id)


def issue_user_token(user_id: str, secret: str, minutes: float = 60) -> str:
    """What the shop's site does for a signed-in user (and what the tests and the README use)."""
    if not _usable_user_id(user_id):
        raise ValueError(f"not a usable user id: {user_id!r}")
    expires = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return jwt.encode({"sub": user_id, "exp": expires}, secret, algorithm=ALGORITHM)


def user_from_token(token: object, secret: str) -> str | None:
    """The user id of a valid token; None for no token, an expired, unsigned (`alg: none`), forged or
    malformed one."""
    if not isinstance(token, str) or not token:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError:
        return None
    user_id = claims.get("sub")
    return user_id if _usable_user_id(user_id) else None


def new_guest() -> str:
    return GUEST_PREFIX + secrets.token_hex(8)


def _guest_signature(guest_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"kelian-web-guest:{guest_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_guest(guest_id: str, secret: str) -> str:
    """`guest-….signature`: what the page keeps and presents again."""
    return f"{guest_id}.{_guest_signature(guest_id, secret)}"


def guest_from_signed(value: object, secret: str) -> str | None:
    """The guest id of a value this server signed; None for anything else (tampered, made up)."""
    if not isinstance(value, str) or value.count(".") != 1:
        return None
    guest_id, signature = value.split(".")
    if not _GUEST_ID.fullmatch(guest_id):
        return None
    return guest_id if hmac.compare_digest(signature, _guest_signature(guest_id, secret)) else None
