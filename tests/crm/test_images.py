"""Attachments: what crm/images.py accepts, what it refuses, and that nothing but the pixels survives."""

from __future__ import annotations

import io
import zlib
import struct

import pytest
from PIL import Image

from crm.images import CleanImage, ImageRefused, clean

GPS_IFD = 0x8825


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, gps: bool = False, orientation: int = 0) -> bytes:
    """A small photo, with the EXIF a phone writes (GPS position, camera) when asked."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if gps or orientation:
        exif[0x010F] = "KelianPhone"  # Make
        exif[0x0131] = "firmware 1.0"  # Software
        if orientation:
            exif[0x0112] = orientation
        if gps:
            exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 0.5), 3: "E", 4: (121.0, 28.0, 0.2)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes()) if (gps or orientation) else image.save(out, fmt)
    return out.getvalue()


def test_a_jpeg_with_gps_comes_back_without_any_exif() -> None:
    original = photo(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the phone's position is in there
    cleaned = clean(original)
    assert isinstance(cleaned, CleanImage)
    assert (cleaned.media_type, cleaned.width, cleaned.height) == ("image/jpeg", 64, 48)
    reopened = Image.open(io.BytesIO(cleaned.data))
    assert len(reopened.getexif()) == 0 and "exif" not in reopened.info
    assert b"KelianPhone" not in cleaned.data and b"Exif" not in cleaned.data
    assert len(cleaned.sha256) == 64


def test_a_sideways_photo_is_turned_upright_before_its_exif_goes() -> None:
    cleaned = clean(photo(size=(64, 48), orientation=6))  # 6: rotate 90° to display
    assert (cleaned.width, cleaned.height) == (48, 64)


@pytest.mark.parametrize("fmt,media_type", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_are_kept_in_their_format(fmt: str, media_type: str) -> None:
    cleaned = clean(photo(fmt))
    assert cleaned.media_type == media_type
    assert Image.open(io.BytesIO(cleaned.data)).format == fmt


def test_text_chunks_and_appended_data_are_dropped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret note")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    smuggled = out.getvalue() + b"<script>alert(1)</script>"
    cleaned = clean(smuggled)
    assert b"secret note" not in cleaned.data and b"<script>" not in cleaned.data


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not an image",
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"GIF89a" + b"\0" * 30,
        b"\xff\xd8\xff\xe0 then garbage that does not decode",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 40,
    ],
    ids=["pdf", "svg", "gif", "broken-jpeg", "broken-png"],
)
def test_what_is_not_a_decodable_jpeg_png_or_webp_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRefused) as refused:
        clean(data)
    assert refused.value.reason == "not_image"


def test_the_magic_bytes_must_match_what_decodes() -> None:
    png = photo("PNG")
    with pytest.raises(ImageRefused, match="not_image"):
        clean(b"\xff\xd8\xff" + png)  # says JPEG, is not one


def test_empty_and_oversized_uploads_are_refused_before_decoding() -> None:
    with pytest.raises(ImageRefused, match="empty"):
        clean(b"")
    with pytest.raises(ImageRefused, match="too_large"):
        clean(photo(), max_bytes=100)


def _bomb_png(width: int, height: int) -> bytes:
    """A PNG of a few kilobytes that would be width × height pixels once decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" + b"\0" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = _bomb_png(30_000, 30_000)  # 900 megapixels
    assert len(bomb) < 1_000_000
    with pytest.raises(ImageRefused) as refused:
        clean(bomb)
    assert refused.value.reason == "too_many_pixels"


def test_the_pixel_budget_is_configurable() -> None:
    with pytest.raises(ImageRefused, match="too_many_pixels"):
        clean(photo(size=(100, 100)), max_pixels=5_000)
