"""PDF: the text layer of every page, via pypdf, made readable; pages without a usable
text layer (scans, garbage font maps) read by OCR (rag.ingest.ocr), as settings.ocr says.

What PDF text layers of Chinese documents look like, and what is undone here:
- CJK glyphs shared with radicals come out as Kangxi radicals (⼈ for 人) or CJK radical
  supplement code points (⻋ for 车): NFKC maps the first, a table the second;
- every visual line is a line of text, so sentences break mid-way: a line that fills the
  page width is joined with the next one (without a space between Chinese characters);
  a short line ends a paragraph (or is a title);
- running page numbers ("3", "- 3 -", "第 3 页") are dropped; NULs and other control
  characters are removed.
The text keeps the offset where each page starts, so a chunk knows its page.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

from ...errors import DependencyError
from ..limits import check_pages
from . import Extracted, UnreadableFileError, clean_line, paged

# CJK Radicals Supplement code points that NFKC leaves alone, mapped to the ordinary
# character with the same glyph (simplified-Chinese forms first)
_RADICALS = str.maketrans({
    "⺠": "民", "⺟": "母", "⺮": "竹", "⺯": "糹", "⺰": "纟", "⺶": "羊", "⺷": "羊", "⺹": "老", "⺻": "聿",
    "⺼": "月", "⺝": "月", "⻁": "虎", "⻂": "衤", "⻃": "西", "⻄": "西", "⻅": "见", "⻆": "角", "⻇": "角",
    "⻈": "讠", "⻉": "贝", "⻊": "足", "⻋": "车", "⻌": "辶", "⻍": "辶", "⻎": "辶", "⻏": "阝", "⻐": "钅",
    "⻑": "長", "⻒": "镸", "⻓": "长", "⻔": "门", "⻕": "阝", "⻖": "阝", "⻗": "雨", "⻘": "青", "⻙": "韦",
    "⻚": "页", "⻛": "风", "⻜": "飞", "⻝": "食", "⻞": "飠", "⻟": "食", "⻠": "饣", "⻡": "首", "⻢": "马",
    "⻣": "骨", "⻤": "鬼", "⻥": "鱼", "⻦": "鸟", "⻧": "卤", "⻨": "麦", "⻩": "黄", "⻪": "黾", "⻫": "斉",
    "⻬": "齐", "⻭": "歯", "⻮": "齿", "⻯": "竜", "⻰": "龙", "⻱": "龜", "⻲": "亀", "⻳": "龟", "⺇": "几",
    "⺆": "冂", "⺈": "刀", "⺉": "刂", "⺌": "小", "⺍": "小", "⺊": "卜", "⺕": "彐", "⺗": "心", "⺘": "扌",
    "⺜": "日", "⺡": "氵", "⺢": "水", "⺣": "灬", "⺤": "爫", "⺥": "爫", "⺧": "牛", "⺨": "犭", "⺩": "王",
    "⺫": "目", "⺬": "示", "⺭": "礻", "⺲": "罒", "⺳": "网", "⺾": "艹", "⺿": "艹", "⻀": "艹", "⺅": "亻",
    "⺁": "厂", "⺄": "乙", "⺖": "忄", "⺙": "攵", "⺛": "尢", "⺞": "歹", "⺦": "丬", "⺴": "网", "⺵": "网",
    "⺺": "肀", "⺽": "臼",
    # two Kangxi radicals whose NFKC target is the traditional form, where a simplified-Chinese
    # font draws (and a PDF printer maps) the simplified character
    "⼾": "户", "⾭": "青",
})
_TERMINAL = set("。！？!?；;…：:")
_CLOSERS = set("”’」』）)\"'】")
_PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4})?(?:\s*[-–—])?$|^(?:page|p\.)\s*\d+$", re.I)
# a text layer with fewer characters than this is a scanned page's (or a blank one's)
MIN_TEXT_CHARS = 10
MAX_ODD_SHARE = 0.1  # more unusual characters than this: a garbage text layer
_LATIN_END = re.compile(r"[A-Za-z0-9,]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9(]")


# full-width punctuation (，：；（）) and the ideographic space are kept as they are: NFKC
# would turn them into ASCII and change how Chinese text reads and is cut into sentences
_NFKC_RUNS = re.compile(r"[^\u3000\uff01-\uff5e\ufe10-\ufe6f]+")


def normalize(text: str) -> str:
    """The radical table (code points NFKC leaves alone or maps to a traditional form), then
    NFKC (Kangxi radicals and compatibility forms to ordinary characters) except on
    full-width punctuation."""
    return _NFKC_RUNS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text.translate(_RADICALS))


def _ends_sentence(line: str) -> bool:
    t = line.rstrip()
    while t and t[-1] in _CLOSERS:
        t = t[:-1]
    return bool(t) and t[-1] in _TERMINAL


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _display_len(line: str) -> int:
    return sum(_width(ch) for ch in line)


def page_paragraphs(raw: str) -> list[str]:
    """The paragraphs of one page's extracted text, lines broken by the layout joined."""
    lines = [clean_line(normalize(line)) for line in raw.splitlines()]
    # a running page number is the first or last line of a page; elsewhere a bare number is content
    filled = [i for i, line in enumerate(lines) if line]
    for i in filled[:1] + filled[-1:]:
        if _PAGE_NUMBER.match(lines[i]):
            lines[i] = ""
    lengths = sorted(_display_len(line) for line in lines if line)
    # the width of a full line: a high percentile, so one overlong line does not set it
    full = lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        if current:
            sep = " " if _LATIN_END.search(current) and _LATIN_START.match(line) else ""
            current += sep + line
        else:
            current = line
        is_full = full >= 16 and _display_len(line) >= 0.85 * full
        # a full line continues into the next; a short one ends its paragraph (or is a title).
        # A paragraph cut at a page end is joined again by the chunker (it ends mid-sentence).
        if not is_full:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def load_pdf(path: Path) -> Extracted:
    try:
        from pypdf import PdfReader
    except ImportError as e:
        raise DependencyError("pypdf", purpose="reading .pdf files") from e
    # pypdf logs its repairs of damaged files ("EOF marker not found") as warnings; the
    # outcome is reported once, as the skip reason, so keep them off the user's terminal
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        return _load(path, PdfReader)
    finally:
        pypdf_log.setLevel(level)


