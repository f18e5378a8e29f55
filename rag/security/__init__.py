"""Sharing a server safely: users and roles (users), what each role may do (access), and
the audit log of document changes (audit). Used by `rag serve`, `rag users` and ui/."""
from .access import ACTIONS, LOCAL_USER, Access, AccessError, allows, is_loopback
from .audit import AuditLog
from .users import ROLES, UsersFile

__all__ = ["ACTIONS", "LOCAL_USER", "ROLES", "Access", "AccessError", "AuditLog", "UsersFile", "allows",
           "is_loopback"]
