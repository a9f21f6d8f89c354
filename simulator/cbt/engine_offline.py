"""The offline patient: deterministic, no network, every fact taken from the case.

`plan_turn` decides what to say; this module turns that plan into first-person sentences from the
case, joined by fact-free connective phrases from data/offline/phrases.json.

Surface material (what happened, what went through their mind, what they felt and did, the body,
the ratings, the goals) stays close to the case's words. Deeper layers come out indirectly: core
beliefs, rules and coping through the case's voicings (the generic hints in
data/offline/core_belief_hints.json for a case without them), or for rules and coping without
voicings a fragment of the reference sentence, never the whole of it.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterator
from functools import lru_cache

from simulator.cbt.case import PatientCase
from simulator.cbt.disclosure import FACT_FREE, allowed_elements, plan_turn
from simulator.cbt.engine import PatientReply, TurnPlan, TurnRequest
from simulator.cbt.interview import DisclosureState
from simulator.cbt.voice import case_text
from simulator.core.errors import EngineError
from simulator.core.settings import DATA_DIR
from simulator.core.text import count_sentences, listing, lower_first, split_sentences

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def phrases() -> dict:
    raw = json.loads((DATA_DIR / "offline" / "phrases.json").read_text(encoding="utf-8"))
    raw.pop("_about", None)
    return raw


@lru_cache(maxsize=1)
def belief_hints() -> dict[str, list[str]]:
    """Generic indirect voicings per closed-list core belief, for cases that have none."""
    return json.loads((DATA_DIR / "offline" / "core_belief_hints.json").read_text(encoding="utf-8"))


_CLAUSE = re.compile(r",\s+|;\s+|:\s+|\s+-\s+|\s+(?=(?:and|but|so|because|then)\b)")


def fragment(sentence: str) -> str:
    """Part of a reference sentence, never the whole of it: its first clause of three or more
    words, else its first words ("If I relax even for a moment, something terrible will happen"
    -> "If I relax even for a moment")."""
    words = sentence.rstrip(".!?").split()
    for clause in _CLAUSE.split(sentence.rstrip(".!?")):
        n = len(clause.split())
        if 3 <= n < len(words):
            return clause.strip()
    if len(words) <= 2:
        return ""
    return " ".join(words[:max(2, (len(words) * 3) // 5)])


# ---------------------------------------------------------------- rendering

ESSENTIAL, DETAIL, CONNECTIVE, FILLER = 0, 1, 2, 3


class _Reply:
    """Sentences tagged with how much they matter, so a reply can be trimmed or padded."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, int]] = []

    def add(self, text: str, weight: int) -> None:
        if text and all(text != t for t, _ in self.parts):
            self.parts.append((text, weight))

    def count(self) -> int:
        return sum(count_sentences(t) for t, _ in self.parts)

    def trim(self, target: int) -> None:
        for weight in (FILLER, CONNECTIVE, DETAIL):
            while self.count() > target:
                idx = next((i for i in range(len(self.parts) - 1, -1, -1)
                            if self.parts[i][1] == weight), None)
                if idx is None or len(self.parts) == 1:
                    break  # a reply keeps at least one sentence
                del self.parts[idx]

    def text(self) -> str:
        return " ".join(t for t, _ in self.parts)


