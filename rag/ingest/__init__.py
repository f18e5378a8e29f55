"""Ingest: documents in (loaders/ per format), paragraph chunks out (corpus), and the
uploads added to a running assistant (uploads)."""
