"""Signatures and message encryption of the WeChat official-account protocol (消息加解密, "safe mode").

- A request is signed with SHA-1 over the lexicographically sorted token, timestamp and nonce (plus,
  for an encrypted message, its `Encrypt` field), concatenated.
- The AES key is base64decode(EncodingAESKey + "="): 32 bytes, so AES-256-CBC; the IV is the key's
  first 16 bytes. The plaintext is 16 random bytes + the XML's length (4 bytes, big-endian) + the
  XML + the app id, padded with PKCS#7 to a multiple of 32 bytes (WeChat's block size, not AES's).

AES itself is the `cryptography` package's; this module only frames the bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32
RANDOM_BYTES = 16
ENCODING_AES_KEY_LENGTH = 43


class WeChatCryptoError(ValueError):
    """An encrypted message that does not decrypt: bad base64, length, padding or framing."""


class AppIdMismatch(WeChatCryptoError):
    """The message decrypted, but it was encrypted for another official account."""


def signature(token: str, *parts: str) -> str:
    """WeChat's request signature: SHA-1 of the sorted token, timestamp, nonce (and Encrypt) joined."""
    return hashlib.sha1("".join(sorted((token, *parts))).encode("utf-8")).hexdigest()


def signature_matches(claimed: str | None, token: str, *parts: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much of a forgery was right."""
    if not claimed:
        return False
    return hmac.compare_digest(signature(token, *parts).encode("ascii"), claimed.strip().lower().encode("utf-8"))


def pkcs7_pad(data: bytes, block_size: int = PAD_BLOCK) -> bytes:
    count = block_size - len(data) % block_size
    return data + bytes([count]) * count


def pkcs7_unpad(data: bytes, block_size: int = PAD_BLOCK) -> bytes:
    if not data:
        raise WeChatCryptoError("nothing to unpad")
    count = data[-1]
    if not 1 <= count <= block_size or count > len(data) or data[-count:] != bytes([count]) * count:
        raise WeChatCryptoError("bad padding")
    return data[:-count]


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key an EncodingAESKey (43 characters, base64 without its final "=") stands for."""
    if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
        raise WeChatCryptoError(
            f"an EncodingAESKey has {ENCODING_AES_KEY_LENGTH} characters, not {len(encoding_aes_key)}"
        )
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as error:
        raise WeChatCryptoError("the EncodingAESKey is not base64") from error
    if len(key) != 32:
        raise WeChatCryptoError("the EncodingAESKey does not decode to 32 bytes")
    return key


class MessageCrypto:
    """Encrypts and decrypts the `Encrypt` field of one official account's messages."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        self._key = aes_key(encoding_aes_key)
        self._app_id = app_id.encode("utf-8")

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, xml: str, random_prefix: bytes | None = None) -> str:
        """The base64 `Encrypt` value for a reply; `random_prefix` only for reproducible tests."""
        prefix = os.urandom(RANDOM_BYTES) if random_prefix is None else random_prefix
        if len(prefix) != RANDOM_BYTES:
            raise ValueError(f"the random prefix has {RANDOM_BYTES} bytes")
        body = xml.encode("utf-8")
        plaintext = pkcs7_pad(prefix + struct.pack(">I", len(body)) + body + self._app_id)
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plaintext) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The XML inside an `Encrypt` value, after checking it was meant for this app id."""
        try:
            ciphertext = base64.b64decode(encrypted.strip(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise WeChatCryptoError("Encrypt is not base64") from error
        if not ciphertext or len(ciphertext) % 16:
            raise WeChatCryptoError("Encrypt is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plaintext = pkcs7_unpad(decryptor.update(ciphertext) + decryptor.finalize())
        if len(plaintext) < RANDOM_BYTES + 4:
            raise WeChatCryptoError("the decrypted message is too short")
        (length,) = struct.unpack(">I", plaintext[RANDOM_BYTES : RANDOM_BYTES + 4])
        start = RANDOM_BYTES + 4
        if start + length > len(plaintext):
            raise WeChatCryptoError("the decrypted message's length field is wrong")
        if not hmac.compare_digest(plaintext[start + length :], self._app_id):
            raise AppIdMismatch("the message was encrypted for another app id")
        try:
            return plaintext[start : start + length].decode("utf-8")
        except UnicodeDecodeError as error:
            raise WeChatCryptoError("the decrypted message is not UTF-8") from error
