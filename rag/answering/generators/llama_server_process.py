"""The llama-server process beside `rag serve`: found (the program scripts/setup.sh
built), started on a free loopback port with N parallel slots, health-checked, watched
and restarted when it dies, stopped with `rag serve`. The generator that talks to it is
rag.answering.generators.llama_server."""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ...errors import BackendUnavailableError, ConfigError, ModelError

log = logging.getLogger(__name__)

SETUP_COMMAND = "scripts/setup.sh llama-server"
DEFAULT_SLOTS = 4  # generation_slots = 0 (benchmarks/load.py --compare --slots N measures others)
HOST = "127.0.0.1"  # never another interface: the server has no sign-in of its own
# prompt-lookup decoding in llama-server: n-grams of the prompt and reply drafted, checked in
# one batch ("ngram-simple", llama.cpp's server option); on by default only if measured to win
LOOKUP_ARGS = ["--spec-type", "ngram-simple", "--spec-ngram-simple-size-n", "3", "--spec-ngram-simple-size-m", "10"]
# prompt_lookup = "auto": off. Measured on an idle 2-core Xeon (README, "Both paths side by
# side"; benchmarks/data/load_compare_2026-12-04_idle_4slots.txt): no faster (1 user 22.6
# answers/min against 23.9 without it, 8 users x 3 22.4 against 25.0): answers are a dozen
# tokens, the time goes into reading the prompt, which drafting does not shorten
LOOKUP_DEFAULT = False


def lookup_on(settings) -> bool:
    """Whether llama-server drafts tokens by prompt lookup (settings.prompt_lookup)."""
    return {"on": True, "off": False}.get(settings.prompt_lookup, LOOKUP_DEFAULT)


class ServerRestartedError(BackendUnavailableError):
    """The model server stopped in the middle of this answer (it is being restarted)."""


