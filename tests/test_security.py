"""Sign-in and roles (rag.security, `rag users`, `rag serve`, ui/): the users file keeps
salted slow hashes, roles decide who may add and remove documents on the server side,
a network address without users refuses to start, and every change is audited."""
from __future__ import annotations

import json
import os
import stat

import pytest

from rag import ConfigError, InputError, Settings
from rag.cli import main
from rag.security import Access, AccessError, AuditLog, UsersFile, is_loopback

NOTICE = "# 低空通知\n\n璧山区低空物流试点首批开通十二条无人机航线，单架次配送时间缩短到十八分钟。\n"


@pytest.fixture
def users(tmp_path) -> UsersFile:
    return UsersFile(tmp_path / "users.json")


def test_users_file_keeps_only_salted_scrypt_hashes(users):
    pw = users.add("ann", "editor")
    users.add("bob", "editor", password=pw)  # the same password gives another hash (own salt)
    raw = users.path.read_text()
    assert pw not in raw and len(pw) >= 16
    records = json.loads(raw)["users"]
    assert records["ann"]["hash"] != records["bob"]["hash"] and records["ann"]["n"] >= 2 ** 14
    assert stat.S_IMODE(os.stat(users.path).st_mode) == 0o600
    assert users.verify("ann", pw) and not users.verify("ann", pw + "x") and not users.verify("nobody", pw)
    assert users.role("ann") == "editor" and users.role("nobody") is None
    users.remove("ann")
    assert not users.verify("ann", pw) and users.users() == [("bob", "editor")]


@pytest.mark.parametrize("name, role", [("", "reader"), ("a b", "reader"), ("../x", "reader"), ("ann", "root")])
def test_bad_user_names_and_roles_are_refused(users, name, role):
    with pytest.raises(InputError):
        users.add(name, role)


def test_cli_adds_lists_and_removes_users(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_USERS_FILE", str(tmp_path / "u.json"))
    assert main(["users", "add", "ann", "--role", "admin"]) == 0
    out = capsys.readouterr().out
    password = out.strip().rsplit(" ", 1)[-1]
    assert "shown once" in out and UsersFile(tmp_path / "u.json").verify("ann", password)
    assert main(["users", "list"]) == 0 and capsys.readouterr().out.split() == ["ann", "admin"]
    assert main(["users", "remove", "ann"]) == 0
    assert main(["users", "remove", "ann"]) == 2 and "no user 'ann'" in capsys.readouterr().err


@pytest.mark.parametrize("host, loop", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                        ("0.0.0.0", False), ("10.1.2.3", False), ("example.org", False)])
def test_loopback_addresses(host, loop):
    assert is_loopback(host) is loop


