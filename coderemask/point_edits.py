"""Point edits: remask one Python token of an accused span at a time, and let the model choose
its replacement among tokens of the same kind.

Single-point bugs (a wrong operator, name, constant) are the commonest repair. Sampling a whole
statement asks a small model to rewrite what was right; a point edit asks it only which token
of the right kind belongs at one site, the way monitor-guided decoding constrains a code model's
vocabulary with static analysis (Agrawal et al. 2023):

    name      another name the function uses (parameters, locals, globals it reads), or
              True / False / None
    operator  another operator of the same group (arithmetic, comparison, boolean, ...)
    number    the integer +- 1, or 0 / 1
    not       a unary ``not`` may be dropped
    arguments the positional arguments of a call, two of them swapped

Each alternative text ``t`` at site ``s`` is scored by the masked model with the site's tokens
masked: ``log p(t | rest) - log p(original | rest)`` (sum over the tokens of the window that
overlaps the site). Texts whose masked rows agree share one forward row: every alternative that
encodes as the original does outside its window, with as many tokens in it (all the one-token
names, operators and numbers of a site, and the site's own token), is read from the same row;
the others (multi-token alternatives, or ones that change a neighbour's tokens) cost a row per
distinct row. Rows go ``batch_rows`` to a forward pass, with as much file context as the model's
``max_length`` leaves. The best-scoring edits become candidates; tests decide.

This module knows Python tokens and a Denoiser; it does not know the loop, tests or files.
"""

from __future__ import annotations

import io
import keyword
import tokenize
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from .model.base import Denoiser, fit_context
from .types import Span

OPERATOR_GROUPS: tuple[tuple[str, ...], ...] = (
    ("+", "-", "*", "/", "//", "%", "**"),
    ("==", "!=", "<", "<=", ">", ">="),
    ("+=", "-=", "*=", "/=", "//=", "%="),
    ("&", "|", "^", "<<", ">>"),
    ("and", "or"),
    ("in", "not in"),
    ("is", "is not"),
)
_GROUP_OF = {op: group for group in OPERATOR_GROUPS for op in group}
CONSTANTS = ("True", "False", "None")


@dataclass(frozen=True)
class Site:
    """One Python token that may be replaced: its characters in the code, text and kind."""

    span: Span
    text: str
    kind: str  # "name", "operator", "number", "not" or "arguments"


@dataclass(frozen=True)
class PointEdit:
    """``code`` with ``site`` replaced by ``text``; ``score``: the model's log-odds for the change."""

    code: str
    site: Site
    text: str
    score: float


