"""Text primitives shared by every stage: script, sentences, names, figures, overlaps.

Public API (the rest of rag.text is internal):

    is_cjk(text)   whether CJK characters make up a fair share of a text (a Chinese text)
"""
from .measures import is_cjk

__all__ = ["is_cjk"]