class _Renderer:
    def __init__(self, case: PatientCase, situation_index: int, style: str, plan: TurnPlan,
                 before: DisclosureState, after: DisclosureState, rng: random.Random) -> None:
        self.style, self.plan, self.rng = style, plan, rng
        self.before, self.after = before, after
        self.case = case
        self.ct = case_text(case)
        self.sit = self.ct.situations[situation_index]
        self.situation = case.situations[situation_index]
        self.situation_index = situation_index
        self.brief = plan.target_sentences <= 2
        # What this reply may go back over when it pads: the asked elements, or anything said
        # so far for an untargeted invitation.
        self.scope = allowed_elements(plan.moves)

    def pick(self, key: str) -> str:
        options = phrases()[key]
        if isinstance(options, dict):
            options = options.get(self.style, options["default"])
        return self.rng.choice(options)

    def lowered(self, s: str) -> str:
        return lower_first(s, self.ct.proper_words)

    def hedged(self, s: str) -> str:
        return self.pick("hedge") + self.lowered(s)

    def again(self, s: str, element: str) -> str:
        asked = any(m.startswith("ask_") for m in self.plan.moves)
        if asked and element in self.before.surfaced and self.rng.random() < 0.7:
            return self.pick("repeat_lead") + self.lowered(s)
        return s

    def emotions(self) -> str:
        words = [self.rng.choice(e[:2]) for e in self.sit.emotions[:2]]
        felt = " and ".join(dict.fromkeys(words))
        return self.pick("emotion").format(e=felt)

    def problem(self) -> str:
        if self.ct.problem_is_sentence:
            return self.ct.problem  # its callers split it into sentences, which ends each one
        return self.pick("problem").format(problem=self.lowered(self.ct.problem))

    # -- deeper layers, indirectly --

    def voicings(self, element: str) -> list[str]:
        """The case's indirect voicings of a deeper element for this situation (none when the
        situation has its own version of the element, which the patient-level voicings do not fit)."""
        if element in self.sit.overridden:
            return []
        return list(getattr(self.case.voicings, element))

    def deep(self, element: str, reference: tuple[str, ...]) -> list[tuple[str, int]]:
        """What the patient says of a rule or a way of coping: one or two voicings, or a fragment."""
        voiced = self.voicings(element)
        if voiced:
            said = self.rng.sample(voiced, 1 if self.brief else min(2, len(voiced)))
            return [(said[0], ESSENTIAL), *((v, DETAIL) for v in said[1:])]
        pieces = [f for f in (fragment(s) for s in reference) if f]
        if not pieces:
            log.warning("case %s has nothing to voice for %s in situation %d", self.case.id,
                        element, self.situation_index)
            return []
        log.debug("case %s has no voicings for %s: speaking a fragment", self.case.id, element)
        return [(self.pick("fragment").format(f=self.lowered(self.rng.choice(pieces[:2]))),
                 ESSENTIAL)]

    def belief_voicing(self, belief: str) -> str:
        own = self.case.voicings.core_beliefs.get(belief)
        if not own:
            log.debug("case %s has no voicings for %r: using the generic hints", self.case.id, belief)
        return self.rng.choice(own or belief_hints()[belief])

    def intensity(self) -> str:
        of = self.plan.scale

        def n(value: int) -> str:
            return str(round(value / 10)) if of == 10 else str(value)

        if self.plan.intensity == "belief":
            then, now = self.situation.belief_then, self.situation.belief_now
            if then is None:
                log.debug("case %s situation %d has no belief ratings", self.case.id,
                          self.situation_index)
                return self.pick("intensity_unknown")
            if now is None:
                return self.pick("belief_rating_then").format(then=n(then), of=of)
            return self.pick("belief_rating").format(then=n(then), now=n(now), of=of)
        rated = self.situation.emotion_intensity
        if not rated:
            log.debug("case %s situation %d has no emotion ratings", self.case.id,
                      self.situation_index)
            return self.pick("intensity_unknown")
        parts = [self.pick("emotion_part").format(e=label.split(",")[0], n=n(value))
                 for label, value in rated.items()]
        return self.pick("emotion_rating").format(parts=listing(parts), of=of)

    def risk(self) -> list[str]:
        manner, aspects = self.plan.risk_manner, self.plan.risk_aspects
        if manner == "honest":
            said = []
            for aspect in aspects:
                answer = self.case.risk.answer(aspect)
                if not answer:
                    log.debug("case %s has no %s in its risk profile: a plain no", self.case.id,
                              aspect)
                said.append(answer or self.pick_from(phrases()["risk_absent"][aspect]))
            return said
        if manner == "plain_no":
            key = "risk_none_protective" if aspects == ["protective_factors"] else "risk_none"
            return [self.pick(key)]
        if manner == "minimise":
            return [self.pick("risk_minimise")]
        return [self.pick("risk_noncommittal")]

    def pick_from(self, options: list[str]) -> str:
        return self.rng.choice(options)

    def element(self, element: str, reply: _Reply) -> None:
        """Add what the patient says about one element: its first sentence is the essential one."""
        sentences: tuple[str, ...] = ()
        lead = None
        if element == "risk":
            for answer in self.risk():
                reply.add(answer, ESSENTIAL)
            return
        if element == "intensity":
            reply.add(self.intensity(), ESSENTIAL)
            return
        if element == "goals":
            goals = self.case.goals
            if not goals:
                log.debug("case %s has no goals: a vague answer", self.case.id)
            reply.add(self.again(goals, element) if goals else self.pick("goals_unknown"), ESSENTIAL)
            return
        if element == "body":
            if not self.sit.body:
                log.debug("case %s situation %d has no body sensations", self.case.id,
                          self.situation_index)
                reply.add(self.pick("body_unknown"), ESSENTIAL)
                return
            sentences = self.sit.body
        elif element == "situation":
            sentences = self.sit.situation
            if element not in self.before.surfaced:
                lead = self.pick("situation_lead")
        elif element == "emotions":
            reply.add(self.again(self.emotions(), element), ESSENTIAL)
            return
        elif element == "behavior":
            sentences = self.sit.behavior
        elif element == "automatic_thoughts":
            said = self.sit.thoughts[:1] if self.brief else self.sit.thoughts
            if said:
                reply.add(self.again(self.pick("thought").format(t=" ".join(said)), element),
                          ESSENTIAL)
            return
        elif element == "history":
            sentences = tuple(self.voicings("history")) or self.ct.history
            if self.case.voicings.history:
                sentences = tuple(self.rng.sample(sentences, min(2, len(sentences))))
            lead = self.pick("history_lead")
        elif element in ("intermediate_beliefs", "intermediate_beliefs_depression",
                         "coping_strategies"):
            reference, lead_key = {
                "intermediate_beliefs": (self.sit.rules, "rule_lead"),
                "intermediate_beliefs_depression": (self.sit.rules_depression, "depression_lead"),
                "coping_strategies": (self.sit.coping, "coping_lead"),
            }[element]
            said = self.deep(element, reference)
            if not said:
                return
            if not self.brief:
                reply.add(self.pick(lead_key), CONNECTIVE)
            text, weight = said[0]
            reply.add(self.again(text, element), weight)
            for text, weight in said[1:]:
                reply.add(text, weight)
            return
        elif element == "core_beliefs":
            for belief in self.plan.core_beliefs:
                reply.add(self.pick("belief").format(b=self.belief_voicing(belief)), ESSENTIAL)
            return
        if not sentences:
            return
        if lead and not self.brief:
            reply.add(lead, CONNECTIVE)
        first = self.hedged(sentences[0]) if self.brief and self.rng.random() < 0.5 else sentences[0]
        reply.add(self.again(first, element), ESSENTIAL)
        for s in sentences[1:]:
            reply.add(s, DETAIL)

    def tangent(self, reply: _Reply) -> None:
        reply.add(self.pick("tangent_open"), CONNECTIVE)
        others = [s for i, s in enumerate(self.ct.situations) if i != self.situation_index
                  and s.situation]
        # The drift itself is what the plan asked for: it survives trimming.
        if others and self.rng.random() < 0.5:
            reply.add(self.rng.choice(others).situation[0], ESSENTIAL)
        else:
            reply.add(self.pick("occupation").format(occupation=self.lowered(self.ct.occupation)),
                      ESSENTIAL)

    def allowed_detail(self) -> list[str]:
        """Case sentences the patient has already shared and may go back over: within what was
        asked, or anything said so far when nothing in particular was asked."""
        out: list[str] = split_sentences(self.problem()) if self.scope is None else []
        for element in self.after.surfaced:
            if self.scope is not None and element not in self.scope:
                continue
            if element == "situation":
                out += self.sit.situation
            elif element == "behavior":
                out += self.sit.behavior
            elif element == "body":
                out += self.sit.body
            elif element == "history":
                out += self.voicings("history") or list(self.ct.history)
            elif element in ("coping_strategies", "intermediate_beliefs"):
                out += self.voicings(element)  # never the reference sentences themselves
        return out

    def compose(self) -> str:
        plan, moves, acts = self.plan, set(self.plan.moves), set(self.plan.behaviours)
        reply = _Reply()
        if "probe_prompt" in moves:
            reply.add(self.pick("probe"), CONNECTIVE)
            return reply.text()
        if "closing" in moves:
            reply.add(self.pick("closing"), CONNECTIVE)
            if "agree" in acts:
                reply.add(self.pick("agree"), CONNECTIVE)
            return reply.text()

        if "greeting" in moves:
            reply.add(self.pick("greeting"), CONNECTIVE)
        if "judgmental" in moves:
            key = "judged_agree" if "agree" in acts else "resist_judged" if "resist" in acts else "hurt"
            reply.add(self.pick(key), ESSENTIAL)
        elif "resist" in acts:
            reply.add(self.pick("resist"), ESSENTIAL)
        elif "abrupt" in moves:
            reply.add(self.pick("abrupt_ack"), CONNECTIVE)
        if "summarise" in moves:
            reply.add(self.pick("summary_ack"), CONNECTIVE)
        elif moves & {"reflect", "validate"}:
            reply.add(self.pick("acknowledge"), CONNECTIVE)
            if not plan.reveal and not self.brief:
                reply.add(self.pick("reflect_more"), CONNECTIVE)
        if "psychoeducation" in moves:
            reply.add(self.pick("psychoeducation_ack"), CONNECTIVE)
        if "off_topic" in moves:
            reply.add(self.pick("off_topic"), ESSENTIAL)

        opening = "situation" in plan.reveal and "situation" not in self.before.surfaced
        if opening or ("agenda" in moves and not plan.reveal):
            # Sentence by sentence, the first one weighted as the whole used to be and the rest as
            # detail: a short reply keeps the start of the patient's own words.
            first, *rest = split_sentences(self.problem())
            reply.add(first, ESSENTIAL if not plan.reveal else DETAIL)
            for sentence in rest:
                reply.add(sentence, DETAIL)
        for element in plan.reveal:
            self.element(element, reply)
        if plan.withheld and "deflect" in acts:
            reply.add(self.pick("deflect"), ESSENTIAL if not plan.reveal else CONNECTIVE)
        if "agree" in acts and "judgmental" not in moves:
            reply.add(self.pick("agree"), CONNECTIVE)
        if "tangent" in acts:
            self.tangent(reply)
        if "greeting" in moves and reply.count() <= 1:
            reply.add(self.pick("how_are_you"), CONNECTIVE)
        if plan.cue is not None:
            reply.add(self.case.risk.cues[plan.cue], ESSENTIAL)  # let slip, unasked
        if not reply.parts:
            reply.add(self.pick("other" if moves & FACT_FREE or "off_topic" in moves else "continue"),
                      ESSENTIAL)

        self.pad(reply, acts)
        reply.trim(plan.target_sentences)
        if self.brief and reply.count() <= 1 and self.rng.random() < 0.3:
            text, weight = reply.parts[0]
            reply.parts[0] = (self.hedged(text), weight)
        return reply.text()

    def pad(self, reply: _Reply, acts: set[str]) -> None:
        """Long-winded styles go back over what they have already said."""
        if reply.count() >= self.plan.target_sentences:
            return
        if "elaborate" in acts:
            detail = self.allowed_detail()
            self.rng.shuffle(detail)
            fill = [(s, DETAIL) for s in detail] + [(f, FILLER) for f in phrases()["filler"]]
            self.rng.shuffle(fill)
        elif "tangent" in acts:
            fill = [(self.pick("occupation").format(
                occupation=self.lowered(self.ct.occupation)), DETAIL), (self.pick("filler"), FILLER)]
        elif "agree" in acts:
            fill = [(a, FILLER) for a in self.rng.sample(phrases()["agree"], 2)]
        else:
            return
        for text, weight in fill:
            if reply.count() >= self.plan.target_sentences:
                break
            reply.add(text, weight)


