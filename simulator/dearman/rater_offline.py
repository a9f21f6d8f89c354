"""The offline DEAR MAN rater: linguistic cues first, nearest exemplars as the tie-breaker.

Every rating is explainable: the reason quotes the words a cue matched, or the exemplar from the
bank that the message is closest to. Deterministic, no network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simulator.core.settings import DATA_DIR
from simulator.dearman import cues
from simulator.dearman.exemplars import Bank, default_bank
from simulator.dearman.schema import (
    STRATEGIES,
    MessageContext,
    SkillRatings,
    StateRating,
    StrategyRating,
)

FEEDBACK_FILE = DATA_DIR / "dearman" / "feedback.json"
K = 5
CUE_WEIGHT = 0.7  # cues decide; neighbours can lift a sentence the cues missed, or tip a weak one
STRONG_AT = 1.25  # a weak cue becomes strong only when nearly all neighbours are strong
WEAK_AT = 0.5
KNN_ALONE_SIM = 0.55  # without a cue, neighbours count only when they are this close on average
STATE_KNN_NO = 0.8  # share of neighbours saying "no" needed to overrule a clean cue result
LEVELS = ("none", "weak", "strong")


@lru_cache(maxsize=1)
def feedback_text() -> dict:
    return json.loads(FEEDBACK_FILE.read_text(encoding="utf-8"))


_SPLIT = re.compile(r"(?<=[.!?;])\s+|\s+[—–]\s+|(?<=:)\s+(?=[A-Z])")


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SPLIT.split(text.strip()) if p and p.strip()]
    return parts or [text.strip()]


@dataclass
class _Neighbours:
    score: float  # 2 * P(strong or yes) + P(weak), weighted by similarity
    closeness: float  # mean similarity of the K nearest
    shares: dict[str, float]
    nearest: str


def _neighbours(vec: np.ndarray, bank: Bank, skill: str) -> _Neighbours:
    sims = bank.vectors(skill) @ vec
    top = np.argsort(-sims)[:K]
    levels = bank.levels(skill)
    weights = np.clip(sims[top], 1e-3, None)
    shares: dict[str, float] = {}
    for i, w in zip(top, weights):
        shares[levels[i]] = shares.get(levels[i], 0.0) + float(w)
    total = sum(shares.values())
    shares = {k: v / total for k, v in shares.items()}
    score = 2 * (shares.get("strong", 0) + shares.get("yes", 0)) + shares.get("weak", 0)
    best = int(top[0])
    return _Neighbours(score, float(np.mean(sims[top])), shares, bank.examples[skill][best].text)


def _fmt(evidence: tuple[str, ...]) -> str:
    seen = list(dict.fromkeys(e.strip() for e in evidence if e.strip()))[:3]
    return ", ".join(f"\u201c{e}\u201d" for e in seen) or "\u2014"


class OfflineRater:

    def __init__(self, bank: Bank | None = None) -> None:
        self.bank = bank or default_bank()

    def rate(self, ctx: MessageContext) -> SkillRatings:
        parts = sentences(ctx.message)
        from simulator.core import embeddings

        # One batch of short sentences; the message vector is their normalised mean, which
        # saves encoding the longest sequence a second time.
        sent_vecs = embeddings.encode(parts)
        msg_vec = sent_vecs.mean(axis=0)
        msg_vec = msg_vec / (np.linalg.norm(msg_vec) or 1.0)
        text = feedback_text()
        out: dict[str, object] = {}
        kept: dict[str, str] = {}
        for skill in STRATEGIES:
            rating, best_sentence = self._strategy(skill, parts, sent_vecs, text)
            out[skill] = rating
            if rating.rating == "strong":
                kept[skill] = best_sentence
        out["mindful"] = self._state("mindful", cues.mindful(ctx.message), msg_vec, text)
        out["confident"] = self._state("confident", cues.confident(ctx.message), msg_vec, text)
        out["rewrite"] = rewrite(ctx, kept, out, text["rewrite"])
        return SkillRatings.model_validate(out)

    # -- strategies --

    def _strategy(self, skill: str, parts: list[str], vecs: np.ndarray, text: dict) -> tuple[StrategyRating, str]:
        best = (-1.0, 0, cues.NONE, None)
        for i, sentence in enumerate(parts):
            cue = cues.STRATEGY_CUES[skill](sentence)
            near = _neighbours(vecs[i], self.bank, skill)
            knn = near.score if cue.level or near.closeness >= KNN_ALONE_SIM else 0.0
            score = CUE_WEIGHT * cue.level + (1 - CUE_WEIGHT) * knn
            if score > best[0]:
                best = (score, i, cue, near)
        score, i, cue, near = best
        level = "strong" if score >= STRONG_AT else "weak" if score >= WEAK_AT else "none"
        reasons = text["reasons"][skill]
        if level == "strong":
            evidence = _fmt(cue.evidence) if cue.level else f"close to \u201c{near.nearest}\u201d"
            reason = reasons["strong"].format(evidence=evidence)
        elif level == "weak" and cue.level == 1:
            weak_keys = [k for k in reasons if k.startswith("weak_") and k != "weak_knn"]
            key = f"weak_{cue.note}" if f"weak_{cue.note}" in reasons else weak_keys[0]
            reason = reasons[key].format(evidence=_fmt(cue.evidence))
        elif level == "weak":  # no cue fired: the neighbours lifted it
            reason = reasons["weak_knn"].format(neighbour=near.nearest)
        else:
            reason = reasons["none"]
        suggestion = "" if level == "strong" else text["suggestions"][skill][level]
        return StrategyRating(rating=level, reason=reason, suggestion=suggestion), parts[i]

    # -- states --

    def _state(self, skill: str, cue: cues.Cue, vec: np.ndarray, text: dict) -> StateRating:
        near = _neighbours(vec, self.bank, skill)
        reasons = text["reasons"][skill]
        if cue.level == 0:
            if skill == "mindful":
                reason = reasons["no_gave_up" if cue.note == "gave up" else "no_sidetracked"].format(
                    evidence=_fmt(cue.evidence))
            else:
                reason = reasons["no"].format(evidence=_fmt(cue.evidence))
            return StateRating(rating="no", reason=reason, suggestion=text["suggestions"][skill]["no"])
        if near.shares.get("no", 0) >= STATE_KNN_NO and not cue.evidence:
            return StateRating(rating="no", reason=reasons["no_knn"].format(neighbour=near.nearest),
                               suggestion=text["suggestions"][skill]["no"])
        if skill == "mindful":
            reason = reasons["yes_track"].format(evidence=_fmt(cue.evidence)) if cue.evidence else reasons["yes"]
        else:
            reason = reasons["yes_mostly"].format(evidence=_fmt(cue.evidence)) if cue.evidence else reasons["yes"]
        return StateRating(rating="yes", reason=reason)


# -- the rewrite --

_HEDGE_WORDS = re.compile(r"\b(?:sorry|um+|i guess|i suppose|maybe|perhaps|possibly|kind of|sort of|just|honestly|"
                          r"i don'?t know|i dunno|a bit|a little)\b,?\s*", re.IGNORECASE)
_GOAL_ASK = [
    (re.compile(r"^(?:get|ask|persuade|convince)\s+(?:the\s+)?[\w' ]{1,40}?\s+to\s+(.*)$", re.I), "I'm asking you to {0}"),
    (re.compile(r"^agree\s+(?:with\s+[\w' ]{1,30}?\s+)?(?:on|that)\s+(.*)$", re.I), "I'd like us to agree on {0}"),
    (re.compile(r"^say no to\s+(.*?)(?:\s+while.*|\s+without.*)?$", re.I), "No, I'm not able to do {0}"),
    (re.compile(r"^say no\b.*$", re.I), "My answer is no."),
]
_FEELING = re.compile(r"\b(" + cues.EMOTION + r"|annoyed|annoying|bothered|bothers|bugs)\b", re.IGNORECASE)
_FEELING_WORD = {"annoying": "annoyed", "bothers": "bothered", "bugs": "bothered"}


def _clean(sentence: str) -> str:
    cleaned = _HEDGE_WORDS.sub("", sentence).strip(" ,")
    return cleaned[:1].upper() + cleaned[1:] if cleaned else sentence


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


_TO_YOU = [(re.compile(r"\b(?:he|she|they)\s+owes?\b", re.I), "you owe"), (re.compile(r"\b(?:he|she)\b", re.I), "you"),
           (re.compile(r"\b(?:his|her|their)\b", re.I), "your"), (re.compile(r"\b(?:him|them)\b", re.I), "you")]


def _to_you(text: str) -> str:
    # The goal names the other person in the third person; the rewrite speaks to them.
    for pattern, repl in _TO_YOU:
        text = pattern.sub(repl, text)
    return text


def goal_as_request(goal: str, templates: dict) -> str:
    goal = goal.strip().rstrip(".")
    for pattern, form in _GOAL_ASK:
        m = pattern.match(goal)
        if m:
            return form.format(*(_to_you(g) for g in m.groups())).rstrip(".") + "."
    return templates["assert_fallback"].format(goal=_lower_first(goal)).rstrip(".") + "."


def rewrite(ctx: MessageContext, kept: dict[str, str], rated: dict, templates: dict) -> str:
    """The whole message again, DEAR MAN order: the trainee's strong sentences kept (hedges
    removed), a plain sentence built from the situation and goal where a skill was missing."""
    parts: list[str] = []
    if "describe" in kept:
        parts.append(_clean(kept["describe"]))
    else:
        parts.append(templates["describe"].format(situation=_lower_first(ctx.situation.rstrip(".")) + "."))
    if "express" in kept:
        parts.append(_clean(kept["express"]))
    else:
        m = _FEELING.search(ctx.message)
        feeling = m.group(1).lower() if m else templates["default_feeling"]
        parts.append(templates["express"].format(feeling=_FEELING_WORD.get(feeling, feeling)))
    parts.append(_clean(kept["assert"]) if "assert" in kept else goal_as_request(ctx.goal, templates))
    parts.append(_clean(kept["reinforce"]) if "reinforce" in kept else templates["reinforce"])
    parts.append(_clean(kept["negotiate"]) if "negotiate" in kept else templates["negotiate"])
    return " ".join(dict.fromkeys(p for p in parts if p))


@lru_cache(maxsize=1)
def default_rater() -> OfflineRater:
    return OfflineRater()
