"""`rag users`: who may sign in to a shared `rag serve`, and with which role.

    rag users add alice --role editor    # prints a generated password, once
    rag users list
    rag users remove alice
"""
from __future__ import annotations

from ..security import ROLES, UsersFile
from .common import settings_from


def register(sub) -> None:
    p = sub.add_parser("users", help="add, list or remove the users who may sign in to `rag serve`")
    users_sub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", help="add a user (or reset one's role and password); prints the password once")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True,
                     help="reader: ask and search; editor: also add and remove documents; admin: also manage users")
    add.set_defaults(func=run_add)
    users_sub.add_parser("list", help="names and roles").set_defaults(func=run_list)
    remove = users_sub.add_parser("remove", help="remove a user (their sign-in stops working at once)")
    remove.add_argument("name")
    remove.set_defaults(func=run_remove)


def _users(args) -> UsersFile:
    return UsersFile(settings_from(args).path("users_file"))


def run_add(args) -> int:
    users = _users(args)
    existed = users.role(args.name) is not None
    password = users.add(args.name, args.role)
    verb = "Updated" if existed else "Added"
    print(f"{verb} {args.name} ({args.role}) in {users.path}.")
    print(f"Password (shown once; give it to {args.name} privately): {password}")
    return 0


def run_list(args) -> int:
    users = _users(args)
    rows = users.users()
    if not rows:
        print(f"No users in {users.path}: `rag serve` is open on 127.0.0.1 and refuses other addresses.")
        return 0
    width = max(len(n) for n, _ in rows)
    for name, role in rows:
        print(f"{name:<{width}}  {role}")
    return 0


def run_remove(args) -> int:
    users = _users(args)
    users.remove(args.name)
    left = len(users.users())
    print(f"Removed {args.name} from {users.path} ({left} user(s) left).")
    if not left:
        print("No users left: a server on a non-loopback address will refuse to start until one is added.")
    return 0