def test_network_address_without_users_refuses_to_start(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_USERS_FILE", str(tmp_path / "none.json"))
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "rag users add" in err and "--insecure-no-auth" in err
    with pytest.raises(ConfigError):
        Access.for_server(tmp_path / "none.json", "0.0.0.0")
    assert Access.for_server(tmp_path / "none.json", "0.0.0.0", insecure=True).open
    assert Access.for_server(tmp_path / "none.json", "127.0.0.1").open
    UsersFile(tmp_path / "u.json").add("ann", "reader")
    assert not Access.for_server(tmp_path / "u.json", "127.0.0.1").open  # users: sign-in also on loopback


def test_roles_decide_on_the_server(users):
    users.add("rita", "reader")
    users.add("ed", "editor")
    users.add("ada", "admin")
    access = Access(users)
    assert access.can("rita", "ask") and not access.can("rita", "add") and not access.can("rita", "remove")
    assert access.can("ed", "remove") and not access.can("ed", "users") and access.can("ada", "users")
    for who in ("rita", None, "ghost"):
        with pytest.raises(AccessError):
            access.require(who, "add")
    assert access.require("ed", "add") == "ed"
    assert Access(None).require(None, "remove") == "local"


@pytest.fixture
def backend(hash_assistant, tmp_path, users):
    pytest.importorskip("gradio")
    from ui.app import Backend

    users.add("rita", "reader", password="reader-password-1")
    users.add("ed", "editor", password="editor-password-1")
    users.add("eve", "editor", password="editor-password-2")
    settings = hash_assistant.settings.replace(audit_path=str(tmp_path / "audit.jsonl"), generator="extractive",
                                               feedback_path=str(tmp_path / "fb.jsonl"))
    hash_assistant.settings = settings
    b = Backend(hash_assistant, Access(users)).start()
    b.wait()
    return b


def _last(gen):
    out = None
    for out in gen:
        pass
    return out


def test_reader_cannot_add_or_remove_editor_can_and_all_is_audited(backend, tmp_path):
    from ui.documents import add_files, remove_file

    path = tmp_path / "notice.md"
    path.write_text(NOTICE, encoding="utf-8")
    message = _last(add_files(backend, [str(path)], username="rita"))[0]
    assert "editor role" in message and not (backend.settings.corpus_path / "uploads" / "notice.md").exists()
    message = _last(add_files(backend, [str(path)], username="ed"))[0]
    assert "uploads/notice.md" in message
    assert "editor role" in remove_file(backend, "uploads/notice.md", username="rita")[0]
    assert "uploads/notice.md" in [d.source for d in backend.assistant.documents()]
    assert "Removed" in remove_file(backend, "uploads/notice.md", username="ed")[0]
    log = [(e["user"], e["action"], e["outcome"]) for e in AuditLog(tmp_path / "audit.jsonl").entries()]
    assert log == [("rita", "add", "refused: role"), ("ed", "add", "done"),
                   ("rita", "remove", "refused: role"), ("ed", "remove", "done")]


@pytest.mark.parametrize("name", ["../../etc/notice.md", "notice.MD", "notice.md\n", "NOTICE.md"])
def test_same_name_never_silently_replaces_another_upload(backend, name):
    from ui.api import add_document

    assert json.loads(add_document(backend, "notice.md", NOTICE, username="ed"))["added"] == ["uploads/notice.md"]
    refused = json.loads(add_document(backend, name, "# 假通知\n\n替换内容。\n", username="eve"))
    assert "already uploaded by ed" in refused["error"]
    stolen = json.loads(add_document(backend, name, "# 假通知\n\n替换内容。\n", replace=True, username="eve"))
    assert "only they may replace" in stolen["error"]
    own = json.loads(add_document(backend, name, NOTICE + "\n补充一句。\n", replace=True, username="ed"))
    assert own["replaced"] and "补充一句" in next((backend.settings.corpus_path / "uploads").glob("*.md")).read_text()
    assert len(list((backend.settings.corpus_path / "uploads").glob("*.md"))) == 1


def test_feedback_records_who_rated(backend, tmp_path):
    from ui.app import Conversation, Turn, rate

    answer = backend.assistant.ask("璧山区无人机航线有多少条？", generator="extractive")
    conv = Conversation([Turn(question=answer.question, answer=answer)])
    rate(backend, conv, 1, True, username="rita")
    assert json.loads((tmp_path / "fb.jsonl").read_text().splitlines()[0])["user"] == "rita"


def test_apis_need_the_same_sign_in(backend):
    pytest.importorskip("gradio_client")
    from gradio_client import Client

    from ui.app import build_app, launch
    from browser_support import free_port

    demo = build_app(backend)
    port = free_port()
    launch(demo, port=port, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False)  # no credentials: the app does not even describe itself
        with pytest.raises(Exception):
            Client(url, auth=("ed", "wrong-password-1"), verbose=False)
        reader = Client(url, auth=("rita", "reader-password-1"), verbose=False)
        assert json.loads(reader.predict("璧山", 1, api_name="/search"))  # readers search
        refused = json.loads(reader.predict("notice.md", NOTICE, False, api_name="/add_document"))
        assert "editor role" in refused["error"]
        editor = Client(url, auth=("ed", "editor-password-1"), verbose=False)
        added = json.loads(editor.predict("notice.md", NOTICE, False, api_name="/add_document"))
        assert added["added"] == ["uploads/notice.md"]
    finally:
        demo.close()
