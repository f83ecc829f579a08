"""Image content parts: https or data-URI URLs, JPEG/PNG/WEBP only, at most 10 MB, and their token cost.

For data URIs we decode only the first few hundred bytes: enough to check the magic number against the declared
type and to read the pixel size (PNG IHDR, JPEG SOFn, WEBP VP8/VP8L/VP8X) for the high-detail tile count.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

from fineplan.datasets import codes as C
from fineplan.datasets.formats.plan import AddFn, TokenPlan
from fineplan.datasets.tokens import IMAGE_LOW, IMAGE_MAX, IMAGE_TYPICAL

MAX_IMAGE_BYTES = 10 * 1024 * 1024
DETAILS = frozenset({"low", "high", "auto"})
MIME_TYPES = {"image/jpeg": "jpeg", "image/jpg": "jpeg", "image/png": "png", "image/webp": "webp"}
_DATA_URI = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),", re.ASCII)
_HEAD_B64 = 65536  # base64 characters decoded to sniff type and size (48 kB of image)


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def dimensions(kind: str, head: bytes) -> tuple[int, int] | None:
    """(width, height) from the start of an image file, when the header is within `head`."""
    if kind == "png" and len(head) >= 24 and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if kind == "webp" and len(head) >= 30:
        chunk = head[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
        if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
            return int.from_bytes(head[26:28], "little") & 0x3FFF, int.from_bytes(head[28:30], "little") & 0x3FFF
        if chunk == b"VP8L" and head[20] == 0x2F:
            bits = int.from_bytes(head[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == "jpeg":
        i = 2
        while i + 9 < len(head):
            if head[i] != 0xFF:
                return None
            marker = head[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            seg = int.from_bytes(head[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(head[i + 7 : i + 9], "big"), int.from_bytes(head[i + 5 : i + 7], "big")
            i += 2 + seg
    return None


def high_detail_tokens(width: int, height: int) -> int:
    """gpt-4o high detail: fit in 2048², shortest side to 768, then 85 + 170 per 512px tile."""
    if width <= 0 or height <= 0:
        return IMAGE_TYPICAL
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return IMAGE_LOW + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def check_image_part(part: dict[str, Any], where: str, add: AddFn, plan: TokenPlan) -> int:
    """Validate one image_url part; return its estimated tokens (and widen plan.uncertain if unsure)."""
    spec = part.get("image_url")
    if type(spec) is not dict:
        add(C.INVALID_IMAGE, f"{where}: image_url must be an object with a url")
        return 0
    url = spec.get("url")
    detail = spec.get("detail", "auto")
    if type(detail) is not str or detail not in DETAILS:
        add(C.INVALID_IMAGE, f"{where}: image detail must be low, high or auto, not {detail!r}")
    if type(url) is not str or not url:
        add(C.INVALID_IMAGE, f"{where}: image_url.url must be a non-empty string")
        return 0
    if url.startswith("https://"):
        if detail == "low":
            return IMAGE_LOW
        plan.uncertain += IMAGE_MAX - IMAGE_TYPICAL
        return IMAGE_TYPICAL
    if not url.startswith("data:"):
        scheme = url.split(":", 1)[0] if ":" in url else url[:16]
        add(C.INVALID_IMAGE, f"{where}: image URL must be https:// or a data: URI, not {scheme!r}")
        return 0
    m = _DATA_URI.match(url)
    if m is None:
        add(C.INVALID_IMAGE, f"{where}: malformed data URI (expected data:image/<type>;base64,...)")
        return 0
    mime = m.group(1).lower()
    if ";base64" not in m.group(2).lower():
        add(C.INVALID_IMAGE, f"{where}: data URI must be base64-encoded")
        return 0
    kind = MIME_TYPES.get(mime)
    if kind is None:
        add(C.INVALID_IMAGE, f"{where}: image type {mime or '(none)'!r} is not JPEG, PNG or WEBP")
        return 0
    b64_len = len(url) - m.end()
    size = b64_len * 3 // 4 - (2 if url.endswith("==") else 1 if url.endswith("=") else 0)
    if size > MAX_IMAGE_BYTES:
        add(C.INVALID_IMAGE, f"{where}: image is {size / 1048576:.1f} MB; the limit is 10 MB")
    head_b64 = url[m.end() : m.end() + _HEAD_B64]
    head_b64 = head_b64[: len(head_b64) - len(head_b64) % 4]
    try:
        head = base64.b64decode(head_b64, validate=True)
    except (binascii.Error, ValueError):
        add(C.INVALID_IMAGE, f"{where}: data URI is not valid base64")
        return 0
    actual = sniff(head)
    if actual is None:
        add(C.INVALID_IMAGE, f"{where}: data is not a JPEG, PNG or WEBP image")
        return 0
    if actual != kind:
        add(C.INVALID_IMAGE, f"{where}: data URI says {mime} but the bytes are {actual.upper()}")
    if detail == "low":
        return IMAGE_LOW
    dims = dimensions(actual, head)
    if dims is None:
        plan.uncertain += IMAGE_MAX - IMAGE_TYPICAL
        return IMAGE_TYPICAL
    return high_detail_tokens(*dims)
