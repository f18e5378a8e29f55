"""The page itself: the Blocks layout, the wiring of events to the handlers, and serving."""
from __future__ import annotations

import gradio as gr

from rag import RETRIEVAL_MODES, Assistant, Settings
from rag.answering.generators import available as available_generators
from rag.security import Access

from .checked import checked
from .assets import CSS, JS, PRIVATE, theme
from .api import add_api, page_concurrency
from .backend import Backend
from .chat_tab import build_chat_tab
from .documents import build_documents_panel
from .inputs import guarded
from .evaluation import DEFAULT_GOLD, gold_choices, run_evaluation

TITLE = "重庆“人工智能+”问答 · Chongqing AI+ Q&A"
EXAMPLES = [
    "重庆公共数据资源体系的数据需求满足率是多少？",
    "重庆如何持续推进“人工智能+”行动？",
    "What does the feature propose for Chongqing's platform economy?",
    "Which newspaper published this feature on the digital economy?",
]
MODEL_QUEUE = "model"  # chat, evaluation and /ask share one limit; the model has its own line


def poll_status(backend: Backend):
    """Status line for the timer; the timer stops once loading has finished."""
    return backend.status(), gr.Timer(active=not backend.ready)


def build_app(source: Assistant | Settings | Backend | None = None, access: Access | None = None) -> gr.Blocks:
    """The whole page. `source` is an Assistant (tests, embedding), Settings (load in the
    background), or None (settings from rag.toml/environment). `access` says who may do
    what (rag.security; None = open, as on a laptop); launch() then asks for sign-in.
    Loading starts now."""
    backend = source if isinstance(source, Backend) else Backend(source, access)
    backend.start()
    settings = backend.settings
    # requests worked on at once; generation has its own line in the Assistant (ui.api)
    concurrency = page_concurrency(settings)
    choices = available_generators()
    if settings.generator not in choices:
        choices.append(settings.generator)

    with gr.Blocks(title="Chongqing AI+ Q&A") as demo:
        gr.Markdown(f"## {TITLE}\n基于重庆日报 2025 年数字经济专题回答问题，每句话标注来源段落。"
                    " Answers come from the Chongqing Daily 2025 digital-economy feature, with every claim cited.")
        status = gr.Markdown(backend.status(), elem_id="status")
        with gr.Accordion("设置 · Settings", open=False, elem_id="settings"):
            with gr.Row():
                generator = gr.Dropdown(choices, value=settings.generator, label="生成器 · Generator",
                                        info="llama-cpp: local model (5-15 s); extractive: instant, no model",
                                        elem_id="generator")
                top_k = checked(gr.Slider(1, 10, value=settings.k, step=1, label="检索段落数 · Top-k", elem_id="top-k"))
                retrieval = gr.Radio(sorted(RETRIEVAL_MODES, key=lambda m: m != "hybrid"), value=settings.retrieval,
                                     label="检索方式 · Retrieval", elem_id="retrieval")
        build_documents_panel(demo, backend)  # upload, progress, list, remove (ui.documents)
        with gr.Tabs():
            build_chat_tab(demo, backend, generator, top_k, retrieval, examples=EXAMPLES,
                           model_queue=MODEL_QUEUE, concurrency=concurrency)
            with gr.Tab("评测 · Evaluation", id="eval-tab"):
                gr.Markdown("用当前设置运行金标问题集（与 `rag eval` 相同的评测程序）。"
                            " Run a gold QA file with the current settings (the same runner as `rag eval`).")
                with gr.Row():
                    gold = gr.Dropdown(gold_choices(), value=DEFAULT_GOLD, allow_custom_value=True,
                                       label="金标文件 · Gold file", elem_id="gold", scale=3)
                    upload = checked(gr.File(label="或上传 · or upload (.jsonl)", file_types=[".jsonl"],
                                             type="filepath", scale=2, elem_id="gold-upload"))
                    limit = checked(gr.Number(0, precision=0, minimum=0, label="只跑前 N 题 · First N only (0 = all)",
                                              elem_id="eval-limit", scale=1))
                run = gr.Button("运行评测 · Run evaluation", variant="primary", elem_id="run-eval")
                progress = gr.HTML("", elem_id="eval-progress")
                summary = gr.HTML("", elem_id="eval-summary")
                failures = gr.HTML("", elem_id="eval-failures")
                charts = gr.HTML("", elem_id="eval-charts")
        timer = gr.Timer(1.0)
        add_api(backend, MODEL_QUEUE, concurrency)  # /search and /ask for programs (ui.api)

        def _evaluate(gold_file, uploaded, gen, k, mode, first_n):
            yield from run_evaluation(backend, gold_file, uploaded, gen, k, mode, first_n)

        run.click(guarded(_evaluate, backend.settings.corpus_path), [gold, upload, generator, top_k, retrieval, limit], [progress, summary, failures, charts],
                  concurrency_id=MODEL_QUEUE, concurrency_limit=concurrency, **PRIVATE)
        timer.tick(lambda: poll_status(backend), None, [status, timer], concurrency_limit=None, **PRIVATE)
        demo.load(lambda: poll_status(backend), None, [status, timer], concurrency_limit=None, **PRIVATE)

    demo.queue(default_concurrency_limit=concurrency)
    demo.backend = backend  # for launch() and tests
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True, **kwargs):
    """Serve the page. Gradio 6 takes theme, CSS and JS here rather than in Blocks(). With
    users (the backend's Access is not open) the page and every API call need a sign-in,
    checked against the users file (Gradio's own login; gradio_client passes auth=)."""
    access = demo.backend.access
    if not access.open:
        kwargs.setdefault("auth", access.check_password)
        kwargs.setdefault("auth_message", "请登录 · Sign in with the name and password your administrator gave you.")
    return demo.launch(
        server_name=host, server_port=port, theme=theme(), css=CSS, js=JS, ssr_mode=False,
        footer_links=[], prevent_thread_lock=not block, quiet=kwargs.pop("quiet", False),
        show_error=False, **kwargs,
    )