def text_layer(raw: str) -> str:
    """What a page's extracted text is: "usable"; "empty" (fewer than MIN_TEXT_CHARS
    characters, as on a scanned or blank page); or "garbage": a font map that does not say
    which characters the glyphs are gives private-use, unassigned, control or replacement
    characters, or Latin-1 mojibake ("¸ñ¹¤") where the page shows Chinese. NUL is not
    counted: pypdf puts one before each character of some two-byte fonts, and it is
    removed from the text anyway."""
    chars = [c for c in raw if not c.isspace() and c != "\x00"]
    if len(chars) < MIN_TEXT_CHARS:
        return "empty"
    odd = sum(1 for c in chars if unicodedata.category(c) in ("Co", "Cn", "Cc", "Cs") or c == "\ufffd"
              or ("\x80" <= c <= "\xff" and c not in "·×÷°±§"))
    return "garbage" if odd / len(chars) > MAX_ODD_SHARE else "usable"


def usable_text(raw: str) -> bool:
    """Is a page's text layer worth reading (neither empty nor garbage)?"""
    return text_layer(raw) == "usable"


def _has_images(page) -> bool:
    try:
        return len(page.images) > 0
    except Exception:  # an image pypdf cannot list is still an image to render
        return True


def _needs_ocr(raw: str, page) -> bool:
    """In auto mode: a page whose text layer is garbage is read by OCR whatever draws it
    (its glyphs show the right characters, only their map is wrong); an empty one when it
    holds an image (a scan), not when it is blank."""
    state = text_layer(raw)
    return state == "garbage" or (state == "empty" and _has_images(page))


def _pages_to_ocr(reader, texts: list[str], mode: str) -> list[int]:
    if mode == "off":
        return []
    if mode == "force":
        return list(range(len(texts)))
    return [i for i, raw in enumerate(texts) if _needs_ocr(raw, reader.pages[i])]


def _ocr_paragraphs(path: Path, indices: list[int], options) -> dict[int, list[str]]:
    """The paragraphs of the given pages, read by OCR; running headers and footers are
    found across these pages together."""
    from .. import ocr, ocr_layout

    if len(indices) > options.max_pages:
        raise UnreadableFileError(
            f"has {len(indices)} scanned pages to read by OCR; the limit is {options.max_pages} pages per file "
            "(setting ocr_max_pages). Split the file or raise the limit.")
    if not options.read:  # counted only (the upload check): no text from these pages yet
        return {i: [] for i in indices}
    try:
        pages = ocr.read_pages(path, indices, options)
    except DependencyError:
        raise
    except Exception as e:  # a page PDFium cannot render, the engine failing on an image...
        raise UnreadableFileError(f"could not be read by OCR ({type(e).__name__}: {e})") from None
    cleaned = ocr_layout.drop_furniture([pages[i] for i in indices])
    return {i: [normalize(p) for p in ocr_layout.page_paragraphs(page)] for i, page in zip(indices, cleaned)}


def _load(path: Path, PdfReader) -> Extracted:  # noqa: N803 - the class, imported by the caller
    from .. import ocr

    options = ocr.current()
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise UnreadableFileError("is password-protected; save an unprotected copy first")
            except UnreadableFileError:
                raise
            except Exception as e:
                raise UnreadableFileError(f"is encrypted and cannot be opened ({type(e).__name__}: {e})") from None
        check_pages(len(reader.pages))  # counted before any page's text is extracted
        texts = [page.extract_text() or "" for page in reader.pages]
        scanned = _pages_to_ocr(reader, texts, options.mode)
    except UnreadableFileError:
        raise
    except Exception as e:  # pypdf raises PdfReadError, but also KeyError, ValueError... on damaged files
        raise UnreadableFileError(f"is not a readable PDF ({type(e).__name__}: {e})") from None
    if not texts:
        raise UnreadableFileError("is a PDF with no pages")
    read = _ocr_paragraphs(path, scanned, options) if scanned else {}
    out = paged(read[i] if i in read else page_paragraphs(raw) for i, raw in enumerate(texts))
    if not out.text.strip():
        if scanned and not options.read:
            return out
        if scanned:
            raise UnreadableFileError(f"has no text layer, and OCR found no text on its {len(scanned)} page(s) of images")
        if options.mode == "off":
            raise UnreadableFileError(
                f"has no text layer ({len(texts)} page(s) of images, a scanned document?) and OCR is off "
                "(setting ocr); set ocr = \"auto\" to read scans, or run OCR on it first, e.g. `ocrmypdf in.pdf out.pdf`")
        raise UnreadableFileError(f"has no text layer and no page images to read by OCR ({len(texts)} blank page(s))")
    return out
