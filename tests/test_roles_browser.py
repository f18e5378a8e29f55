"""End to end, in Chromium: a `rag serve` with users. A reader signs in, sees no add or
remove controls, and a raw call of the remove handler from the reader's own signed-in
page is refused on the server; an editor signs in and removes the document."""
from __future__ import annotations

import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
pytest.importorskip("playwright.sync_api")
pytest.importorskip("gradio")

from browser_support import ARTIFACTS, ROOT, Server, browser, running, shot, wait_js  # noqa: E402

from rag.security import UsersFile  # noqa: E402

__all__ = ["browser"]  # a fixture, used by name

UPLOAD = "uploads/notice.md"
PASSWORDS = {"rita": "reader-password-1", "ed": "editor-password-1"}

# the page's own remove handler, called the way the page calls it (queue/join, then the
# event stream), with the signed-in cookie: what an attacker with a reader account would do
CALL_REMOVE = """async (source) => {
    const config = await (await fetch('config')).json();
    const byId = (name) => config.components.find(c => c.props && c.props.elem_id === name).id;
    const button = byId('doc-remove'), choice = byId('doc-remove-choice');
    const session = 'attack' + Math.random().toString(36).slice(2);
    async function call(dep, data, trigger) {
        const join = await fetch('gradio_api/queue/join', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({data, fn_index: dep.id, session_hash: session, trigger_id: trigger, event_data: null})});
        if (!join.ok) return 'join refused ' + join.status;
        const stream = await fetch('gradio_api/queue/data?session_hash=' + session);
        const reader = stream.body.getReader();
        let text = '';
        while (!text.includes('process_completed')) {
            const {value, done} = await reader.read();
            if (done) break;
            text += new TextDecoder().decode(value);
        }
        reader.cancel();
        return text;
    }
    // the list's refresh first, in the same session, so the dropdown knows the upload as a choice
    const tick = config.dependencies.find(d => d.outputs.includes(choice) && d.targets.some(t => t[1] === 'tick'));
    await call(tick, [], tick.targets[0][0]);
    const remove = config.dependencies.find(d => d.targets.some(t => t[0] === button));
    return await call(remove, [source], button);
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ARTIFACTS.mkdir(exist_ok=True)
    d = tmp_path_factory.mktemp("roles-e2e")
    shutil.copytree(ROOT / "seeds", d / "seeds", ignore=shutil.ignore_patterns("uploads"))
    (d / "seeds" / "uploads").mkdir()
    (d / "seeds" / "uploads" / "notice.md").write_text("# 低空通知\n\n璧山区开通十二条无人机航线。\n", encoding="utf-8")
    users = UsersFile(d / "users.json")
    users.add("rita", "reader", password=PASSWORDS["rita"])
    users.add("ed", "editor", password=PASSWORDS["ed"])
    env = {"RAG_USERS_FILE": str(d / "users.json"), "RAG_AUDIT_PATH": str(d / "audit.jsonl"),
           "RAG_EMBEDDER": "hash"}
    with running(Server(d, "extractive", "roles", extra_env=env)) as s:
        s.dir = d
        yield s


def sign_in(browser, server, name):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = context.new_page()
    pg.goto(server.url)
    pg.wait_for_selector("input[type=password]", timeout=60_000)
    pg.locator("input").first.fill(name)
    pg.fill("input[type=password]", PASSWORDS[name])
    pg.keyboard.press("Enter")
    pg.wait_for_selector("#chat", timeout=60_000)
    wait_js(pg, "() => /Ready/.test(document.querySelector('#status')?.innerText || '')", 240, server)
    pg.click("#documents button")
    wait_js(pg, "() => document.querySelector('#doc-list tr[data-source]')", 30, server, what="listing documents")
    return context, pg


def test_reader_cannot_remove_editor_can(browser, server):
    context, pg = sign_in(browser, server, "rita")
    try:
        assert UPLOAD in pg.inner_text("#doc-list")
        assert not pg.locator("#doc-remove").is_visible() and not pg.locator("#doc-add").is_visible()
        reply = pg.evaluate(CALL_REMOVE, UPLOAD)
        assert "editor role" in reply, reply
        assert (server.dir / "seeds" / UPLOAD).is_file()
        shot(pg, "roles-reader")
    finally:
        context.close()
    context, pg = sign_in(browser, server, "ed")
    try:
        assert pg.locator("#doc-remove").is_visible()
        wait_js(pg, "() => document.querySelector('#doc-remove-choice input')?.value", 10, server)
        pg.click("#doc-remove")
        wait_js(pg, "() => /Removed/.test(document.querySelector('#doc-progress')?.innerText || '')", 60, server)
        assert not (server.dir / "seeds" / UPLOAD).exists()
        assert UPLOAD not in pg.inner_text("#doc-list")
    finally:
        context.close()
    audit = (server.dir / "audit.jsonl").read_text(encoding="utf-8")
    assert '"user": "rita", "action": "remove", "outcome": "refused: role"' in audit
    assert '"user": "ed", "action": "remove", "outcome": "done"' in audit
