"""Who may use a shared `rag serve`: a users file of names, roles and salted slow hashes.

    users = UsersFile(settings.path("users_file"))
    password = users.add("alice", "editor")     # generated; shown once, stored only hashed
    users.verify("alice", password)             # True
    users.role("alice")                         # "editor"; None for an unknown name

The file is JSON, written atomically and readable by its owner only. A password is kept
as scrypt(password, salt) (hashlib.scrypt: memory-hard, so a stolen file is slow to
crack); the cost parameters are stored with each hash so they can be raised later
without invalidating the old ones. Every read checks the file's modification time, so a
user added or removed with `rag users` takes effect in a running server at once.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from datetime import datetime, timezone
from pathlib import Path

from .._files import write_text
from ..errors import ConfigError, InputError

ROLES = ("reader", "editor", "admin")
# scrypt cost: n=2**14, r=8 is ~16 MB and ~50 ms per check on one core, the values the
# hashlib documentation and OWASP suggest for interactive sign-in
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
FORMAT = 1


def hash_password(password: str, salt: bytes | None = None, **cost: int) -> dict:
    salt = salt or secrets.token_bytes(16)
    params = {**SCRYPT, **cost}
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=64 * 1024 * 1024, dklen=32, **params)
    return {"salt": salt.hex(), "hash": digest.hex(), **params}


def password_matches(password: str, record: dict) -> bool:
    try:
        salt = bytes.fromhex(record["salt"])
        cost = {k: int(record[k]) for k in ("n", "r", "p")}
        expected = record["hash"]
    except (KeyError, TypeError, ValueError):
        return False
    return hmac.compare_digest(hash_password(password, salt, **cost)["hash"], expected)


class UsersFile:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cache: tuple[float, dict] | None = None

    def exists(self) -> bool:
        return self.path.is_file()

    def _read(self) -> dict:
        """{name: record}; {} when the file does not exist. Re-read when it changed."""
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        with self._lock:
            if self._cache and self._cache[0] == mtime:
                return self._cache[1]
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                users = data["users"]
                if not isinstance(users, dict):
                    raise TypeError("users is not an object")
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise ConfigError(f"The users file {self.path} cannot be read ({e}). Fix it, or move it away "
                                  "and add the users again with `rag users add NAME --role ROLE`.") from e
            self._cache = (mtime, users)
            return users

    def _write(self, users: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text(self.path, json.dumps({"format": FORMAT, "users": users}, ensure_ascii=False, indent=1))
        os.chmod(self.path, 0o600)  # hashes are slow to crack, not impossible: keep them private
        self._cache = None

    def users(self) -> list[tuple[str, str]]:
        """(name, role) of every user, by name."""
        return sorted((name, str(r.get("role", ""))) for name, r in self._read().items())

    def role(self, name: str | None) -> str | None:
        record = self._read().get(name or "")
        role = record.get("role") if record else None
        return role if role in ROLES else None

    def verify(self, name: str, password: str) -> bool:
        record = self._read().get(str(name or "").strip())
        if record is None:
            # spend the same time as for a known name, so timing does not reveal who exists
            password_matches(str(password), {"salt": "00" * 16, "hash": "", **SCRYPT})
            return False
        return password_matches(str(password), record)

    def add(self, name: str, role: str, password: str | None = None) -> str:
        """Add a user (or give an existing one a new role and password); returns the password."""
        if not NAME.match(name or ""):
            raise InputError(f"{name!r} is not a usable user name: 1-64 letters, digits or . _ @ -, "
                             "starting with a letter or digit.")
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)} (got {role!r}).")
        password = password or secrets.token_urlsafe(15)
        if len(password) < 12:
            raise InputError("A password needs at least 12 characters.")
        users = dict(self._read())
        users[name] = {"role": role, **hash_password(password),
                       "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self._write(users)
        return password

    def remove(self, name: str) -> None:
        users = dict(self._read())
        if name not in users:
            raise InputError(f"There is no user {name!r}; `rag users list` shows who there is.")
        del users[name]
        self._write(users)
