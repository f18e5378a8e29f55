"""Plain text and Markdown: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from . import Extracted, UnreadableFileError

# how much of a decoded text may be unusual characters (controls, private use, unassigned,
# rare CJK extension planes) before it counts as binary data or a wrong guess of encoding
_MAX_ODD_SHARE = 0.05


def _odd_share(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    odd = 0
    for ch in sample:
        if ch in "\n\r\t":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd" or ord(ch) > 0xFFFF:
            odd += 1
    return odd / len(sample)


def decode_text(raw: bytes) -> tuple[str, str]:
    """(text, encoding name) for raw bytes of a text file; UnreadableFileError when they are
    not text in UTF-8, UTF-16 with BOM or GB18030 (GB18030 is a superset of GBK and GB2312)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise UnreadableFileError("starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
    if b"\x00" in raw[:8192]:
        raise UnreadableFileError("looks like binary data (NUL bytes), not text")
    utf8_error = ""
    try:
        text, enc = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_error = f"byte 0x{raw[e.start]:02x} at offset {e.start}"
        try:
            text, enc = raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise UnreadableFileError(
                f"is neither UTF-8 ({utf8_error}) nor GB18030/GBK text; convert it to UTF-8, "
                "e.g. with iconv -f <encoding> -t UTF-8"
            ) from None
    if _odd_share(text) > _MAX_ODD_SHARE:
        what = f"is not UTF-8 ({utf8_error}) and decodes as GB18030" if utf8_error else "decodes as UTF-8"
        raise UnreadableFileError(
            f"{what} to mostly control or unassigned characters: binary data or another encoding; "
            "convert it to UTF-8, e.g. with iconv -f <encoding> -t UTF-8"
        )
    return text, enc


def load_text(path: Path) -> Extracted:
    return Extracted(decode_text(Path(path).read_bytes())[0])
