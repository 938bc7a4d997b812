"""Where a model's bug detector ranks the buggy line of each repair dev-set bug (examples/bugs).

    python benchmarks/detector_lines.py                       # the embedded model
    python benchmarks/detector_lines.py --model runs/train/latest

For each bug: the function's code lines (the ``def`` line left out) ranked by the detector's
``line_opinions`` (a line's most suspect token), the best place of a line that differs from the
``.fixed`` module, and the P(corrupted) of the buggy line's most suspect token. Then the share
ranked first and in the top 3, beside what a random order of the same lines would give (the
expectation, 1/n and min(3, n)/n per function). These bugs were written by hand, not planted by
the training's corruption families, so this is the detector on out-of-distribution bugs.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import statistics
import sys
from pathlib import Path

from repair_devset import find_node  # a sibling script (benchmarks/ is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
BUGS = ROOT / "examples" / "bugs"


def buggy_lines(source: str, fixed: str) -> set[int]:
    """1-based lines of ``source`` that differ from ``fixed`` (an insertion blames the line after it)."""
    out: set[int] = set()
    matcher = difflib.SequenceMatcher(None, source.splitlines(), fixed.splitlines())
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            out.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="embedded", help="a model whose folder has detector/ (default: embedded)")
    args = p.parse_args()
    from coderemask.model import load_model
    from coderemask.model.detector import detector_of
    from coderemask.signals.detector import line_opinions
    from coderemask.types import Span

    detector = detector_of(load_model(args.model, device="cpu"))
    if detector is None:
        print(f"--model {args.model!r}: no detector/ folder", file=sys.stderr)
        return 2
    rows = []
    for entry in json.loads((BUGS / "manifest.json").read_text()):
        source = (BUGS / entry["file"]).read_text()
        fixed = (BUGS / (entry["file"] + ".fixed")).read_text()
        node = find_node(ast.parse(source), entry["function"])
        assert node is not None, entry["function"]
        first, last = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
        text = "".join(source.splitlines(keepends=True)[first - 1 : last])
        bad = {line - first + 1 for line in buggy_lines(source, fixed) if first <= line <= last}
        offsets, probabilities = detector.score_text(text)
        body = Span(len(text.splitlines(keepends=True)[0]), len(text))
        order = line_opinions(text, offsets, probabilities, region=body)
        lines = [o.line for o in order]
        rank = min((lines.index(line) + 1 for line in bad if line in lines), default=None)
        p_bug = max((o.probability for o in order if o.line in bad), default=0.0)
        rows.append({"id": entry["id"], "lines": len(lines), "rank": rank, "p_bug": p_bug})
        print(f"{entry['id']:28s} {len(lines):3d} lines  buggy line ranked {rank}  P {p_bug:.3f}")
    n = len(rows)
    top1 = sum(r["rank"] == 1 for r in rows) / n
    top3 = sum(bool(r["rank"]) and r["rank"] <= 3 for r in rows) / n
    rand1 = statistics.fmean(1 / r["lines"] for r in rows if r["lines"])
    rand3 = statistics.fmean(min(3, r["lines"]) / r["lines"] for r in rows if r["lines"])
    print()
    print("| order | buggy line first | in the top 3 |")
    print("|---|---:|---:|")
    print(f"| the detector ({args.model}) | {top1:.2f} | {top3:.2f} |")
    print(f"| random (expected) | {rand1:.2f} | {rand3:.2f} |")
    print(
        f"\n{n} bugs; P(corrupted) of the buggy line's most suspect token: median {statistics.median(r['p_bug'] for r in rows):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
