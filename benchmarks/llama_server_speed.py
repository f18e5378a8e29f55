"""Decoding speed of the llama-cpp model, embedded against llama-server with given flags, on
the real prompts of the first 8 gold questions (issue 20's diagnosis). Two steps:

    PYTHONPATH=$PWD .venv/bin/python benchmarks/llama_server_speed.py capture /tmp/prompts.json
    flock /work/cpu.lock .venv/bin/python benchmarks/llama_server_speed.py embedded /tmp/prompts.json
    flock /work/cpu.lock .venv/bin/python benchmarks/llama_server_speed.py server /tmp/prompts.json 4 [--poll 0 ...]

`server SLOTS FLAGS`: three questions one after another (prompt and decode tokens/s from
the server's `timings`), then with more than one slot two rounds of SLOTS questions at once
(the first finds the slots empty). 48 tokens are decoded each time (end of text banned)."""
import json, os, subprocess, sys, time, threading
import httpx
MODEL = os.path.expanduser("~/.cache/rag-chongqing/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
BIN = os.path.expanduser("~/.cache/rag-chongqing/bin/llama-server")
NPRED = 48
EOS = {151643: -100.0, 151645: -100.0}


def capture(path):
    """The chat messages the pipeline sends the model for gold questions q01-q08."""
    from rag import Assistant, Settings
    from rag.answering.generators import Generator

    seen = []

    class Capture(Generator):
        name = "capture"
        supports_probe = True

        def stream(self, messages, **kw):
            seen.append(messages)
            yield "x"

    a = Assistant.load(Settings.load())
    a.register_generator(Capture(a.settings), "capture")
    out = []
    for q in [json.loads(line) for line in open("evals/gold.jsonl")][:8]:
        seen.clear()
        a.ask(q["question"], generator="capture")
        if seen:
            out.append({"id": q["id"], "messages": seen[-1]})
    json.dump(out, open(path, "w"), ensure_ascii=False)

def embedded():
    from llama_cpp import Llama
    llm = Llama(model_path=MODEL, n_ctx=4096, n_threads=2, n_batch=512, flash_attn=True, verbose=False)
    for p in P[:3]:
        t0 = time.perf_counter(); first = None; n = 0
        for ch in llm.create_chat_completion(p["messages"], max_tokens=NPRED, temperature=0.0, stream=True, logit_bias=EOS):
            if ch["choices"][0]["delta"].get("content"):
                n += 1
                if first is None: first = time.perf_counter()
        t1 = time.perf_counter()
        print(f"embedded {p['id']}: first token {first-t0:.2f} s, decode {(n-1)/(t1-first):.1f} tok/s ({n} chunks), total {t1-t0:.2f} s", flush=True)

def server(slots, extra):
    port = 18000 + os.getpid() % 1000
    cmd = [BIN, "--model", MODEL, "--host", "127.0.0.1", "--port", str(port), "--parallel", str(slots), "--cont-batching",
           "--batch-size", "512", "--cache-reuse", "64", "--cache-ram", "0", "--no-webui", "--alias", "default"]
    defaults = {"--ctx-size": str(4096 * slots), "--threads": "2", "--threads-batch": "2", "--flash-attn": "on"}
    for k, v in defaults.items():
        if k not in extra: cmd += [k, v]
    if "--kv-unified" not in extra and "--no-kv-unified-off" not in extra: cmd += ["--no-kv-unified"]
    cmd += [e for e in extra if e != "--no-kv-unified-off"]
    log = open(f"/tmp/s20b/server-{port}.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200: break
            except httpx.HTTPError: pass
            time.sleep(0.1)
        def one(p, out):
            t0 = time.perf_counter()
            r = httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", timeout=300, json={
                "messages": p["messages"], "max_tokens": NPRED, "temperature": 0.0, "ignore_eos": True})
            out.append((p["id"], time.perf_counter() - t0, r.json()["timings"]))
        print("cmd extra:", " ".join(extra) or "(default)", "slots", slots, flush=True)
        for p in P[:3]:
            out = []; one(p, out)
            pid, dt, t = out[0]
            print(f"  seq {pid}: prompt {t['prompt_n']} tok @ {t['prompt_per_second']:.1f} tok/s, decode {t['predicted_n']} @ {t['predicted_per_second']:.1f} tok/s, total {dt:.2f} s", flush=True)
        for rnd in range(2 if slots > 1 else 0):
            out = []; th = [threading.Thread(target=one, args=(P[(3 + rnd * slots + i) % len(P)], out)) for i in range(slots)]
            t0 = time.perf_counter(); [x.start() for x in th]; [x.join() for x in th]; wall = time.perf_counter() - t0
            dec = sum(t["predicted_n"] for _, _, t in out)
            print(f"  round {rnd}: {slots} at once: wall {wall:.2f} s, {dec} tokens decoded -> {dec/wall:.1f} tok/s overall; prompt_n " + ",".join(str(t['prompt_n']) for _, _, t in out) + "; per seq decode "
                  + ", ".join(f"{t['predicted_per_second']:.1f}" for _, _, t in out), flush=True)
    finally:
        proc.terminate(); proc.wait(10)

if sys.argv[1] == "capture":
    capture(sys.argv[2])
else:
    P = json.load(open(sys.argv[2]))
    if sys.argv[1] == "embedded":
        embedded()
    else:
        server(int(sys.argv[3]), sys.argv[4:])
