"""Roles and what each may do, checked on the server in every handler that changes
something (hiding a button is only a courtesy: the handler can be called directly).

    access = Access.for_server(settings, host, insecure=False)   # or ConfigError
    who = access.require(request.username, "remove")             # or AccessError

Without a users file on a loopback address the server is open, as for one person on a
laptop: everyone is the local admin. A non-loopback address without a users file is
refused unless the operator insists (`--insecure-no-auth`).
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

from ..errors import ConfigError, RagError
from .users import ROLES, UsersFile

# the least role each action needs
ACTIONS = {"ask": "reader", "search": "reader", "feedback": "reader",
           "add": "editor", "remove": "editor", "users": "admin"}
LOCAL_USER = "local"  # who did it, on an open loopback server


class AccessError(RagError):
    """The signed-in user's role does not allow this action (or nobody is signed in)."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allows(role: str | None, action: str) -> bool:
    need = ACTIONS[action]
    return role in ROLES and ROLES.index(role) >= ROLES.index(need)


class Access:
    """Who may do what on one server. `users` None = open (no sign-in)."""

    def __init__(self, users: UsersFile | None):
        self.users = users

    @property
    def open(self) -> bool:
        return self.users is None

    @classmethod
    def for_server(cls, users_path: Path, host: str, *, insecure: bool = False) -> "Access":
        users = UsersFile(users_path)
        if users.exists() and users.users():  # an emptied file is the same as none
            return cls(users)
        if is_loopback(host) or insecure:
            return cls(None)
        raise ConfigError(
            f"Refusing to serve on {host} without sign-in: anyone who reaches the port could add and remove "
            f"documents. Add a user first (`rag users add NAME --role admin`, stored in {users_path}; the "
            "setting users_file names another file), or serve on 127.0.0.1. To run open anyway, pass "
            "--insecure-no-auth.")

    def check_password(self, name: str, password: str) -> bool:
        """Gradio's auth= callable."""
        return self.users is not None and self.users.verify(name, password)

    def role(self, username: str | None) -> str | None:
        return "admin" if self.open else self.users.role(username)

    def who(self, username: str | None) -> str:
        return LOCAL_USER if self.open else str(username or "")

    def can(self, username: str | None, action: str) -> bool:
        return allows(self.role(username), action)

    def require(self, username: str | None, action: str) -> str:
        """The user's name, or AccessError saying which role the action needs."""
        if self.can(username, action):
            return self.who(username)
        if not username:
            raise AccessError("Sign in first.")
        role = self.role(username)
        raise AccessError(f"{username} ({role or 'no longer a user'}) may not {action} documents here; "
                          f"that needs the {ACTIONS[action]} role. An admin can change it with "
                          f"`rag users add {username} --role {ACTIONS[action]}`.")
