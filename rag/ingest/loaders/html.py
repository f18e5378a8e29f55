"""Web pages: the main text, without navigation, headers, footers, side bars and forms.

BeautifulSoup (with lxml when present) parses the page and detects its encoding from
the BOM or <meta charset>. Boilerplate elements are removed by tag, ARIA role and
tell-tale class/id names; of what is left, the <article> or <main> holding the most
text is taken when there is one, else <body>. Headings become "# " title lines.
"""
from __future__ import annotations

import re
from pathlib import Path

from ...errors import DependencyError
from . import Extracted, UnreadableFileError, clean_line, join_lines, join_paragraphs, table_text

_DROP_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
              "iframe", "svg", "canvas", "button", "select", "input", "textarea", "menu", "dialog", "object")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
_DROP_NAMES = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|breadcrumbs?|sidebar|side-bar|footer|header|masthead|banner|"
    r"share|social|comments?|related|recommend|advert|ads?|cookie|copyright|toolbar|pagination|pager)($|[-_\s])",
    re.I,
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = set(_HEADINGS) | {
    "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre",
    "caption", "figure", "figcaption", "address", "hr", "body",
}
_PARA, _LINE = "\u2029", "\u2028"  # markers: paragraph break, line break


def _soup(raw: bytes):
    try:
        from bs4 import BeautifulSoup
    except ImportError as e:
        raise DependencyError("beautifulsoup4", purpose="reading .html files") from e
    try:
        import lxml  # noqa: F401

        return BeautifulSoup(raw, "lxml")
    except ImportError:
        return BeautifulSoup(raw, "html.parser")


def _is_boilerplate(el) -> bool:
    if el.name in ("html", "body", "article", "main"):
        return False
    if el.name == "header" and el.find_parent(["article", "main"]) is not None:
        return False  # an article's own header holds its title
    if el.name in _DROP_TAGS:
        return True
    attrs = el.attrs or {}
    if str(attrs.get("role", "")).lower() in _DROP_ROLES or "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    names = " ".join(attrs.get("class", []) if isinstance(attrs.get("class"), list) else [str(attrs.get("class", ""))])
    names += " " + str(attrs.get("id", ""))
    # a class naming the page's main content wins over a boilerplate-sounding word in it, and
    # a block holding the page's headline ("entry-header") is not boilerplate
    return (bool(_DROP_NAMES.search(names)) and not re.search(r"(content|article|main|post-body)", names, re.I)
            and el.find(["h1", "h2"]) is None)


def extract_html(raw: bytes) -> str:
    soup = _soup(raw)
    title_el = soup.find("title")
    page_title = clean_line(title_el.get_text()) if title_el else ""
    for el in soup.find_all(True):  # a list, so removing elements while walking it is safe
        if not getattr(el, "decomposed", False) and _is_boilerplate(el):
            el.decompose()
    candidates = soup.find_all(["article", "main"]) or [soup.body or soup]
    root = max(candidates, key=lambda el: len(el.get_text(strip=True)))
    for br in root.find_all("br"):
        br.replace_with(_LINE)
    # a table is one paragraph (loaders.table_text); innermost tables first
    for table in reversed(root.find_all("table")):
        text = table_text([join_lines(td.get_text(" ").split(_LINE)) for td in tr.find_all(["td", "th"], recursive=False)]
                          for tr in table.find_all("tr"))
        table.replace_with(f"{_PARA}{text}{_PARA}" if text else _PARA)
    for el in root.find_all(True):
        if el.name in _HEADINGS:
            text = clean_line(el.get_text(" "))
            el.replace_with(f"{_PARA}# {text}{_PARA}" if text else _PARA)
        elif el.name in _BLOCKS:
            el.insert_before(_PARA)
            el.insert_after(_PARA)
    paragraphs = []
    for para in root.get_text().split(_PARA):
        text = join_lines(para.split(_LINE))
        if text:
            paragraphs.append(text)
    if page_title and not any(p.startswith("# ") for p in paragraphs[:3]):
        paragraphs.insert(0, f"# {page_title}")
    return join_paragraphs(paragraphs) if paragraphs else ""


def load_html(path: Path) -> Extracted:
    raw = Path(path).read_bytes()
    text = extract_html(raw)
    if not text.strip():
        raise UnreadableFileError("holds no readable text outside navigation and boilerplate")
    return Extracted(text)
