"""`rag feedback export`: turn the chat page's thumbs up/down log into gold-file candidates."""
from __future__ import annotations

from ..evaluation.feedback import export_candidates
from .common import print_json, settings_from


def register(sub) -> None:
    p = sub.add_parser("feedback", help="work with the ratings given in the chat page",
                       description="Ratings from `rag serve` land in the feedback log (setting feedback_path).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = actions.add_parser(
        "export", help="write gold-file candidates (evals/gold.jsonl format, marked unreviewed)",
        description="One candidate per rated question: liked answers propose their cited sentences as "
                    "evidence; disliked ones leave answers and evidence to the reviewer. Every line has "
                    '"reviewed": false and a "review" note; rag eval refuses such lines until a person '
                    "has checked them and removed the flag.",
    )
    e.add_argument("--log", default=None, help="feedback log (default: the feedback_path setting)")
    e.add_argument("--out", required=True, help="JSONL file to write the candidates to")
    e.add_argument("--gold", default=None, help="leave out questions this gold file already has")
    e.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    e.set_defaults(func=run_export)


def run_export(args) -> int:
    log = args.log or settings_from(args).path("feedback_path")
    cands = export_candidates(log, args.out, args.gold)
    if args.json:
        print_json({"log": str(log), "out": args.out, "candidates": len(cands),
                    "answerable": sum(1 for c in cands if c["answerable"])})
    else:
        liked = sum(1 for c in cands if c["feedback"]["rating"] == "up")
        print(f"{len(cands)} candidate(s) ({liked} from liked answers, {len(cands) - liked} from disliked) "
              f"written to {args.out}; review each, then drop its \"reviewed\": false.")
    return 0
