"""The audit log: one JSON line per document added or removed, and per refused attempt,
saying who, when, what and the outcome. Appended (never rewritten), so a crash loses at
most the line being written."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import ConfigError

_lock = threading.Lock()


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)

    def record(self, user: str, action: str, outcome: str, **details: Any) -> None:
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "user": user,
                 "action": action, "outcome": outcome, **details}
        # backslashreplace: a name with a lone surrogate (refused, but still audited) stays writable
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)  # one write of one line with O_APPEND: whole, even across processes
                finally:
                    os.close(fd)
        except OSError as e:
            raise ConfigError(f"Cannot write the audit log {self.path}: {e}. Set audit_path to a writable file.") from e

    def entries(self) -> list[dict]:
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out
