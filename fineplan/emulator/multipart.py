"""A small multipart/form-data parser (the stdlib `cgi` module is gone in 3.13)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fineplan.emulator.apierror import invalid

_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_DISPOSITION = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"|(\w+)=([^;]+)')


@dataclass(frozen=True, slots=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def text(self) -> str:
        return self.data.decode("utf-8")


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """Parts by field name (a repeated name keeps the last). Raises a 400 ApiError on malformed input."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise invalid("Expected a multipart/form-data body.")
    m = _BOUNDARY.search(content_type)
    if not m:
        raise invalid("The multipart body has no boundary.")
    delimiter = b"--" + m.group(1).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise invalid("The multipart body has no parts.")
    parts: dict[str, Part] = {}
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise invalid("A multipart part has no header separator.")
        data = data.removesuffix(b"\r\n")
        headers = _headers(head)
        disposition = headers.get("content-disposition", "")
        attrs = _disposition(disposition)
        name = attrs.get("name")
        if not name:
            raise invalid("A multipart part has no name.")
        parts[name] = Part(name, attrs.get("filename"), headers.get("content-type"), data)
    return parts


def _headers(head: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out


def _disposition(value: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for m in _DISPOSITION.finditer(value):
        if m.group(1):
            attrs[m.group(1).lower()] = m.group(2).replace('\\"', '"')
        elif m.group(3):
            attrs[m.group(3).lower()] = m.group(4).strip()
    return attrs
