"""A chat server for the browser tests of the page's controls: the real page over a real
Assistant (hash embedder: the index builds in a second), with a scripted language-model
generator, `scripted`, as the default so the tests control timing and can see what the
model did. Not a test module; tests start it as a subprocess:

    python tests/ui_fake_server.py PORT

Environment: RAG_CORPUS_DIR / RAG_INDEX_DIR / RAG_FEEDBACK_PATH as for `rag serve`;
SCRIPTED_CONTROL: a file whose text, read at each call, is "slow" (stream the answer, then
hundreds of filler pieces 50 ms apart: a long answer to stop) or anything else (answer at
once); SCRIPTED_LOG: a JSONL file with one line per call when it ends:
{"call", "pieces", "finished"} (finished false = its consumer closed it mid-stream).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes import FakeGenerator  # noqa: E402

from rag import Assistant, Settings  # noqa: E402


class ScriptedGenerator(FakeGenerator):
    """Answers with the first sentence it is shown, cited by its number (so the answer's
    checks pass); in slow mode keeps streaming filler until stopped."""

    name = "scripted"

    def __init__(self, settings, control: Path, log: Path):
        super().__init__("", settings)
        self.control, self.log, self.calls = control, log, 0

    def stream(self, messages, *, max_tokens=None, temperature=None, stop=None, probe=None):
        self.calls += 1
        call, pieces, finished = self.calls, 0, False
        slow = self.control.is_file() and self.control.read_text().strip() == "slow"
        shown = [line for line in messages[-1]["content"].splitlines() if line.startswith("[")]
        n, _, sentence = shown[0].partition("] ") if shown else ("[1", "", "资料未提及")
        reply = [sentence.rstrip("。"), f"{n}]。"]
        try:
            for piece in reply + (["…"] * 600 if slow else []):
                if slow:
                    time.sleep(0.05)
                pieces += 1
                yield piece
            finished = True
        finally:
            with self.log.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"call": call, "pieces": pieces, "finished": finished}) + "\n")


def main(port: int) -> None:
    from ui.app import build_app, launch

    settings = Settings.load().replace(embedder="hash", generator="scripted")
    assistant = Assistant.load(settings)
    gen = ScriptedGenerator(settings, Path(os.environ["SCRIPTED_CONTROL"]), Path(os.environ["SCRIPTED_LOG"]))
    assistant.register_generator(gen)
    launch(build_app(assistant), "127.0.0.1", port, quiet=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
