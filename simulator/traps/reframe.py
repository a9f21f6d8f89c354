"""Feedback on a reframe of an unhelpful thought (DESIGN.md section 4).

Four checks (addresses the thought, realistic rather than merely positive, keeps the person's
context, does not dismiss the feeling), the reframing strategy it uses, and example reframes from
the drill bank.

Offline method (fitted by `python -m simulator build-trap-models` on data/traps/reframe_bank.jsonl,
stored in data/traps/models/reframe.npz): one logistic regression per check over features of the
pair: the reframe's sentence embedding, its element-wise product with the thought's embedding,
their similarity, shared content words, length, counts of the cue phrases of
data/traps/reframe_cues.json, and the pattern detector's view of the reframe itself. Thresholds
are fitted out of fold inside the reframe bank (folds keep all reframes of one thought together).
The strategy is a six-way logistic regression (five strategies or none). Both are blended with the
embedding model fine-tuned on (reframe, thought) pairs (reframe_pair.py) when it is built. Wording
shown to the trainee is in data/traps/reframe_feedback.json. The LLM judge is chosen in simulator.traps.engine.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import BaseModel

from simulator.core import embeddings, pair_encoder
from simulator.core.settings import DATA_DIR
from simulator.traps import detector, reframe_pair
from simulator.traps.learn import proba
from simulator.traps.patterns import normalise, pattern_ids
from simulator.traps.reframe_labels import (  # noqa: F401  (re-exported: the checks' labels)
    BANK_FILE,
    CRITERIA,
    NO_STRATEGY,
    STRATEGIES,
    load_reframes,
)

log = logging.getLogger(__name__)

MODEL_FILE = DATA_DIR / "traps" / "models" / "reframe.npz"
CUE_KINDS = ("toxic", "absolute", "balanced", "dismissive", "acknowledging")
DISTORTING = ("all_or_nothing", "overgeneralization", "labeling")  # traps a reframe itself can carry

_STOP = set("""about above after again against also although among another anyone anything around because
been before being below between both cannot could didn doesn does doing done down during each either
else even ever every from further going gonna have having here hers herself himself into itself just
keep know like made make many maybe might more most much must myself never only other ought ours over
really same should since some still such than that their theirs them themselves then there these they
thing things think this those though through thought time together too under until very want were what
when where which while will with within without would your yours yourself i'm i've i'll it's that's
don't can't won't isn't wasn't aren't didn't he's she's they're we're you're let's""".split())


class Criterion(BaseModel):
    ok: bool
    detail: str
    confidence: float | None = None  # the model's probability that the check is met (offline only)


class ReframeFeedback(BaseModel):
    thought: str
    reframe: str
    addresses_thought: Criterion
    realistic: Criterion
    keeps_context: Criterion
    honours_feeling: Criterion
    strategy: str | None  # a key of STRATEGIES, or None when no strategy is clear
    strategy_name: str
    strategy_scores: dict[str, float] = {}
    examples: list[str] = []
    engine: str = "offline"
    note: str = ""

    @property
    def met(self) -> int:
        return sum(c.ok for c in (self.addresses_thought, self.realistic, self.keeps_context,
                                  self.honours_feeling))

    @property
    def verdict(self) -> str:
        return {4: "strong", 3: "good"}.get(self.met, "needs work")


@lru_cache(maxsize=1)
def _cues() -> dict:
    raw = json.loads((DATA_DIR / "traps" / "reframe_cues.json").read_text(encoding="utf-8"))

    def comp(items: list[str]) -> list[re.Pattern[str]]:
        return [re.compile(rx, re.IGNORECASE) for rx in items]
    return {**{k: comp(raw[k]) for k in CUE_KINDS},
            "strategies": {k: comp(v) for k, v in raw["strategies"].items()}}


@lru_cache(maxsize=1)
def wording() -> dict:
    return json.loads((DATA_DIR / "traps" / "reframe_feedback.json").read_text(encoding="utf-8"))


def _hits(patterns: list[re.Pattern[str]], text: str) -> list[str]:
    return [m.group(0) for rx in patterns for m in rx.finditer(text)]


