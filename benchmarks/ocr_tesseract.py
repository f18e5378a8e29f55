"""Tesseract 5 as an OCR engine for benchmarks/ocr.py's comparison with RapidOCR (the
project's engine). Not a dependency of the project: Debian's tesseract-ocr and
tesseract-ocr-chi-sim provide the `tesseract` command it calls."""
from __future__ import annotations

import os
import re
import shutil
import subprocess


class TesseractEngine:
    """Tesseract 5 (Debian's tesseract-ocr and tesseract-ocr-chi-sim, the `tesseract` command)
    in RapidOCR's place, for the comparison only: called like the RapidOCR engine (an image
    array; returns ([box, text, score] per line, timings)) and given to the loader as
    OcrOptions(engine=...), so the pages are rendered, and the lines turned into paragraphs,
    exactly as for RapidOCR. One thread (OMP_THREAD_LIMIT=1), as RapidOCR runs here; the
    page's resolution is given as the image's long side over A4's (11.69 in)."""

    def __init__(self, lang: str = "chi_sim"):
        if not shutil.which("tesseract"):
            raise SystemExit("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-chi-sim")
        self.lang = lang
        self.version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True,
                                      check=True).stdout.split()[1]
        self.key = f"tesseract-{self.version}/{lang}"  # its own cache entries

    def __call__(self, image, use_cls=False):
        import io

        from PIL import Image

        png = io.BytesIO()
        Image.fromarray(image).save(png, "PNG")
        dpi = round(max(image.shape[:2]) / 11.69)
        tsv = subprocess.run(["tesseract", "stdin", "stdout", "-l", self.lang, "--dpi", str(dpi), "tsv"],
                             input=png.getvalue(), capture_output=True, check=True,
                             env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout.decode("utf-8")
        lines: dict[tuple, list] = {}
        for row in tsv.splitlines()[1:]:
            f = row.split("\t")
            if len(f) < 12 or f[0] != "5" or not f[11].strip():
                continue  # level 5: a word
            x, y, w, h = (int(v) for v in f[6:10])
            lines.setdefault((f[1], f[2], f[3], f[4]), []).append((x, y, x + w, y + h, f[11].strip()))
        out = []
        for words in lines.values():
            x0, y0 = min(w[0] for w in words), min(w[1] for w in words)
            x1, y1 = max(w[2] for w in words), max(w[3] for w in words)
            out.append(([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], join_words([w[4] for w in words]), 1.0))
        return out, None


_CJK_EDGE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def join_words(words: list[str]) -> str:
    """Tesseract's words of one line as text: no space where Chinese meets Chinese (chi_sim
    splits Chinese into words), one elsewhere."""
    out = ""
    for w in words:
        out += w if not out or (_CJK_EDGE.match(out[-1]) and _CJK_EDGE.match(w[0])) else " " + w
    return out
