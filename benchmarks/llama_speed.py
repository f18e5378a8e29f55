"""Raw llama.cpp speed of the generator model: prompt evaluation and decoding, tokens/s.

    .venv/bin/python benchmarks/llama_speed.py                              # this environment
    .venv/bin/python benchmarks/llama_speed.py --other /tmp/venv-avx2/bin/python   # and another, in one run

Prompt evaluation (a 400-token Chinese prompt, no cached prefix) is what the wait for the
first word is made of; decoding is the speed of the words after it. Each interpreter runs
in a child process of its own, in turns, so the two builds (for instance setup.sh's AVX-512
build and an AVX2-only one) see the same machine. Prints the CPU model and each side's
llama.cpp build flags. Run it on an idle machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from retrieval import cpu_model  # noqa: E402  (one copy, in benchmarks/retrieval.py)
sys.path.insert(0, str(ROOT))

TEXT = "重庆要和新疆哈密、四川雅安共建跨区域算力枢纽，推动公共数据资源开发利用，数据需求满足率达到95%。"


def measure(model_path: str, prompt_tokens: int, decode_tokens: int, rounds: int) -> dict:
    import llama_cpp

    from rag.answering.generators import llama_build_features

    llm = llama_cpp.Llama(model_path=model_path, n_ctx=2048, n_threads=os.cpu_count(), n_batch=512,
                          flash_attn=True, verbose=False)
    tokens = llm.tokenize((TEXT * 40).encode("utf-8"))[:prompt_tokens]
    prompt, decode = [], []
    for _ in range(rounds):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(tokens)
        prompt.append(len(tokens) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for tok in tokens[:decode_tokens]:  # one token at a time, as decoding does
            llm.eval([tok])
        decode.append(decode_tokens / (time.perf_counter() - t0))
    return {"python": sys.executable, "build": " ".join(llama_build_features()), "prompt_tok_s": statistics.median(prompt),
            "decode_tok_s": statistics.median(decode), "prompt_tokens": len(tokens)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="GGUF file (default: the embedded generator model)")
    ap.add_argument("--other", default=None, help="a second Python interpreter (another llama.cpp build)")
    ap.add_argument("--prompt-tokens", type=int, default=400)
    ap.add_argument("--decode-tokens", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.model is None:  # the model the llama-cpp generator would load
        from rag import Settings
        from rag.answering.generators import make_generator

        args.model = str(make_generator("llama-cpp", Settings.load()).model_file)
    if args.child:
        print(json.dumps(measure(args.model, args.prompt_tokens, args.decode_tokens, args.rounds)))
        return 0
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores)   load average before: {os.getloadavg()[0]:.2f}   model: {args.model}")
    results = []
    for python in [sys.executable] + ([args.other] if args.other else []):
        cmd = [python, str(Path(__file__).resolve()), "--child", "--model", args.model,
               "--prompt-tokens", str(args.prompt_tokens), "--decode-tokens", str(args.decode_tokens),
               "--rounds", str(args.rounds)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
        if proc.returncode != 0:
            raise SystemExit(f"{python} failed:\n{proc.stderr[-2000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"\n{r['python']}\n  llama.cpp build: {r['build']}\n"
              f"  prompt evaluation {r['prompt_tok_s']:.1f} tokens/s ({r['prompt_tokens']} tokens)   "
              f"decoding {r['decode_tok_s']:.1f} tokens/s   (median of {args.rounds})")
    if len(results) == 2:
        a, b = results
        print(f"\nthis / other: prompt evaluation {a['prompt_tok_s'] / b['prompt_tok_s']:.2f}x, "
              f"decoding {a['decode_tok_s'] / b['decode_tok_s']:.2f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
