"""The web front end: a Gradio chat on top of rag.Assistant (see ui.app)."""
