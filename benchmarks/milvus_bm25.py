"""Does Milvus' own full-text search (BM25 over jieba words) rank Chinese passages as well
as the local character n-gram BM25 (rag.retrieval.lexical + rag.retrieval.bm25)? Measured on the gold set and
on a CMRC 2018 sample, same passages (index_text of each chunk), same depth.

    flock /tmp/rag-heavy.lock .venv/bin/python benchmarks/milvus_bm25.py [--cmrc 500]

Prints hit@1, hit@5 and MRR@5 for both, per-query latency, and the CPU model. The Milvus
side runs in Milvus Lite (a temporary folder), with
analyzer_params={"tokenizer": "jieba"} and a BM25 function, as the Milvus docs describe.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Settings  # noqa: E402
from rag.evaluation import hit_at_k, load_cmrc, load_gold, reciprocal_rank, sample_items, supports  # noqa: E402
from rag.ingest import chunk_documents, index_text, load_documents  # noqa: E402
from rag.retrieval import HybridIndex, make_embedder  # noqa: E402
from retrieval import cpu_model  # noqa: E402  (benchmarks/retrieval.py)

CMRC = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"
K = 5


def milvus_fts(client, name: str, texts: list[str]):
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                     analyzer_params={"tokenizer": "jieba"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                 input_field_names=["text"], output_field_names=["sparse"]))
    params = client.prepare_index_params()
    params.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")
    for i in range(0, len(texts), 500):
        client.insert(name, [{"row": j, "text": t} for j, t in enumerate(texts[i:i + 500], i)])
    client.flush(name)

    def search(query: str) -> list[int]:
        res = client.search(name, data=[query], anns_field="sparse", limit=K, output_fields=["row"],
                            search_params={"metric_type": "BM25"})
        return [int(h["row"]) for h in res[0]]

    return search


def score(ranked: list[list[bool]]) -> dict:
    n = len(ranked)
    return {"hit@1": round(sum(hit_at_k(r, 1) for r in ranked) / n, 3),
            "hit@5": round(sum(hit_at_k(r, K) for r in ranked) / n, 3),
            "mrr@5": round(sum(reciprocal_rank(r) for r in ranked) / n, 3)}


def compare(label: str, chunks, questions, relevant, client, tmp: Path) -> dict:
    """relevant(i_question, chunk) -> bool."""
    settings = Settings(embedder="hash", index_dir=str(tmp / label))
    local = HybridIndex.build(chunks, make_embedder("hash", settings), tmp / label, settings, corpus_hash=label)
    search = milvus_fts(client, f"fts_{label}", [index_text(c) for c in chunks])
    out = {"passages": len(chunks), "questions": len(questions)}
    for name, run in (("local char-bigram BM25", lambda q: [i for i, _ in local.bm25_search(q, K)]),
                      ("Milvus BM25 (jieba)", search)):
        ranked, times = [], []
        for qi, q in enumerate(questions):
            t0 = time.perf_counter()
            rows = run(q)
            times.append(time.perf_counter() - t0)
            ranked.append([relevant(qi, chunks[i]) for i in rows])
        out[name] = {**score(ranked), "ms_per_query": round(1000 * sum(times) / len(times), 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cmrc", type=int, default=500, help="CMRC 2018 questions to sample (0 = skip)")
    args = ap.parse_args()
    from pymilvus import MilvusClient

    results = {"cpu": cpu_model()}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        client = MilvusClient(str(tmp / "fts.db"))
        chunks = chunk_documents(load_documents(ROOT / "seeds"))
        gold = [g for g in load_gold(ROOT / "evals" / "gold.jsonl") if g.answerable]
        results["gold"] = compare("gold", chunks, [g.question for g in gold],
                                  lambda qi, c: supports(c.text, gold[qi].evidence), client, tmp)
        zh = [qi for qi, g in enumerate(gold) if g.lang == "zh"]
        results["gold_zh_only"] = compare("goldzh", chunks, [gold[qi].question for qi in zh],
                                          lambda qi, c: supports(c.text, gold[zh[qi]].evidence), client, tmp)
        if args.cmrc and CMRC.is_file():
            cm = load_cmrc(CMRC)
            items = sample_items([i for i in cm.items if i.answerable], args.cmrc)
            results["cmrc2018"] = compare("cmrc", cm.chunks, [i.question for i in items],
                                          lambda qi, c: c.id in items[qi].evidence_chunks, client, tmp)
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
