"""Ingest: documents in (loaders/ per format), paragraph chunks out (corpus), and the
uploads added to a running assistant (uploads).

Public API (the rest of rag.ingest is internal):

    LOADERS                      file suffix -> reader, the formats a corpus folder may hold
    load_documents(folder)       every readable document, with the skipped files and why
    chunk_documents(docs, ...)   paragraph chunks (rag.Chunk) with stable ids
    index_text(chunk)            the text of a chunk as the index embeds and searches it
    DocumentInfo, IndexProgress  what Assistant.documents() lists and add_documents() reports
    OcrOptions, reading_scans    how scanned PDF pages are read by OCR, for a block of reading:
                                 `with reading_scans(OcrOptions(mode="force")): load_documents(...)`
"""
from .corpus import LOADERS, chunk_documents, index_text, load_documents
from .ocr import OcrOptions
from .ocr import using as reading_scans
from .uploads import DocumentInfo, IndexProgress

__all__ = ["DocumentInfo", "IndexProgress", "LOADERS", "OcrOptions", "chunk_documents", "index_text", "load_documents",
           "reading_scans"]