def render(case: PatientCase, situation_index: int, style: str, plan: TurnPlan,
           before: DisclosureState, after: DisclosureState, seed: int = 0) -> str:
    """The patient's words for `plan`, never the same as the previous reply."""
    text = ""
    for attempt in range(6):
        rng = random.Random(f"render:{seed}:{after.turn}:{case.id}:{attempt}")
        renderer = _Renderer(case, situation_index, style, plan, before, after, rng)
        text = renderer.compose()
        if text != before.last_reply:
            return text
    # Every variant matched the last reply: change the opening words instead.
    hedges = [h for h in phrases()["hedge"] if not text.startswith(h)]
    return hedges[after.turn % len(hedges)] + renderer.lowered(text)


def _chunks(text: str) -> Iterator[str]:
    yield from re.findall(r"\S+\s*", text)


class OfflineEngine:
    """The default patient engine: no key, no network, the same reply for the same seed."""

    label = "offline"

    def reply(self, request: TurnRequest) -> PatientReply:
        if not request.transcript or request.transcript[-1].role != "therapist":
            raise EngineError("There is no message from you to answer yet.")
        message = request.transcript[-1].text
        plan, state = plan_turn(request.case, request.situation_index, request.style,
                                request.state, message, request.seed, request.recognition)
        text = render(request.case, request.situation_index, request.style, plan,
                      request.state, state, request.seed)
        state = state.model_copy(update={"last_reply": text})
        return PatientReply(state=state, plan=plan, chunks=_chunks(text))
