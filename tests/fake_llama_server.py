"""A stand-in for llama-server in fast tests: the routes rag uses (/health, /tokenize,
/v1/chat/completions streaming with log-probabilities), slow enough to be stopped in the
middle, and a /stats route saying how many streams finished and how many clients hung up.

    python tests/fake_llama_server.py --port 8123 [--pieces 20] [--delay 0.05] [--think 0]
        [--load-seconds 0] [--exit-at-once]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROBE_ID = 7  # the first token of every text /tokenize is asked about
stats = {"started": 0, "finished": 0, "hung_up": 0, "active": 0, "requests": []}
lock = threading.Lock()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pieces", type=int, default=20)
    ap.add_argument("--delay", type=float, default=0.05, help="seconds between pieces")
    ap.add_argument("--think", type=float, default=0.0, help="seconds before the first piece (prompt evaluation)")
    ap.add_argument("--load-seconds", type=float, default=0.0, help="/health answers 503 this long")
    ap.add_argument("--exit-at-once", action="store_true", help="print an error and exit 1 (a server that won't start)")
    args = ap.parse_args()
    if args.exit_at_once:
        print("error: failed to load model 'nowhere.gguf'", flush=True)
        sys.exit(1)
    up_at = time.monotonic() + args.load_seconds

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def _json(self, code: int, obj) -> None:
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/health":
                loading = time.monotonic() < up_at
                self._json(503 if loading else 200, {"status": "loading model" if loading else "ok"})
            elif self.path == "/stats":
                with lock:
                    self._json(200, dict(stats))
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path == "/tokenize":
                self._json(200, {"tokens": [PROBE_ID, 8]})
                return
            if self.path != "/v1/chat/completions":
                self._json(404, {"error": "not found"})
                return
            with lock:
                stats["started"] += 1
                stats["active"] += 1
                stats["requests"].append({k: v for k, v in body.items() if k != "messages"})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            outcome = "finished"
            try:
                # like llama-server: a client gone while the prompt is read is noticed at once
                end = time.monotonic() + args.think
                while time.monotonic() < end:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    time.sleep(0.02)
                n = min(args.pieces, int(body.get("max_tokens") or args.pieces))
                for i in range(n):
                    choice = {"index": 0, "delta": {"content": f"第{i}段"}}
                    if body.get("logprobs") and i == 0:
                        top = [{"id": 3, "token": "重", "logprob": math.log(0.7)},
                               {"id": PROBE_ID, "token": "资料", "logprob": math.log(0.25)}]
                        choice["logprobs"] = {"content": [{"id": 3, "token": "重", "logprob": math.log(0.7),
                                                           "top_logprobs": top}]}
                    self._event({"choices": [choice]})
                    time.sleep(args.delay)
                self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}],
                             "timings": {"prompt_n": 5, "cache_n": 40, "predicted_n": n}})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                outcome = "hung_up"
            finally:
                with lock:
                    stats[outcome] += 1
                    stats["active"] -= 1

        def _event(self, obj) -> None:
            self.wfile.write(b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n")
            self.wfile.flush()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"fake llama-server listening on {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
