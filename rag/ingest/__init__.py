"""Ingest: documents in (loaders/ per format), paragraph chunks out (corpus), and the
uploads added to a running assistant (uploads).

Public API (the rest of rag.ingest is internal):

    LOADERS                      file suffix -> reader, the formats a corpus folder may hold
    load_documents(folder)       every readable document, with the skipped files and why
    chunk_documents(docs, ...)   paragraph chunks (rag.Chunk) with stable ids
    index_text(chunk)            the text of a chunk as the index embeds and searches it
    reading_text(chunk)          the text of a chunk as a reader (and the evidence check) sees it
    DocumentInfo, IndexProgress  what Assistant.documents() lists and add_documents() reports
    flagged_sentences(text)      sentences that give orders to the assistant (prompt injection)
    OcrOptions, reading_scans    how scanned PDF pages are read by OCR, for a block of reading:
                                 `with reading_scans(OcrOptions(mode="force")): load_documents(...)`
"""
from .corpus import LOADERS, chunk_documents, index_text, load_documents, reading_text
from .instructions import flagged_sentences
from .ocr import OcrOptions
from .ocr import using as reading_scans
from .uploads import DocumentInfo, IndexProgress

__all__ = ["DocumentInfo", "IndexProgress", "LOADERS", "OcrOptions", "chunk_documents", "flagged_sentences",
           "index_text", "load_documents", "reading_scans", "reading_text"]
