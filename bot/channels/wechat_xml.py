"""The XML of WeChat's messages: parsing what WeChat posts (through defusedxml, with DOCTYPEs refused
outright) and writing the passive replies and the encrypted envelope."""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

# Characters XML 1.0 does not allow, even inside CDATA.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class InvalidXml(ValueError):
    """Not a WeChat message: not well-formed, a DOCTYPE or entity, or not an <xml> element."""


def parse_message(body: bytes | str) -> dict[str, str]:
    """The fields of a WeChat message, `<xml><Name>value</Name>…</xml>`, as {name: text}. Nested
    elements (the details of a few event types) are kept as empty strings: nothing here reads them."""
    try:
        root = SafeElementTree.fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError) as error:
        raise InvalidXml(type(error).__name__) from error
    if root.tag != "xml":
        raise InvalidXml(f"root element <{root.tag}>")
    return {child.tag: "" if len(child) else (child.text or "") for child in root}


def cdata(text: str) -> str:
    """Text as CDATA, whatever it contains ("]]>" splits into two sections)."""
    clean = _NOT_XML.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """The passive reply of one text message (the response to WeChat's POST)."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def encrypted_envelope(encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
    """A reply in safe or compatible mode: the encrypted passive reply and its signature."""
    return (
        "<xml>"
        f"<Encrypt>{cdata(encrypt)}</Encrypt>"
        f"<MsgSignature>{cdata(msg_signature)}</MsgSignature>"
        f"<TimeStamp>{int(timestamp)}</TimeStamp>"
        f"<Nonce>{cdata(nonce)}</Nonce>"
        "</xml>"
    )
