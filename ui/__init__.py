"""The web front end: a Gradio chat on top of rag.Assistant (see ui.app)."""
import os

# Set before any ui module imports gradio, which reads it at import time; offline
# machines: no phoning home.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