def _tokens(code: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def _line_starts(code: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(code):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def edit_sites(code: str, spans: Sequence[Span]) -> list[Site]:
    """The names, operators and integers of ``code`` inside ``spans`` (none if it won't tokenize)."""
    toks = _tokens(code)
    if toks is None:
        return []
    starts = _line_starts(code)
    sites = []
    for i, tok in enumerate(toks):
        a = starts[tok.start[0] - 1] + tok.start[1]
        b = starts[tok.end[0] - 1] + tok.end[1]
        if not any(s.start <= a and b <= s.end for s in spans):
            continue
        text = tok.string
        before, after = toks[i - 1].string if i else "", toks[i + 1].string if i + 1 < len(toks) else ""
        if text == "not" and before != "is" and after != "in":  # unary not: the site runs to the operand
            nxt = toks[i + 1]
            sites.append(Site(Span(a, starts[nxt.start[0] - 1] + nxt.start[1]), code[a : starts[nxt.start[0] - 1]
                                                                                          + nxt.start[1]], "not"))
            continue
        if text == "not":
            continue  # "is not" / "not in": edited as one operator below
        if (text, after) == ("is", "not") or (before, text) == ("not", "in"):
            other = toks[i + 1] if text == "is" else toks[i - 1]
            lo = min(a, starts[other.start[0] - 1] + other.start[1])
            hi = max(b, starts[other.end[0] - 1] + other.end[1])
            sites.append(Site(Span(lo, hi), f"{text} not" if text == "is" else "not in", "operator"))
            continue
        if tok.type == tokenize.NAME and text in _GROUP_OF:
            kind = "operator"
        elif tok.type == tokenize.NAME and (not keyword.iskeyword(text) or text in CONSTANTS):
            kind = "name"
        elif tok.type == tokenize.OP and text in _GROUP_OF:
            kind = "operator"
        elif tok.type == tokenize.NUMBER and text.isdigit():
            kind = "number"
        else:
            continue
        sites.append(Site(Span(a, b), text, kind))
    return sites + _argument_sites(code, toks, starts, spans)


def _argument_sites(code: str, toks: list[tokenize.TokenInfo], starts: list[int],
                    spans: Sequence[Span]) -> list[Site]:
    """Calls inside ``spans`` with two or more plain positional arguments: the arguments' text."""
    def at(point: tuple[int, int]) -> int:
        return starts[point[0] - 1] + point[1]

    sites, stack = [], []  # stack: (index of "(", is a call)
    for i, tok in enumerate(toks):
        if tok.string in "([{" and tok.type == tokenize.OP:
            prev = toks[i - 1] if i else None
            is_call = tok.string == "(" and prev is not None and (
                prev.type == tokenize.NAME and not keyword.iskeyword(prev.string) or prev.string in ")]")
            stack.append((i, is_call))
        elif tok.string in ")]}" and tok.type == tokenize.OP and stack:
            open_i, is_call = stack.pop()
            inner = toks[open_i + 1 : i]
            if not is_call or not inner:
                continue
            depth, plain = 0, True
            commas = 0
            for t in inner:
                depth += t.string in "([{"
                depth -= t.string in ")]}"
                if depth == 0 and t.string in ("=", "*", "**", "for", ":="):
                    plain = False
                commas += depth == 0 and t.string == ","
            span = Span(at(inner[0].start), at(inner[-1].end))
            if plain and commas and any(sp.start <= span.start and span.end <= sp.end for sp in spans):
                sites.append(Site(span, code[span.start : span.end], "arguments"))
    return sites


def _split_arguments(text: str) -> list[str]:
    """Top-level comma-separated parts of an argument list's text, stripped."""
    parts, depth, current = [], 0, []
    for tok in _tokens(text) or []:
        if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            continue
        depth += tok.string in "([{" and tok.type == tokenize.OP
        depth -= tok.string in ")]}" and tok.type == tokenize.OP
        if depth == 0 and tok.string == ",":
            parts.append(current)
            current = []
        else:
            current.append(tok)
    parts.append(current)
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def span_text(part: list[tokenize.TokenInfo]) -> str:
        return text[starts[part[0].start[0] - 1] + part[0].start[1] : starts[part[-1].end[0] - 1] + part[-1].end[1]]

    return [span_text(p) for p in parts if p]


def names_used(code: str) -> list[str]:
    """Identifiers ``code`` mentions (its own vocabulary of names), in first-seen order."""
    toks = _tokens(code) or []
    seen = dict.fromkeys(t.string for t in toks if t.type == tokenize.NAME and not keyword.iskeyword(t.string))
    return list(seen)


def alternatives(site: Site, names: Sequence[str]) -> list[str]:
    """Same-kind replacements for ``site`` (never its own text)."""
    if site.kind == "not":
        return [""]
    if site.kind == "arguments":
        args = _split_arguments(site.text)
        swaps = {(i, i + 1) for i in range(len(args) - 1)} | {(0, len(args) - 1)}
        out = []
        for i, j in sorted(swaps):
            swapped = list(args)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            out.append(", ".join(swapped))
        return [o for o in dict.fromkeys(out) if o != site.text]
    if site.kind == "operator":
        options: Sequence[str] = _GROUP_OF[site.text]
    elif site.kind == "name":
        options = [*names, *CONSTANTS]
    else:
        n = int(site.text)
        options = [str(v) for v in dict.fromkeys((n - 1, n + 1, 0, 1)) if v >= 0]
    return [o for o in dict.fromkeys(options) if o != site.text]


class PointEditor:
    """Scores point edits with a masked denoiser.

    prefix_ids / suffix_ids: read-only context around the function (as the loop gives it), trimmed
    to the model's ``max_length`` beside the longest row. batch_rows: rows per forward pass;
    max_rows: rows scored in all per ``rank`` (the first sites' rows first). ``nfe`` and ``rows``
    count the forward passes and rows so far.
    """

    def __init__(self, model: Denoiser, prefix_ids: Sequence[int] = (), suffix_ids: Sequence[int] = (),
                 *, batch_rows: int = 32, max_rows: int = 256) -> None:
        self.model = model
        self.prefix_ids, self.suffix_ids = tuple(prefix_ids), tuple(suffix_ids)
        self.batch_rows, self.max_rows = batch_rows, max_rows
        self.nfe = 0
        self.rows = 0

    def rank(self, code: str, spans: Sequence[Span], limit: int | None = None,
             suspicion: Callable[[Span], float] | None = None) -> list[PointEdit]:
        """Up to ``limit`` (None: all) edits of ``code``'s sites inside ``spans``: each site's best edit, then
        each site's second best, and so on, so no site crowds out the rest; within a level, the
        most suspicious sites (``suspicion(site span)``, e.g. the evidence's score) first, then the
        model's score."""
        names = names_used(code)
        pairs: list[tuple[Site, str]] = []
        for site in edit_sites(code, spans):
            pairs += [(site, site.text)] + [(site, alt) for alt in alternatives(site, names)]
        if not pairs:
            return []
        scores = self._score([(_edited(code, s, text), s.span.start, len(text)) for s, text in pairs])
        baseline = {s: sc for (s, text), sc in zip(pairs, scores) if text == s.text and sc is not None}
        edits = [PointEdit(_edited(code, s, text), s, text, sc - baseline[s])
                 for (s, text), sc in zip(pairs, scores) if text != s.text and s in baseline and sc is not None]
        return _spread(edits, limit, suspicion or (lambda span: 0.0))

    def _score(self, texts: Sequence[tuple[str, int, int]]) -> list[float | None]:
        """Per (text, start, length): the sum of log p of the text's tokens that overlap
        ``[start, start + max(length, 1))``, those tokens masked (-inf if none overlap; None when
        its row is past ``max_rows``). Texts with the same masked row share it."""
        mask = self.model.mask_token_id
        rows: dict[tuple[int, ...], int] = {}  # masked body row -> its index
        windows: list[tuple[int, int]] = []  # per row: its masked positions [lo, hi)
        queries: list[tuple[int, tuple[int, ...]] | None] = []  # per text: (row index, the window's ids)
        for text, start, length in texts:
            enc = self.model.encode(text)
            inside = [i for i, (a, b) in enumerate(enc.offsets) if a < start + max(length, 1) and b > start]
            if not inside:
                queries.append(None)
                continue
            lo, hi = inside[0], inside[-1] + 1
            row = enc.ids[:lo] + (mask,) * (hi - lo) + enc.ids[hi:]
            if row not in rows:
                rows[row] = len(rows)
                windows.append((lo, hi))
            queries.append((rows[row], enc.ids[lo:hi]))
        bodies = list(rows)[: self.max_rows]
        logp = self._masked_logp(bodies, windows[: len(bodies)]) if bodies else []
        scores: list[float | None] = []
        for query in queries:
            if query is None:
                scores.append(float("-inf"))
            elif query[0] >= len(logp):
                scores.append(None)
            else:
                row_logp, ids = logp[query[0]], query[1]
                scores.append(float(row_logp[torch.arange(len(ids)), torch.tensor(ids)].sum()))
        return scores

    def _masked_logp(self, bodies: Sequence[tuple[int, ...]], windows: Sequence[tuple[int, int]]) -> list[torch.Tensor]:
        """Per body row (its masked positions ``[lo, hi)`` in ``windows``): FloatTensor[hi - lo, V],
        the log-probabilities at those positions, the row read between the context."""
        model = self.model
        prefix, suffix = fit_context(self.prefix_ids, self.suffix_ids, max(map(len, bodies)), model.max_length)
        out: list[torch.Tensor] = []
        for k in range(0, len(bodies), self.batch_rows):
            chunk = [prefix + body + suffix for body in bodies[k : k + self.batch_rows]]
            ids = torch.full((len(chunk), max(map(len, chunk))), model.pad_token_id, dtype=torch.long)
            attention = torch.zeros_like(ids)
            for i, row in enumerate(chunk):
                ids[i, : len(row)] = torch.tensor(row)
                attention[i, : len(row)] = 1
            with torch.no_grad():
                logits = model.logits(ids.to(model.device), attention.to(model.device))  # [B, L, V]
            self.nfe += 1
            self.rows += len(chunk)
            for i, (lo, hi) in enumerate(windows[k : k + self.batch_rows]):
                out.append(logits[i, len(prefix) + lo : len(prefix) + hi].float().log_softmax(-1).cpu())
        return out


def _edited(code: str, site: Site, text: str) -> str:
    """``code`` with ``site`` replaced by ``text``."""
    return code[: site.span.start] + text + code[site.span.end :]


def _spread(edits: Sequence[PointEdit], limit: int | None, suspicion: Callable[[Span], float]) -> list[PointEdit]:
    """Edits by level (a site's best is level 0, its second best level 1, ...), then by the site's
    suspicion, then by score."""
    level: dict[Site, int] = {}
    ranked = []
    for e in sorted(edits, key=lambda e: -e.score):
        level[e.site] = level.get(e.site, -1) + 1
        ranked.append((level[e.site], -suspicion(e.site.span), -e.score, e))
    return [r[-1] for r in sorted(ranked, key=lambda r: r[:3])][:limit]
