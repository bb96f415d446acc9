"""Attachments (#16 item 6), what every environment agrees on: the image formats a customer may send,
recognised by their first bytes; the size bound; and the message metadata key under which a channel puts the
id of the image a customer sent (the console reads it back from the Rasa tracker). The channels (Rasa's
environment) check these before handing an upload to the services, which decode it for real
(crm/images.py). Standard library only.
"""

from __future__ import annotations

import os
from typing import Optional

MAX_BYTES = int(os.environ.get("KELIAN_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024)))
METADATA_KEY = "kelian_attachment"  # user message metadata: the attachment id of a customer's image
# What Rasa hears (and the CRM transcript keeps) for a customer's image; the image itself is the metadata.
IMAGE_TEXT = "[图片 image]"


def sniff(data: bytes) -> Optional[str]:
    """The format the first bytes announce (`JPEG`, `PNG`, `WEBP`, as Pillow names them), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None
