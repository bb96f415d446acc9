"""Field encryption and keyed lookup hashes for personal data.

One master key (32 random bytes, urlsafe base64) yields two independent keys through HKDF:
an AES-256-GCM key that encrypts personal fields, and an HMAC-SHA256 key for "blind index"
columns, so that a phone number or an email can be looked up by equality without being stored
in clear. The master key comes from `KELIAN_CRM_KEY`, or from a key file (`var/crm.key`, or
`KELIAN_CRM_KEY_FILE`) created with owner-only permissions on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crm.errors import EncryptionKeyError, InvalidInput

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KEY_FILE = REPO_ROOT / "var" / "crm.key"
KEY_ENV = "KELIAN_CRM_KEY"
KEY_FILE_ENV = "KELIAN_CRM_KEY_FILE"

_FORMAT_VERSION = b"\x01"
_NONCE_BYTES = 12


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _decode_master_key(text: str, origin: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise EncryptionKeyError(f"{origin}: not urlsafe base64 ({exc})") from exc
    if len(raw) != 32:
        raise EncryptionKeyError(f"{origin}: the key must be 32 bytes (44 base64 characters), got {len(raw)} bytes")
    return raw


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600, exclusive create) when it does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise EncryptionKeyError(
                f"{path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`"
            ) from None
        return _decode_master_key(path.read_text(encoding="ascii"), str(path))
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(generate_key() + "\n")
    return _decode_master_key(path.read_text(encoding="ascii"), str(path))


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


@dataclass(frozen=True)
class Keyring:
    """The two working keys derived from the master key."""

    encryption_key: bytes
    lookup_key: bytes

    @classmethod
    def from_master(cls, master: bytes) -> "Keyring":
        return cls(_derive(master, b"kelian-crm/field-encryption/v1"), _derive(master, b"kelian-crm/lookup-hash/v1"))

    def encrypt(self, plaintext: str, context: str) -> bytes:
        """AES-256-GCM with a random nonce; the column name is bound as associated data so a
        ciphertext copied into another column does not decrypt."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self.encryption_key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return _FORMAT_VERSION + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> str:
        if blob[:1] != _FORMAT_VERSION:
            raise EncryptionKeyError(f"{context}: unknown ciphertext format")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            plain = AESGCM(self.encryption_key).decrypt(nonce, sealed, context.encode("utf-8"))
        except InvalidTag:
            raise EncryptionKeyError(
                f"{context}: cannot decrypt; the data was written with another key (check {KEY_ENV} / the key file)"
            ) from None
        return plain.decode("utf-8")

    def lookup_hash(self, kind: str, normalized: str) -> str:
        return hmac.new(self.lookup_key, f"{kind}\x00{normalized}".encode("utf-8"), hashlib.sha256).hexdigest()


_lock = threading.Lock()
_cached: Keyring | None = None
_cached_source: tuple[str | None, str | None] | None = None


def current_keyring() -> Keyring:
    """The keyring for the configured key, cached until the configuration changes."""
    global _cached, _cached_source
    source = (os.environ.get(KEY_ENV), os.environ.get(KEY_FILE_ENV))
    with _lock:
        if _cached is not None and _cached_source == source:
            return _cached
        env_key, key_file = source
        if env_key:
            master = _decode_master_key(env_key, KEY_ENV)
        else:
            master = load_or_create_key_file(Path(key_file) if key_file else DEFAULT_KEY_FILE)
        _cached, _cached_source = Keyring.from_master(master), source
        return _cached


_NON_DIGITS = re.compile(r"\D")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(text: str) -> str:
    """Digits only, without the +86 / 0086 country prefix of mainland numbers."""
    digits = _NON_DIGITS.sub("", text)
    if text.strip().startswith("+") or digits.startswith("00"):
        digits = digits.lstrip("0")
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
    if not 7 <= len(digits) <= 15:
        raise InvalidInput(f"{text!r} is not a phone number")
    return digits


def normalize_email(text: str) -> str:
    email = text.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"{text!r} is not an email address")
    return email