_NEGATED = re.compile(r"\b(not|no|n't|isn't|aren't|wasn't|doesn't|don't)\W+(\w+\W+){0,3}$")


def _unnegated(patterns: list[re.Pattern[str]], text: str) -> list[str]:
    """Hits not under a nearby negation: "it isn't true that I never ..." is not an absolute."""
    return [m.group(0) for rx in patterns for m in rx.finditer(text) if not _NEGATED.search(text[:m.start()])]


def _cue_hits(reframe: str) -> dict[str, list[str]]:
    low = normalise(reframe)
    cues = _cues()
    out = {k: (_unnegated if k == "absolute" else _hits)(cues[k], low) for k in CUE_KINDS}
    out.update({f"strategy:{k}": _hits(v, low) for k, v in cues["strategies"].items()})
    return out


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z][a-z'-]{2,}", normalise(text))
    return {_stem(w) for w in words if w not in _STOP and len(w) > 3}


def word_rarity(reframes: list[str]) -> dict[str, float]:
    """How rare each content word is across the reframe bank (inverse document frequency): words any
    reframe could use ("feeling", "mistake", "time") score low, this person's details score high."""
    df: dict[str, int] = {}
    for r in reframes:
        for w in content_words(r):
            df[w] = df.get(w, 0) + 1
    n = len(reframes)
    return {w: float(np.log((1 + n) / (1 + k)) + 1) for w, k in df.items()}


def _specificity(reframe: str, thought: str, rarity: dict[str, float], unseen: float) -> list[float]:
    words = content_words(reframe)
    scores = sorted((rarity.get(w, unseen) for w in words), reverse=True)
    own = [rarity.get(w, unseen) for w in words - content_words(thought)]
    names = re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+", reframe.strip())
    return [scores[0] if scores else 0.0, float(np.mean(scores[:3])) if scores else 0.0,
            sum(x >= unseen - 1.0 for x in scores), max(own) if own else 0.0,
            len(re.findall(r"\d", reframe)) > 0, min(len(names), 3)]


def pair_features(thoughts: list[str], reframes: list[str], contexts: list[str],
                  t_vecs: np.ndarray, r_vecs: np.ndarray, rarity: dict[str, float]) -> np.ndarray:
    """One row of features per (thought, reframe, context), the same at training and at run time."""
    own = detector.probabilities(reframes, r_vecs)  # the reframe's own thinking traps
    unseen = max(rarity.values(), default=1.0)
    ids = pattern_ids()
    distorting = [ids.index(p) for p in DISTORTING]
    rows = []
    for i, (thought, reframe, context) in enumerate(zip(thoughts, reframes, contexts)):
        hits = _cue_hits(reframe)
        r_words = content_words(reframe)
        t_words = content_words(thought)
        c_words = content_words(context) - t_words
        n_words = len(reframe.split())
        scalars = [
            float(t_vecs[i] @ r_vecs[i]),
            len(r_words & t_words), len(r_words & t_words) / max(len(r_words | t_words), 1),
            len(r_words & c_words), len(r_words) / max(n_words, 1),
            np.log1p(n_words), reframe.count("?"), reframe.count("!"),
            float(re.search(r"\b(you|you're|your)\b", reframe.lower()) is not None),
            *[min(len(hits[k]), 3) for k in CUE_KINDS],
            *[min(len(hits[f"strategy:{k}"]), 3) for k in STRATEGIES],
            float(own[i, :-1].max()), float(own[i, distorting].max()), float(own[i, -1]),
            *_specificity(reframe, thought, rarity, unseen),
        ]
        rows.append(np.concatenate([np.array(scalars, dtype=np.float32), r_vecs[i], t_vecs[i] * r_vecs[i]]))
    return np.stack(rows)


@dataclass(frozen=True)
class _Model:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # one row per criterion
    intercept: np.ndarray
    thresholds: np.ndarray
    strategy_classes: tuple[str, ...]
    strategy_coef: np.ndarray
    strategy_intercept: np.ndarray
    rarity: dict[str, float]
    meta: dict
    min_similarity: float  # below it a reframe does not address the thought (build.py)


_lock = threading.Lock()


def _model() -> _Model:
    with _lock:
        return _load_model()


@lru_cache(maxsize=1)
def _load_model() -> _Model:
    if not MODEL_FILE.exists():
        raise RuntimeError(f"{MODEL_FILE} is missing: run `python -m simulator build-trap-models`")
    with np.load(MODEL_FILE, allow_pickle=False) as z:
        a = {k: z[k] for k in z.files}
    meta = json.loads(str(a["meta"]))
    if tuple(str(c) for c in a["criteria"]) != CRITERIA:
        raise RuntimeError(f"{MODEL_FILE.name} was built for other criteria: rebuild it")
    return _Model(a["mean"], a["scale"], a["coef"], a["intercept"], a["thresholds"].astype(np.float64),
                  tuple(str(c) for c in a["strategy_classes"]), a["strategy_coef"], a["strategy_intercept"],
                  dict(zip((str(w) for w in a["rarity_words"]), a["rarity"].astype(float).tolist())), meta,
                  float(a["min_similarity"]))


def scale(features: np.ndarray, mean: np.ndarray, scale_: np.ndarray) -> np.ndarray:
    return (features - mean) / scale_


# The shared blend (core.pair_encoder), the DEAR MAN rater's choice: on held-out thoughts of the
# bank (fold 0, tuned on) it gave 0.947 / 0.901 / 0.941 / 0.964, strategy 0.753, about as well as an
# even mix (0.928 / 0.908 / 0.951 / 0.961, 0.747), so the one choice was kept for both.
PAIR_WEIGHT = pair_encoder.BLEND_WEIGHT
BLEND_THRESHOLD = pair_encoder.BLEND_THRESHOLD


def judge(thoughts: list[str], reframes: list[str], contexts: list[str]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(probability each check is met, strategy probabilities, each check's threshold) for a batch
    of pairs: the regression blended with the fine-tuned pair classifier when it is built."""
    m = _model()
    t_vecs = np.stack([embeddings.encode_one(t.strip()) for t in thoughts])
    r_vecs = np.stack([embeddings.encode_one(r.strip()) for r in reframes])
    x = scale(pair_features(thoughts, reframes, contexts, t_vecs, r_vecs, m.rarity), m.mean, m.scale)
    met, strategy = proba(x, m.coef, m.intercept), pair_encoder.softmax(x @ m.strategy_coef.T + m.strategy_intercept)
    fine = reframe_pair.judge(thoughts, reframes, contexts)
    if fine is None:
        return met, strategy, m.thresholds
    if m.strategy_classes != reframe_pair.CLASSES:
        raise RuntimeError(f"{MODEL_FILE.name} orders the strategies differently: rebuild it")
    mixed = pair_encoder.blend({"met": met, "strategy": strategy}, {"met": fine[0], "strategy": fine[1]})
    return mixed["met"], mixed["strategy"], np.full(len(CRITERIA), BLEND_THRESHOLD)


@lru_cache(maxsize=1)
def drill_items() -> tuple[dict, ...]:
    raw = json.loads((DATA_DIR / "drills" / "thoughts.json").read_text(encoding="utf-8"))
    return tuple(raw["items"])


@lru_cache(maxsize=1)
def _drill_thoughts() -> np.ndarray:
    return embeddings.encode([i["thought"] for i in drill_items()])


def examples_for(thought: str, item_id: str | None = None) -> list[str]:
    """The example reframes of the drill item, or of the drill thought nearest to `thought`."""
    items = drill_items()
    if item_id is not None:
        for item in items:
            if item["id"] == item_id:
                return list(item["reframes"][:2])
    sims = _drill_thoughts() @ embeddings.encode_one(thought.strip())
    return list(items[int(sims.argmax())]["reframes"][:2])


def _clause(text: str, cue: str, most: int = 12) -> str:
    """The words of `text` around a cue phrase, within its clause: a lone cue word ("one", "can")
    says nothing to the trainee, the clause it sits in shows what made the reframe balanced."""
    words = text.split()
    low = [normalise(w).strip(".,;:!?\"'()\u201c\u201d") for w in words]
    n = len(cue.split())
    at = next((i for i in range(len(words)) if " ".join(low[i:i + n]) == cue), None)
    if at is None:
        return cue

    def ends_clause(i: int) -> bool:
        return bool(re.search(r"[.,;:!?\u2014]$", words[i]))

    start, end = at, at + n
    grew = True
    while grew and end - start < most:  # one word each side in turn, never past the clause
        grew = False
        if start > 0 and not ends_clause(start - 1):
            start, grew = start - 1, True
        if end < len(words) and end - start < most and not ends_clause(end - 1):
            end, grew = end + 1, True
    left = "\u2026" if start > 0 and not ends_clause(start - 1) else ""
    right = "\u2026" if end < len(words) and not ends_clause(end - 1) else ""
    return left + " ".join(words[start:end]).strip(".,;:!?\u2014 ") + right


def _details(thought: str, reframe: str, context: str, ok: dict[str, bool], sim: float) -> dict[str, str]:
    """The sentence shown for each check: why it passed or failed, quoting the reframe where it can."""
    w = wording()
    hits = _cue_hits(reframe)
    out = {"addresses_thought": w["addresses_thought"]["ok" if ok["addresses_thought"] else "not_ok"].format(
        similarity=f"{sim:.2f}")}
    if ok["realistic"]:
        out["realistic"] = (w["realistic"]["ok_quote"].format(quote=_clause(reframe, max(hits["balanced"], key=len)))
                            if hits["balanced"] else w["realistic"]["ok"])
    elif hits["toxic"]:
        out["realistic"] = w["realistic"]["not_ok_positive"].format(quote=hits["toxic"][0])
    elif hits["absolute"]:
        out["realistic"] = w["realistic"]["not_ok_absolute"].format(quote=hits["absolute"][0])
    else:
        own = detector.detect_offline(reframe)
        trap = next((p for p in own.found() if p.pattern in DISTORTING), None)
        out["realistic"] = (w["realistic"]["not_ok_trap"].format(pattern=trap.name.lower()) if trap
                            else w["realistic"]["not_ok"])
    shared = sorted(content_words(reframe) & content_words(f"{thought} {context}"))
    if ok["keeps_context"]:
        out["keeps_context"] = (w["keeps_context"]["ok_words"].format(words=", ".join(shared[:3])) if shared
                                else w["keeps_context"]["ok"])
    else:
        out["keeps_context"] = w["keeps_context"]["not_ok"]
    if ok["honours_feeling"]:
        out["honours_feeling"] = w["honours_feeling"]["ok_named" if hits["acknowledging"] else "ok"]
    else:
        out["honours_feeling"] = (w["honours_feeling"]["not_ok_quote"].format(quote=hits["dismissive"][0])
                                  if hits["dismissive"] else w["honours_feeling"]["not_ok"])
    return out


def check_reframe_offline(thought: str, reframe: str, context: str = "",
                          item_id: str | None = None) -> ReframeFeedback:
    m = _model()
    met, strategy, thresholds = judge([thought], [reframe], [context])
    ok = {c: bool(met[0, j] >= thresholds[j]) for j, c in enumerate(CRITERIA)}
    sim = float(embeddings.encode_one(thought.strip()) @ embeddings.encode_one(reframe.strip()))
    # The classifiers passed nearly every reframe written for another thought; one this far from the
    # thought does not address it, whatever they say (the floor is set on the bank, build.py).
    ok["addresses_thought"] = ok["addresses_thought"] and sim >= m.min_similarity
    details = _details(thought, reframe, context, ok, sim)
    crit = {c: Criterion(ok=ok[c], detail=details[c], confidence=round(float(met[0, j]), 3))
            for j, c in enumerate(CRITERIA)}
    best = m.strategy_classes[int(strategy[0].argmax())]
    key = None if best == NO_STRATEGY else best
    return ReframeFeedback(
        thought=thought, reframe=reframe, **crit, strategy=key,
        strategy_name=STRATEGIES[key] if key else wording()["no_strategy"],
        strategy_scores={c: round(float(p), 3) for c, p in zip(m.strategy_classes, strategy[0]) if c != NO_STRATEGY},
        examples=examples_for(thought, item_id))
