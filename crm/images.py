"""An image a customer or an agent sends, made safe to keep and to show: accepted only when its first bytes
say JPEG, PNG or WebP *and* Pillow decodes it as that format, within a byte and a pixel budget (a
decompression bomb is refused before it is decoded); then re-encoded from its pixels, so nothing but the
picture survives: no EXIF (GPS position, camera serial), no ICC or XMP, no comment, no data appended after
the image. The client's file name and content type are never read.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from kelian.attachments import MAX_BYTES, sniff

# 40 megapixels: any phone photo, and at most ~160 MB of RGBA while it is re-encoded.
MAX_PIXELS = int(os.environ.get("KELIAN_ATTACHMENT_MAX_PIXELS", str(40_000_000)))

# Pillow format -> (media type, media type, file extension)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MEDIA_TYPES = {media_type: ext for media_type, ext in FORMATS.values()}


class ImageRefused(ValueError):
    """Not an image Kelian keeps; `reason` is one of `too_large`, `not_image`, `too_many_pixels`, `empty`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    media_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return MEDIA_TYPES[self.media_type]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> CleanImage:
    """The image re-encoded without metadata, turned upright as its EXIF orientation said; `ImageRefused`
    otherwise. Only the header is read before the pixel count is checked."""
    if not data:
        raise ImageRefused("empty")
    if len(data) > max_bytes:
        raise ImageRefused("too_large")
    kind = sniff(data)
    if kind is None:
        raise ImageRefused("not_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                if image.format != kind:
                    raise ImageRefused("not_image")
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise ImageRefused("not_image")
                if width * height > max_pixels:
                    raise ImageRefused("too_many_pixels")
                image.seek(0)  # an animated WebP/PNG keeps its first frame only
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise ImageRefused("not_image") from None
    return _encode(upright, kind)


def _encode(image: Image.Image, kind: str) -> CleanImage:
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif kind == "PNG":
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        image.convert(mode).save(out, "PNG", optimize=True)
    else:
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        image.convert(mode).save(out, "WEBP", quality=88)
    media_type = FORMATS[kind][0]
    return CleanImage(out.getvalue(), media_type, image.width, image.height)
