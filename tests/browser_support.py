"""What the browser tests share: a chat server run as a subprocess on a free loopback port,
Debian's headless Chromium driven by Playwright, and helpers that wait on the page.
The `browser` fixture is imported by the test modules that use it."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

QUESTION = "重庆公共数据资源体系的数据需求满足率是多少？"
EVIDENCE = "数据需求满足率95%"
UNANSWERABLE = "重庆每年发放的“算力券”总额是多少？"  # evals/gold.jsonl q11, answerable: false


# ---------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`rag serve` (or, with `cmd`, another way to start the page) with the corpus, index
    and eval runs under workdir; its output goes to test-artifacts/server-NAME.log."""

    def __init__(self, workdir: Path, generator: str, name: str, extra_env: dict[str, str] | None = None,
                 cmd: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = ARTIFACTS / f"server-{name}.log"
        env = {
            **os.environ,
            "RAG_CORPUS_DIR": str(workdir / "seeds"),
            "RAG_INDEX_DIR": str(workdir / "index"),
            "RAG_UI_RUNS_DIR": str(workdir / "runs"),
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        cmd = [*cmd, str(self.port)] if cmd else [
            sys.executable, "-c", "import sys; from rag.cli import main; sys.exit(main())",
            "serve", "--host", "127.0.0.1", "--port", str(self.port), "--generator", generator]
        self._log = self.log_path.open("w", encoding="utf-8")
        # cwd = the checkout, so the Evaluation tab's default evals/gold.jsonl resolves
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_up(self, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"rag serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"rag serve did not answer on {self.url} within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


@contextmanager
def running(server: Server) -> Iterator[Server]:
    """The server, up, for a fixture to yield; stopped afterwards whatever happened."""
    try:
        server.wait_up()
        yield server
    finally:
        server.stop()


# Module scope: each test module that imports this fixture gets its own Chromium, closed
# before the next module starts (Playwright's sync API allows one instance at a time).
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_js(pg, js: str, timeout: float, server: Server | None = None, arg=None, what: str = "") -> None:
    """Wait until `js` is true in the page, in short slices so a server that died (a native
    crash in the model, say) fails the test at once with its log instead of a timeout."""
    deadline = time.time() + timeout
    while True:
        try:
            pg.wait_for_function(js, arg=arg, timeout=5_000)
            return
        except sync_api.TimeoutError:
            if server is not None and server.proc.poll() is not None:
                pytest.fail(f"rag serve died (exit {server.proc.returncode}) {what}:\n{server.log_tail()}")
            if time.time() > deadline:
                raise


def open_page(pg, server: Server, ready_timeout: float = 240) -> None:
    pg.goto(server.url)
    pg.wait_for_selector("#chat", timeout=60_000)
    # the index (and model) load in the background; the status line says when they are in
    wait_js(pg, "() => /Ready|could not/.test(document.querySelector('#status')?.innerText || '')",
            ready_timeout, server, what="while loading")
    assert "Ready" in pg.inner_text("#status"), pg.inner_text("#status")


def ask(pg, question: str) -> None:
    n_before = pg.locator("#chat .bot").count()
    pg.fill("#question textarea", question)
    pg.press("#question textarea", "Enter")
    pg.wait_for_function(f"() => document.querySelectorAll('#chat .bot').length > {n_before}", timeout=30_000)


def wait_answer(pg, index: int = -1, timeout: float = 60, server: Server | None = None):
    """The bot bubble at `index` once its answer (or error) is final: no streaming cursor,
    no pending line, and the answer's footer or an error box."""
    wait_js(
        pg,
        """([i]) => {
            const b = [...document.querySelectorAll('#chat .bot')].at(i);
            return b && !b.innerText.includes('▌') && !b.querySelector('.pending')
                   && (b.querySelector('.answer-meta') || b.querySelector('.rag-error'));
        }""",
        timeout, server, arg=[index], what="while answering",
    )
    return pg.locator("#chat .bot").nth(index if index >= 0 else pg.locator("#chat .bot").count() + index)


def shot(pg, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path))
    return path
