"""The offline DEAR MAN rater: per-skill classifiers over sentence embeddings and linguistic
features (simulator.dearman.classifier), blended with the embedding model fine-tuned to read each
sentence with the other person's last line (simulator.dearman.pair_model), both trained on the
message bank in data/dearman/bank/. Skills are then decided from the whole message
(simulator.dearman.whole_message) once that model is built beside the fine-tuned classifier.

Every rating is explainable in the trainee's own words: the reason quotes the sentence (or the
words) the rating rests on. All wording comes from data/dearman/feedback.json. Deterministic, no
network.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from simulator.core.settings import DATA_DIR
from simulator.core.text import lower_first
from simulator.dearman import cues, sentence_scores, whole_message
from simulator.dearman.classifier import MessageScores, Model, cap_describe, decide, default_model
from simulator.dearman.features import sentences
from simulator.dearman.goal_request import goal_as_request
from simulator.dearman.off_goal import how_off_goal
from simulator.dearman.schema import (
    STRATEGIES,
    MessageContext,
    MindfulRating,
    SkillRatings,
    StateRating,
    StrategyRating,
)

FEEDBACK_FILE = DATA_DIR / "dearman" / "feedback.json"
QUOTE_WORDS = 14
LEVELS = ("none", "weak", "strong")

__all__ = ["OfflineRater", "default_rater", "feedback_text", "rewrite", "sentences"]


@lru_cache(maxsize=1)
def feedback_text() -> dict:
    return json.loads(FEEDBACK_FILE.read_text(encoding="utf-8"))


def _quote(text: str, limit: int = QUOTE_WORDS) -> str:
    words = text.split()
    cut = " ".join(words[:limit]) + ("\u2026" if len(words) > limit else "")
    return f"\u201c{cut}\u201d"


def _words(found: list[str]) -> str:
    seen = list(dict.fromkeys(f.strip() for f in found if f.strip()))[:3]
    return ", ".join(f"\u201c{w}\u201d" for w in seen)


_JUDGING = [cues.JUDGEMENT, re.compile(r"\b(?:always|never|every (?:single )?time|constantly|nobody|no one|anyone|everyone)\b", re.I),
            re.compile(r"\byou(?:'re| are)(?: \w+)? (?:so|such|a|an|the|being|too|clearly) \w+", re.I)]
_BLAME = re.compile(r"\byou(?:'re)? (?:make|making|made) me\b[^.?!,]*", re.I)
_THREAT = re.compile(r"\bor (?:i'?ll|i will|i'm|else)\b[^.?!]*|\botherwise\b[^.?!]*|"
                     r"\b(?:small claims|ombudsman|the council|debt collect\w*|a complaint|lawyer|solicitor|hr|grounded|withhold\w*)\b",
                     re.I)


def _judging_words(text: str) -> list[str]:
    return [m.group(0) for rx in _JUDGING for m in rx.finditer(text)]


class OfflineRater:

    def __init__(self, model: Model | None = None) -> None:
        self._model = model
        # The fine-tuned pair classifier belongs to the installed regression, not to one passed in.
        self._with_pair_model = model is None

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = default_model()
        return self._model

    def scores(self, ctx: MessageContext) -> tuple[list[str], MessageScores, dict, bool]:
        """The message's sentences, what the classifiers say about them, their thresholds, and
        whether the fine-tuned classifier took part."""
        return sentence_scores.score(ctx, self.model, self._with_pair_model)

    def rate(self, ctx: MessageContext) -> SkillRatings:
        parts, sc, th, blended = self.scores(ctx)
        levels = decide(sc, th)
        whole = whole_message.installed() if blended else None  # trained on blended scores only
        if whole is not None:
            levels = whole.decide(sc.per_sentence, ctx.message, levels)
            cap_describe(levels, sc, th)  # the manual's rule holds whoever decided Describe
        text = feedback_text()
        judged_sentence = parts[sc.best["judged"]] if sc.judged >= th["judged"] else ""
        judged = _words(_judging_words(judged_sentence)) or (_quote(judged_sentence) if judged_sentence else "")
        out: dict[str, object] = {}
        kept: dict[str, str] = {}
        for skill in STRATEGIES:
            sentence = parts[sc.best[skill]]
            out[skill] = self._strategy(skill, levels[skill], sentence, ctx.message, judged, text)
            if levels[skill] == "strong":
                kept[skill] = sentence
        out["mindful"] = self._mindful(levels["mindful"], parts, sc, judged, text)
        out["confident"] = self._confident(levels["confident"], parts, sc, ctx.message, text)
        out["rewrite"] = rewrite(ctx, kept, out, text["rewrite"])
        out["judging"] = bool(judged_sentence)  # always decided here; a model's rating may leave it out
        return SkillRatings.model_validate(out)

    # -- strategies --

    def _strategy(self, skill: str, level: str, sentence: str, message: str, judged: str, text: dict) -> StrategyRating:
        reasons = text["reasons"][skill]
        quote = _quote(sentence)
        kind = level
        if level == "strong":
            reason = reasons["strong"].format(evidence=quote)
        elif level == "weak":
            kind, fill = self._weak_kind(skill, sentence, message, judged)
            reason = reasons[kind].format(**fill)
        elif skill == "describe" and judged:
            reason = reasons["none_judgement"].format(evidence=judged)
        else:
            reason = reasons["none"]
        # The suggestion answers the reason given: a request weak for its hedges and one weak for being
        # implied need different advice (an unhedged "Where's my money?" has no hedges to drop).
        suggestions = text["suggestions"][skill]
        suggestion = "" if level == "strong" else suggestions.get(kind, suggestions[level])
        return StrategyRating(rating=level, reason=reason, suggestion=suggestion)

    @staticmethod
    def _weak_kind(skill: str, sentence: str, message: str, judged: str) -> tuple[str, dict[str, str]]:
        """Which weak reason applies (its key in the feedback text) and what fills its placeholders."""
        quote = _quote(sentence)
        hedges = cues.hedges_to_quote(sentence)
        if skill == "describe":
            return ("weak_judgement", {"evidence": judged}) if judged else ("weak_vague", {"evidence": quote})
        if skill == "express":
            if m := _BLAME.search(sentence):
                return "weak_blamed", {"evidence": _quote(m.group(0))}
            return ("weak_hedged" if hedges else "weak_indirect"), {"evidence": quote}
        if skill == "assert":
            hedges = hedges or cues.hedges_to_quote(message)
            if hedges:
                return "weak_hedged", {"evidence": quote, "hedges": _words(hedges)}
            return "weak_indirect", {"evidence": quote}
        if skill == "reinforce":
            if m := _THREAT.search(sentence):
                return "weak_threat", {"evidence": _quote(m.group(0))}
        return "weak_vague", {"evidence": quote}

    # -- states --

    def _mindful(self, level: str, parts: list[str], sc: MessageScores, judged: str, text: dict) -> MindfulRating:
        reasons = text["reasons"]["mindful"]
        if level == "no":
            left = how_off_goal(parts, sc.gives_up)
            if left == "gave_up":
                found = [m.group(0) for p in parts for m in cues.GIVE_UP.finditer(p)]
                evidence = _words(found) or _quote(parts[sc.best["gives_up"]])
                reason = reasons["no_gave_up"].format(evidence=evidence)
                suggestion = text["suggestions"]["mindful"]["no_gave_up"]
            else:
                reason = reasons["no_sidetracked"].format(evidence=_quote(parts[sc.best["offgoal"]]))
                suggestion = text["suggestions"]["mindful"]["no"]
            return MindfulRating(rating="no", reason=reason, suggestion=suggestion, off_goal=left)
        if judged:
            return MindfulRating(rating="yes", reason=reasons["yes_judged"].format(evidence=judged))
        back = [m.group(0) for p in parts for m in cues.BACK_ON_TRACK.finditer(p)]
        reason = reasons["yes_track"].format(evidence=_words(back)) if back else reasons["yes"]
        return MindfulRating(rating="yes", reason=reason)

    def _confident(self, level: str, parts: list[str], sc: MessageScores, message: str, text: dict) -> StateRating:
        reasons = text["reasons"]["confident"]
        hedges = cues.hedges_to_quote(message)
        if level == "no":
            evidence = _words(hedges) or _quote(parts[sc.best["hedge"]])
            return StateRating(rating="no", reason=reasons["no"].format(evidence=evidence),
                               suggestion=text["suggestions"]["confident"]["no"])
        if hedges:
            return StateRating(rating="yes", reason=reasons["yes_mostly"].format(evidence=_words(hedges)))
        return StateRating(rating="yes", reason=reasons["yes"])


# -- the rewrite --

_HEDGES = (r"\b(?:sorry|um+|i guess|i suppose|maybe|perhaps|possibly|kind of|sort of|just|honestly|"
           r"i don'?t know|i dunno|a bit|a little)\b")
_HEDGE_WORDS = re.compile(_HEDGES + r",?\s*", re.IGNORECASE)
# A hedge set off by two commas goes with both: "worried, I suppose, about" -> "worried about".
_HEDGE_BETWEEN_COMMAS = re.compile(r",\s*" + _HEDGES + r"\s*,\s*", re.IGNORECASE)
_FEELING = re.compile(r"\b(" + cues.EMOTION + r"|annoyed|annoying|bothered|bothers|bugs)\b", re.IGNORECASE)
_FEELING_WORD = {"annoying": "annoyed", "bothers": "bothered", "bugs": "bothered"}


def _clean(sentence: str) -> str:
    between = _HEDGE_BETWEEN_COMMAS.sub(" ", sentence)
    kinds = cues.kinds_of_things(between)  # "what kind of brother" keeps its "kind of"
    cleaned = _HEDGE_WORDS.sub(lambda m: m.group(0) if m.start() in kinds else "", between)
    # A hedge cut from the end leaves its comma: "on Sunday, maybe?" -> "on Sunday?"
    cleaned = re.sub(r"[\s,]+([?.!])", r"\1", re.sub(r"\s{2,}", " ", cleaned)).strip(" ,")
    # A hedging tail that the Confident reason quotes ("on Friday, if that's okay?") goes too, so that the
    # rewrite never keeps what the feedback just named as a hedge.
    for hedge in cues.hedges_to_quote(cleaned):
        cleaned = re.sub(r",?\s*" + re.escape(hedge) + r"\s*([?.!]*)$", r"\1", cleaned, flags=re.IGNORECASE)
    return cleaned[:1].upper() + cleaned[1:] if cleaned else sentence


def rewrite(ctx: MessageContext, kept: dict[str, str], rated: dict, templates: dict) -> str:
    """The whole message again, DEAR MAN order: the trainee's strong sentences kept (hedges
    removed), a plain sentence built from the situation and goal where a skill was missing."""
    parts: list[str] = []
    if "describe" in kept:
        parts.append(_clean(kept["describe"]))
    else:
        parts.append(templates["describe"].format(situation=lower_first(ctx.situation.rstrip(".")) + "."))
    if "express" in kept:
        parts.append(_clean(kept["express"]))
    else:
        m = _FEELING.search(ctx.message)
        feeling = m.group(1).lower() if m else templates["default_feeling"]
        parts.append(templates["express"].format(feeling=_FEELING_WORD.get(feeling, feeling)))
    parts.append(_clean(kept["assert"]) if "assert" in kept else goal_as_request(ctx.goal, templates, ctx.situation))
    parts.append(_clean(kept["reinforce"]) if "reinforce" in kept else templates["reinforce"])
    parts.append(_clean(kept["negotiate"]) if "negotiate" in kept else templates["negotiate"])
    return " ".join(dict.fromkeys(p for p in parts if p))


@lru_cache(maxsize=1)
def default_rater() -> OfflineRater:
    return OfflineRater()
