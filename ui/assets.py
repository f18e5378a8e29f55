"""The page's look and its browser-side script: CSS, JS and the theme."""
from __future__ import annotations

import gradio as gr

# Options for the page's own events: not part of the HTTP API (ui.api has that), no spinner
PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}

CSS = """
.doc-flag { color: #b45309; font-size: .85em; }
#status { font-size: .95em; }
#chat .message:has(.refusal-label) { background: #fff7ed !important; border-color: #fb923c !important; }
.refusal-label { color: #9a3412; font-weight: 600; margin-bottom: .3em; }
.rewritten { font-size: .85em; color: #475569; border-left: 3px solid #94a3b8; padding-left: .5em; margin-bottom: .4em; }
.pending { color: #64748b; }
.evidence { border-left: 3px solid #94a3b8; padding: .2em .6em; margin-bottom: .5em; color: #334155; font-size: .95em; }
.evidence-label { color: #64748b; font-size: .85em; margin-bottom: .2em; }
.answer-meta { font-size: .75em; color: #64748b; margin-top: .4em; }
.rag-error { color: #991b1b; background: #fef2f2; border: 1px solid #fecaca; border-radius: 6px; padding: .35em .6em; }
a.cite { display: inline-block; padding: 0 .3em; margin: 0 .1em; border-radius: 5px; background: #e0e7ff;
         color: #3730a3 !important; text-decoration: none !important; font-size: .85em; font-weight: 600; cursor: pointer; }
a.cite:hover { background: #c7d2fe; }
a.cite.unsupported { background: #fee2e2; color: #991b1b !important; text-decoration: line-through !important; }
#sources { max-height: 640px; overflow-y: auto; }
.sources-title { font-weight: 600; margin-bottom: .5em; }
.sources-empty { color: #64748b; padding: .5em 0; }
.source-card { border: 1px solid #e2e8f0; border-radius: 8px; padding: .6em .8em; margin-bottom: .6em; transition: box-shadow .2s; }
.source-card.selected { border-color: #6366f1; box-shadow: 0 0 0 3px #c7d2fe; background: #f8faff; }
.source-card.unsupported { border-style: dashed; border-color: #f87171; }
.source-n { display: inline-block; background: #e0e7ff; color: #3730a3; border-radius: 5px; padding: 0 .3em; font-weight: 600; }
.source-card.unsupported .source-n { background: #fee2e2; color: #991b1b; }
.source-section { font-weight: 600; }
.source-meta { font-size: .8em; color: #64748b; margin: .2em 0 .4em; }
.source-text { line-height: 1.7; }
.source-text mark { background: #fef08a; padding: 0 .1em; }
.source-warn { color: #b45309; font-size: .85em; margin-top: .3em; }
details.retrieved { font-size: .85em; color: #475569; }
.notice { border-radius: 6px; padding: .4em .7em; margin: .3em 0; }
.notice-warn { background: #fffbeb; border: 1px solid #fcd34d; color: #92400e; }
.notice-error { background: #fef2f2; border: 1px solid #fecaca; color: #991b1b; }
.notice-info { background: #f1f5f9; border: 1px solid #cbd5e1; color: #334155; }
.eval-progress progress { width: 60%; height: 1em; vertical-align: middle; margin-right: .6em; }
table.eval-summary td.num { text-align: right; font-variant-numeric: tabular-nums; }
.eval-config { margin-bottom: .5em; color: #475569; }
.eval-fail { border-bottom: 1px solid #e2e8f0; padding: .3em 0; }
.eval-fail .why { color: #b45309; }
.stopped-label { color: #475569; font-size: .85em; margin-top: .3em; }
a.copy-md { color: #4f46e5 !important; text-decoration: none !important; cursor: pointer; }
a.copy-md:hover { text-decoration: underline !important; }
.eval-charts { display: flex; flex-wrap: wrap; gap: .6em; }
.eval-charts img { max-width: 100%; height: auto; border: 1px solid #e2e8f0; border-radius: 6px; }
/* narrow screens (phones): the sources panel goes below the chat, full width */
@media (max-width: 700px) {
  #chat-row { flex-direction: column !important; }
  #chat-row > div { width: 100% !important; min-width: 0 !important; }
  #chat { height: 60vh !important; }
  #sources { max-height: none; }
  #ask-row { flex-wrap: wrap !important; }
  #ask-row > :first-child { flex-basis: 100% !important; }  /* the question box on its own line, buttons below */
}
"""

# A click on a [n] marker (or an answer's "Markdown" copy link) in the chat writes its key
# into a hidden textbox and presses a hidden button, so the server renders the sources
# panel for that answer (or the answer's Markdown). (The chatbot's HTML sanitiser drops
# data-* attributes; the key travels in href.)
JS = """
() => {
  const targets = {'a.cite': ['#cite-key', '#cite-go'], 'a.copy-md': ['#copy-key', '#copy-go']};
  document.addEventListener('click', (ev) => {
    for (const [sel, [key, go]] of Object.entries(targets)) {
      const a = ev.target.closest && ev.target.closest(sel);
      if (!a) continue;
      ev.preventDefault();
      ev.stopPropagation();
      const box = document.querySelector(`${key} textarea, ${key} input`);
      const btn = document.querySelector(go);
      if (!box || !btn) return;
      box.value = a.getAttribute('href').replace(/^#/, '');
      box.dispatchEvent(new Event('input', {bubbles: true}));
      setTimeout(() => btn.click(), 0);
      return;
    }
  }, true);
}
"""

# Markdown from the server onto the clipboard. navigator.clipboard needs a secure context
# (localhost is one; a LAN address over http is not), so fall back to a selected textarea.
COPY_MARKDOWN = """
(text) => {
  if (!text) return;
  window.__ragCopied = text;
  const fallback = () => {
    const t = document.createElement('textarea');
    t.value = text; document.body.appendChild(t); t.select();
    try { document.execCommand('copy'); } finally { t.remove(); }
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).catch(fallback);
  else fallback();
  const note = document.querySelector('#notice');
  if (note) note.innerHTML = '<div class="notice notice-info">已复制为 Markdown · Copied as Markdown, with its sources.</div>';
}
"""

# The exported conversation as a file download, made in the browser (nothing kept on the server).
DOWNLOAD_MARKDOWN = """
(text) => {
  if (!text) return;
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], {type: 'text/markdown;charset=utf-8'}));
  a.download = `conversation-${stamp}.md`;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
"""

FOCUS_QUESTION = """
() => { const q = document.querySelector('#question textarea, #question input'); if (q) q.focus(); }
"""

SCROLL_TO_SELECTED = """
() => {
  const el = document.querySelector('#sources .source-card.selected');
  if (el) el.scrollIntoView({block: 'nearest', behavior: 'smooth'});
}
"""

# System fonts only: the default theme pulls Google Fonts, which offline machines cannot reach.
FONTS = ["Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", font=FONTS, font_mono=["DejaVu Sans Mono", "monospace"])