def find_binary(settings) -> Path:
    """The llama-server program: settings.llama_server_path, else the one scripts/setup.sh
    built into the cache folder, else llama-server on PATH. ModelError naming the set-up
    command when there is none."""
    if settings.llama_server_path:
        p = Path(settings.llama_server_path).expanduser()
        if p.is_file() and os.access(p, os.X_OK):
            return p
        raise ModelError(f"llama_server_path {settings.llama_server_path!r} is not an executable file. "
                         f"Build llama-server with `{SETUP_COMMAND}`, or leave the setting empty to use that build.")
    built = settings.cache_path / "bin" / "llama-server"
    if built.is_file() and os.access(built, os.X_OK):
        return built
    found = shutil.which("llama-server")
    if found:
        return Path(found)
    raise ModelError(
        f"model_server = \"llama-server\" needs llama.cpp's server program, which is not built on this machine "
        f"(looked for {built} and on PATH). Build it once with `{SETUP_COMMAND}` (about 10 minutes on 2 cores), "
        "or set model_server = \"embedded\"."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class LlamaServer:
    """One llama-server process on loopback, kept alive by a watchdog thread.

    `generation` counts launches: a request that started under one generation and sees
    another (or a dead process) was cut by a restart."""

    def __init__(self, settings, model_file: Path | str | None = None, *, slots: int | None = None,
                 lookup: bool = False, command: Sequence[str] | None = None, port: int | None = None,
                 startup_timeout: float = 180.0, check_every: float = 0.5, log_path: Path | None = None):
        self.settings = settings
        self.slots = slots or settings.generation_slots or DEFAULT_SLOTS
        if self.slots < 1:
            raise ConfigError(f"llama-server needs at least 1 slot (got {self.slots}).")
        # one more slot than answers run at once, for the answer check alone
        # (rag.answering.check): its prompt shares nothing with the answering prompt, and in an
        # answering slot it pushed the fixed prefix out of the cache, so the next answer there
        # read its whole prompt again (a 4-slot server with 8 users: 10 answers a minute against 26)
        self.check_slot = self.slots if settings.check_answers else None
        self.model_file = Path(model_file) if model_file else None
        self.lookup = lookup
        self._command = list(command) if command else None  # tests: a fake server, "{port}" filled in
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.check_every = check_every
        self.log_path = log_path or settings.cache_path / "logs" / f"llama-server-{self.port}.log"
        self.generation = 0
        self.restarts = 0
        self.error = ""  # why it is not running, when it is not
        # called (in the watchdog thread) with self.error when it stops restarting a server
        # that had been up: `rag serve` then answers extractively instead of failing each request
        self.on_give_up = None
        self._proc: subprocess.Popen | None = None
        self._lock = threading.RLock()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._ever_ready = False
        self._at_exit = False

    # ------------------------------------------------------------------ what runs
    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def all_slots(self) -> int:
        """The server's slots: the answering ones and the answer check's, if it checks."""
        return self.slots + (self.check_slot is not None)

    def command(self) -> list[str]:
        if self._command:
            return [a.replace("{port}", str(self.port)) for a in self._command]
        s = self.settings
        if self.model_file is None:
            raise ConfigError("LlamaServer needs the model file to serve.")
        args = [
            str(find_binary(s)), "--model", str(self.model_file), "--host", HOST, "--port", str(self.port),
            "--parallel", str(self.all_slots), "--cont-batching",
            # each slot gets the embedded path's whole context, so a prompt that fits there fits here
            "--ctx-size", str(s.llama_ctx * self.all_slots), "--no-kv-unified",
            # measured on the 2-core Xeon, idle (notes for issue 20): one sequence decodes at
            # 13.1-13.7 tokens/s as in the embedded path, four at once 8.2-8.4 each. --threads 1
            # halves one sequence (7.3); --flash-attn off slows four at once (6.1 each); --poll 0
            # changes nothing. Any other busy process on the 2 cores makes the threads wait for
            # each other at every step (2.6 tokens/s, 0.8-1.0 each for four; --poll 0 no better)
            "--threads", str(s.llama_threads), "--threads-batch", str(s.llama_threads),
            "--batch-size", "512", "--flash-attn", "on",
            # a slot re-evaluates only what follows the longest prefix it holds (the fixed
            # prompt prefix); chunks of 64+ tokens further on are reused by shifting the cache
            "--cache-reuse", "64",
            "--cache-ram", "0",  # no prompt copies in RAM beyond the slots' own caches
            "--no-webui", "--alias", "default",
        ]
        if self.lookup:
            args += LOOKUP_ARGS
        return args

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def healthy(self, timeout: float = 2.0) -> bool:
        """GET /health answers 200 (503 while the model loads)."""
        import httpx

        try:
            return httpx.get(f"{self.base_url}/health", timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    # ------------------------------------------------------------------ life cycle
    def start(self) -> "LlamaServer":
        """Launch the server and wait until it answers /health; BackendUnavailableError with
        the end of its log when it exits or does not come up in time. Idempotent."""
        with self._lock:
            if self._watchdog is None or not self._watchdog.is_alive():
                if not self._at_exit:  # the program ending (Ctrl+C, SIGTERM via sys.exit) ends the server
                    atexit.register(self.stop)
                    self._at_exit = True
                self._stopping.clear()
                if not self.alive():
                    self._launch()
                self._watchdog = threading.Thread(target=self._watch, name="llama-server-watchdog", daemon=True)
                self._watchdog.start()
        if not self.wait_ready(self.startup_timeout) or self.error:
            error = self.error or f"llama-server did not come up within {self.startup_timeout:g} s."
            self.stop()
            raise BackendUnavailableError(error)
        return self

    def _launch(self) -> None:
        cmd = self.command()  # ModelError (no binary) or ConfigError: the caller's to show
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_path, "ab" if self.generation else "wb")  # one log per server, restarts appended
        try:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)  # Ctrl+C on `rag serve` reaches us, not it
        finally:
            out.close()
        self.generation += 1
        self._ready.clear()
        self.error = ""
        log.info("llama-server started (pid %s, port %s, %s slots)", self._proc.pid, self.port, self.slots)

    def _log_tail(self, lines: int = 12) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout: float) -> bool:
        """Block until the server answers /health (True), or it died and could not be
        restarted, or the timeout passed (False)."""
        return self._ready.wait(timeout)

    def _watch(self) -> None:
        """Every check_every seconds: mark ready once /health answers; relaunch a process
        that exited (a crash, the OOM killer, a `kill`); give up after 5 quick failures."""
        failures: list[float] = []
        while not self._stopping.wait(self.check_every if self._ready.is_set() else 0.1):
            with self._lock:
                if self._stopping.is_set():
                    return
                if self._proc is not None and self._proc.poll() is not None:
                    code = self._proc.returncode
                    self._ready.clear()
                    if not self._ever_ready:  # the first launch never came up: no use retrying
                        self.error = (f"llama-server exited with code {code} before it was ready. "
                                      f"Its log ({self.log_path}) ends:\n{self._log_tail()}")
                        log.error("%s", self.error)
                        self._proc = None
                        self._ready.set()
                        return
                    now = time.monotonic()
                    failures = [t for t in failures if now - t < 60] + [now]
                    tail = self._log_tail()
                    if len(failures) > 5:
                        self.error = (f"llama-server exited (code {code}) 6 times within a minute; not restarting. "
                                      f"Its log ({self.log_path}) ends:\n{tail}")
                        log.error("%s", self.error)
                        self._proc = None
                        self._gave_up()
                        return
                    log.warning("llama-server (pid %s) exited with code %s; restarting", self._proc.pid, code)
                    self.restarts += 1
                    try:
                        self._launch()
                    except Exception as e:  # noqa: BLE001 - reported to every waiting request
                        self.error = f"llama-server could not be restarted: {e}"
                        self._proc = None
                        self._gave_up()
                        return
                    continue
            if not self._ready.is_set() and self.healthy(timeout=1.0):
                log.info("llama-server ready on port %s", self.port)
                self._ever_ready = True
                self._ready.set()

    def _gave_up(self) -> None:
        """No more restarts: tell on_give_up first (new requests go elsewhere), then wake the
        requests waiting for a server (they see self.error)."""
        if self.on_give_up is not None:
            try:
                self.on_give_up(self.error)
            except Exception:  # noqa: BLE001 - the waiters must still be woken
                log.exception("llama-server's on_give_up failed")
        self._ready.set()

    def ensure_ready(self, timeout: float) -> int:
        """Wait for a running, healthy server; its generation. BackendUnavailableError when
        it is not there (stopped, gave up restarting, or still starting after `timeout`)."""
        if self._watchdog is None:
            raise BackendUnavailableError("llama-server is not started (LlamaServer.start()).")
        deadline = time.monotonic() + timeout
        while True:
            ready = self.wait_ready(max(0.0, deadline - time.monotonic()))
            if self.error:
                raise BackendUnavailableError(self.error)
            if ready and self.alive():
                return self.generation
            if time.monotonic() >= deadline or self._stopping.is_set():
                raise BackendUnavailableError(f"llama-server is not ready after {timeout:g} s (it is starting or "
                                              "restarting); ask again in a moment.")
            time.sleep(0.05)  # died a moment ago: the watchdog is about to relaunch it

    def stop(self, timeout: float = 10.0) -> None:
        """End the server (SIGTERM, then SIGKILL) and its watchdog."""
        self._stopping.set()
        with self._lock:
            proc, self._proc = self._proc, None
            self._ready.clear()
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout)
        self._watchdog = None

    def __enter__(self) -> "LlamaServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
