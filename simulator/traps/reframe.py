"""Feedback on a reframe of an unhelpful thought (DESIGN.md section 4).

Four checks (addresses the thought, realistic rather than merely positive, keeps the person's
context, does not dismiss the feeling), the reframing strategy it uses, and example reframes from
the drill bank. Offline by default; the LLM judge is used when configured and falls back here.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import BaseModel

from simulator.core import embeddings
from simulator.core.settings import DATA_DIR
from simulator.llm.fallback import with_fallback
from simulator.traps.detector import detect_offline
from simulator.traps.patterns import normalise

STRATEGIES: dict[str, str] = {
    "growth_mindset": "Growth mindset",
    "optimism": "Optimism",
    "impermanence": "Impermanence",
    "neutralizing": "Neutralizing",
    "self_affirmation": "Self-affirmation",
}
STRATEGY_FLOOR = 0.25  # below this (similarity plus cue bonus) no strategy is clear enough to name
STRATEGY_CUE_WEIGHT = 0.12
MIN_CONTEXT_SIMILARITY = 0.35

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
    return {
        **{k: comp(raw[k]) for k in ("toxic", "absolute", "balanced", "dismissive", "acknowledging")},
        "strategies": {k: comp(v) for k, v in raw["strategies"].items()},
    }


def _hits(patterns: list[re.Pattern[str]], text: str) -> list[str]:
    return [m.group(0) for rx in patterns for m in rx.finditer(text)]


_NEGATED = re.compile(r"\b(not|no|n't|isn't|aren't|wasn't|doesn't|don't)\W+(\w+\W+){0,3}$")


def _unnegated(patterns: list[re.Pattern[str]], text: str) -> list[str]:
    """Hits not under a nearby negation: "it isn't true that I never ..." is not an absolute."""
    return [m.group(0) for rx in patterns for m in rx.finditer(text) if not _NEGATED.search(text[:m.start()])]


@lru_cache(maxsize=1)
def drill_items() -> tuple[dict, ...]:
    raw = json.loads((DATA_DIR / "drills" / "thoughts.json").read_text(encoding="utf-8"))
    return tuple(raw["items"])


@dataclass(frozen=True)
class _Refs:
    strategy_keys: tuple[str, ...]
    strategy_centroids: np.ndarray
    drill_thoughts: np.ndarray
    address_threshold: float  # similarity between a thought and a reframe that addresses it


_lock = threading.Lock()


def _refs() -> _Refs:
    with _lock:  # lru_cache alone may build twice when two threads ask at once
        return _build_refs()


@lru_cache(maxsize=1)
def _build_refs() -> _Refs:
    raw = json.loads((DATA_DIR / "exemplars" / "reframes" / "strategies.json").read_text(encoding="utf-8"))
    keys = tuple(raw["strategies"])
    cents = []
    for k in keys:
        v = embeddings.encode(raw["strategies"][k]).mean(axis=0)
        cents.append(v / np.linalg.norm(v))
    items = drill_items()
    thoughts = embeddings.encode([i["thought"] for i in items])
    # Calibrate "addresses the thought" on the drill bank: reframes of their own thought
    # against reframes of the other thoughts.
    reframes = [(n, r) for n, i in enumerate(items) for r in i["reframes"]]
    rvec = embeddings.encode([r for _, r in reframes])
    sims = rvec @ thoughts.T
    own = np.array([sims[j, n] for j, (n, _) in enumerate(reframes)])
    other = np.array([sims[j, m] for j, (n, _) in enumerate(reframes) for m in range(len(items)) if m != n])
    threshold = float((np.percentile(own, 10) + np.percentile(other, 95)) / 2)
    return _Refs(keys, np.stack(cents), thoughts, threshold)


def _content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z][a-z'-]{3,}", normalise(text))
    return {_stem(w) for w in words if w not in _STOP}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def strategy_of(reframe: str, vec: np.ndarray | None = None) -> tuple[str | None, dict[str, float]]:
    refs = _refs()
    vec = embeddings.encode_one(reframe.strip()) if vec is None else vec
    sims = refs.strategy_centroids @ vec
    low = normalise(reframe)
    cues = _cues()["strategies"]
    scores = {k: round(float(sims[i]) + STRATEGY_CUE_WEIGHT * min(len(_hits(cues[k], low)), 2), 3)
              for i, k in enumerate(refs.strategy_keys)}
    best = max(scores, key=scores.get)
    return (best if scores[best] >= STRATEGY_FLOOR else None), scores


def examples_for(thought: str, item_id: str | None = None) -> list[str]:
    """The example reframes of the drill item, or of the drill thought nearest to `thought`."""
    items = drill_items()
    if item_id is not None:
        for item in items:
            if item["id"] == item_id:
                return list(item["reframes"][:2])
    sims = _refs().drill_thoughts @ embeddings.encode_one(thought.strip())
    return list(items[int(sims.argmax())]["reframes"][:2])


def check_reframe_offline(thought: str, reframe: str, context: str = "",
                          item_id: str | None = None) -> ReframeFeedback:
    refs = _refs()
    cues = _cues()
    low = normalise(reframe)
    t_vec = embeddings.encode_one(thought.strip())
    r_vec = embeddings.encode_one(reframe.strip())
    sim = float(t_vec @ r_vec)

    on_topic = sim >= refs.address_threshold or len(_content_words(reframe) & _content_words(thought)) >= 2
    addresses = Criterion(
        ok=on_topic,
        detail=(f"It speaks to the thought itself (similarity {sim:.2f})." if on_topic
                else f"It drifts away from the thought (similarity {sim:.2f}); answer what the thought actually claims."))

    toxic = _hits(cues["toxic"], low)
    absolutes = _unnegated(cues["absolute"], low)
    balanced = _hits(cues["balanced"], low)
    own = detect_offline(reframe)
    # A reframe that is itself an absolute prediction or a label swaps one distortion for another.
    distorted = (not own.none and own.patterns[0].score >= 0.5
                 and own.patterns[0].pattern in {"all_or_nothing", "overgeneralization", "labeling"}
                 and not balanced)
    if toxic:
        realistic = Criterion(ok=False, detail=f"It sounds merely positive (\u201c{toxic[0]}\u201d): a believable reframe "
                                               "weighs the facts rather than promising that all is well.")
    elif absolutes and (len(absolutes) > len(balanced) + 1 or not balanced):
        realistic = Criterion(ok=False, detail=f"It leans on absolutes (\u201c{absolutes[0]}\u201d); qualified, "
                                               "weighed language is easier to believe.")
    elif distorted:
        realistic = Criterion(ok=False, detail=f"It carries its own thinking trap ({own.patterns[0].name.lower()}).")
    else:
        realistic = Criterion(ok=True, detail="It is balanced rather than simply upbeat"
                                              + (f" (\u201c{balanced[0]}\u201d)." if balanced else "."))

    shared = _content_words(reframe) & _content_words(f"{thought} {context}")
    ctx_sim = float(embeddings.encode_one(context.strip()) @ r_vec) if context.strip() else 0.0
    keeps = bool(shared) or ctx_sim >= MIN_CONTEXT_SIMILARITY
    keeps_context = Criterion(
        ok=keeps,
        detail=(f"It stays with this person's situation ({', '.join(sorted(shared)[:3])})." if shared
                else "It stays with this person's situation." if keeps
                else "It could be said to anyone: bring in the details of this person's situation."))

    dismissive = _hits(cues["dismissive"], low)
    acknowledging = _hits(cues["acknowledging"], low)
    honours = Criterion(
        ok=not dismissive,
        detail=(f"It brushes the feeling aside (\u201c{dismissive[0]}\u201d); the feeling can stay while the thought changes."
                if dismissive else "It names or accepts the feeling." if acknowledging
                else "It does not dismiss the feeling (naming it can help further)."))

    strategy, scores = strategy_of(reframe, r_vec)
    return ReframeFeedback(
        thought=thought, reframe=reframe, addresses_thought=addresses, realistic=realistic,
        keeps_context=keeps_context, honours_feeling=honours, strategy=strategy,
        strategy_name=STRATEGIES.get(strategy, "No clear strategy") if strategy else "No clear strategy",
        strategy_scores=scores, examples=examples_for(thought, item_id))


def check_reframe(thought: str, reframe: str, context: str = "", item_id: str | None = None,
                  settings=None, caller=None) -> ReframeFeedback:
    """Feedback from the engine the settings choose; the LLM path falls back to offline on any failure.

    With a `caller` (simulator.llm.usage.Caller), the model is used only when that exercise may
    use it for that account now; otherwise the note says why, plainly.
    """
    if settings is None or not settings.uses_llm:
        return check_reframe_offline(thought, reframe, context, item_id)
    from simulator.traps.llm_judge import reframe_llm

    def offline(why: str) -> ReframeFeedback:
        result = check_reframe_offline(thought, reframe, context, item_id)
        result.note = f"model unavailable, offline checker used ({why})"
        return result

    return with_fallback("reframe check",
                         lambda: reframe_llm(thought, reframe, context, examples_for(thought, item_id), settings.llm,
                                             caller),
                         offline)
