"""WeChat signatures and message encryption, checked against published test vectors:

- Tencent's official-account sample (WXBizMsgCrypt, Python `Sample.py`): token "spamtest", the
  EncodingAESKey "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", app id wx2c2769f8efd9abc2 and a
  received encrypted message with its msg_signature;
- Tencent's Java sample test (`WXBizMsgCryptTest`): the same key, app id wxb11529c136998cb6, the
  random prefix "aaaabbbbccccdddd" and the ciphertext of "我是中文abcd123";
- wechatpy's crypto tests (the WeChat Work samples: same framing, the corp id in the app id's
  place): a decryption, an encryption with a fixed random prefix, a URL-verification signature.
"""

from __future__ import annotations

import base64

import pytest

from bot.channels.wechat_crypto import (
    AppIdMismatch,
    MessageCrypto,
    WeChatCryptoError,
    aes_key,
    pkcs7_pad,
    pkcs7_unpad,
    signature,
    signature_matches,
)

SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

OFFICIAL_SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9Fr"
    "XpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WG"
    "zjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYY"
    "I1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

WORK_TOKEN = "123456"
WORK_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WORK_ID = "wx49f0ab532d5d035a"
WORK_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6"
    "ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/"
    "TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709"
    "/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
WORK_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
WORK_REPLY_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObves"
    "El5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrs"
    "Df03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0n"
    "TYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)


# --- published vectors -----------------------------------------------------------------------------


def test_official_sample_message_signature_and_decryption():
    assert (
        signature("spamtest", "1409735669", "1320562132", OFFICIAL_SAMPLE_ENCRYPT)
        == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    )
    xml = MessageCrypto(SAMPLE_KEY, "wx2c2769f8efd9abc2").decrypt(OFFICIAL_SAMPLE_ENCRYPT)
    assert "<Content><![CDATA[abcdteT]]></Content>" in xml
    assert "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>" in xml
    assert "<MsgId>6054768590064713728</MsgId>" in xml


def test_official_java_sample_encryption_with_a_fixed_random_prefix():
    crypto = MessageCrypto(SAMPLE_KEY, "wxb11529c136998cb6")
    encrypted = crypto.encrypt("我是中文abcd123", random_prefix=b"aaaabbbbccccdddd")
    assert encrypted == "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    assert crypto.decrypt(encrypted) == "我是中文abcd123"


def test_wechatpy_vectors_decrypt_encrypt_and_sign():
    crypto = MessageCrypto(WORK_KEY, WORK_ID)
    assert signature(WORK_TOKEN, "1411525903", "461056294", WORK_ENCRYPT) == "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
    xml = crypto.decrypt(WORK_ENCRYPT)
    assert "<Content><![CDATA[test]]></Content>" in xml and "<FromUserName><![CDATA[messense]]></FromUserName>" in xml

    encrypted = crypto.encrypt(WORK_REPLY, random_prefix=b"1234567890123456")
    assert encrypted == WORK_REPLY_ENCRYPT
    assert signature(WORK_TOKEN, "1411525903", "461056294", encrypted) == "407518b7649e86ef23978113f92d27afa9296533"


def test_wechatpy_url_verification_signature():
    echostr = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    assert signature_matches("dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", WORK_TOKEN, "1411443780", "437374425", echostr)
    assert not signature_matches(
        "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", WORK_TOKEN, "1411443780", "437374424", echostr
    )
    assert MessageCrypto(WORK_KEY, WORK_ID).decrypt(echostr) == "5927782489442352469"


# --- signatures ------------------------------------------------------------------------------------


def test_signature_sorts_its_parts_before_hashing():
    import hashlib

    assert signature("token", "1700000000", "abc") == hashlib.sha1(b"1700000000abctoken").hexdigest()
    assert signature("b", "a", "c") == signature("c", "b", "a")


@pytest.mark.parametrize("claimed", [None, "", "0" * 40, "not hex at all", "签名"])
def test_wrong_or_missing_signatures_do_not_match(claimed):
    assert not signature_matches(claimed, "token", "1700000000", "abc")


def test_signature_comparison_ignores_case_and_surrounding_space():
    good = signature("token", "1700000000", "abc")
    assert signature_matches(f" {good.upper()} ", "token", "1700000000", "abc")


# --- encryption ------------------------------------------------------------------------------------


@pytest.mark.parametrize("xml", ["", "<xml/>", "<xml><Content><![CDATA[你好,世界 👋]]></Content></xml>", "x" * 5000])
def test_round_trip(xml):
    crypto = MessageCrypto(SAMPLE_KEY, "wxkelian0000000001")
    encrypted = crypto.encrypt(xml)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert crypto.decrypt(encrypted) == xml


def test_every_encryption_uses_a_new_random_prefix():
    crypto = MessageCrypto(SAMPLE_KEY, "wxkelian0000000001")
    assert crypto.encrypt("<xml/>") != crypto.encrypt("<xml/>")


def test_a_message_for_another_app_id_is_refused():
    encrypted = MessageCrypto(SAMPLE_KEY, "wxsomebodyelse00001").encrypt("<xml/>")
    with pytest.raises(AppIdMismatch):
        MessageCrypto(SAMPLE_KEY, "wxkelian0000000001").decrypt(encrypted)


def test_a_message_encrypted_with_another_key_does_not_decrypt():
    other_key = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    encrypted = MessageCrypto(other_key, "wxkelian0000000001").encrypt("<xml><Content>hi</Content></xml>")
    with pytest.raises(WeChatCryptoError):
        MessageCrypto(SAMPLE_KEY, "wxkelian0000000001").decrypt(encrypted)


@pytest.mark.parametrize(
    "encrypted", ["", "not base64!", base64.b64encode(b"short").decode(), base64.b64encode(b"\0" * 32).decode()]
)
def test_garbage_does_not_decrypt(encrypted):
    with pytest.raises(WeChatCryptoError):
        MessageCrypto(SAMPLE_KEY, "wxkelian0000000001").decrypt(encrypted)


def test_the_random_prefix_must_be_16_bytes():
    with pytest.raises(ValueError):
        MessageCrypto(SAMPLE_KEY, "wxkelian0000000001").encrypt("<xml/>", random_prefix=b"short")


# --- PKCS#7 to 32 bytes ----------------------------------------------------------------------------


@pytest.mark.parametrize("length, padding", [(0, 32), (1, 31), (16, 16), (31, 1), (32, 32), (33, 31)])
def test_pkcs7_pads_to_a_multiple_of_32_bytes(length, padding):
    padded = pkcs7_pad(b"a" * length)
    assert len(padded) == length + padding and len(padded) % 32 == 0
    assert padded[-padding:] == bytes([padding]) * padding
    assert pkcs7_unpad(padded) == b"a" * length


@pytest.mark.parametrize("padded", [b"", b"a" * 31 + b"\x00", b"a" * 31 + b"\x21", b"a" * 30 + b"\x01\x02"])
def test_pkcs7_refuses_bad_padding(padded):
    with pytest.raises(WeChatCryptoError):
        pkcs7_unpad(padded)


# --- the EncodingAESKey ----------------------------------------------------------------------------


def test_the_aes_key_is_the_encoding_aes_key_decoded():
    assert aes_key(SAMPLE_KEY) == base64.b64decode(SAMPLE_KEY + "=")
    assert len(aes_key(SAMPLE_KEY)) == 32


@pytest.mark.parametrize("key", ["", SAMPLE_KEY[:-1], SAMPLE_KEY + "H", "!" * 43])
def test_an_encoding_aes_key_of_the_wrong_form_is_refused(key):
    with pytest.raises(WeChatCryptoError):
        aes_key(key)
