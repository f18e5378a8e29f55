"""`rag model`: assemble and verify the embedded GGUF model (set-up runs this once)."""
from __future__ import annotations

from ..answering.generators.model_store import ensure_model, verify_full
from .common import log_stderr, print_json, settings_from


def register(sub) -> None:
    p = sub.add_parser("model", help="assemble/verify the embedded default model in the cache")
    p.add_argument("--verify", action="store_true", help="re-hash the whole file even if its stamp is current")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    settings = settings_from(args)
    path = ensure_model(settings, progress=log_stderr)
    verified = verify_full(path) if args.verify else True
    if args.json:
        print_json({"path": str(path), "size": path.stat().st_size, "verified": verified})
    else:
        print(f"{path} ({path.stat().st_size:,} bytes){'' if verified else ' FAILED verification'}")
    return 0 if verified else 2
