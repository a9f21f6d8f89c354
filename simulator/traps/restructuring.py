"""Guided cognitive restructuring with a simulated patient (DESIGN.md section 5).

The trainee leads identification (automatic thought -> intermediate belief -> core belief) and
restructuring (evidence for, facts only -> evidence against -> verdict and a balanced alternative
thought), then moves on to the next distorted thought. The stage is tracked from what the trainee
does. The offline patient answers from the case only, and its belief in the thought (0-100%)
moves only for restructuring steps that were done well.
"""

from __future__ import annotations

import json
import random
import re
import threading
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel

from simulator.accounts.actor import Actor
from simulator.cbt import moves
from simulator.cbt.case import PatientCase
from simulator.cbt.voice import case_text
from simulator.core.settings import DATA_DIR
from simulator.llm.fallback import with_fallback
from simulator.traps import store as traps_store
from simulator.traps.detector import detect_offline
from simulator.traps.patterns import name_of
from simulator.traps.reframe import check_reframe_offline


IDENTIFICATION = ("automatic_thought", "intermediate_belief", "core_belief")
RESTRUCTURING = ("evidence_for", "evidence_against", "alternative")
STAGES = IDENTIFICATION + RESTRUCTURING
STAGE_NAMES = {
    "automatic_thought": "Automatic thought", "intermediate_belief": "Intermediate belief",
    "core_belief": "Core belief", "evidence_for": "Evidence for (facts only)",
    "evidence_against": "Evidence against", "alternative": "Verdict and balanced alternative",
}
ACT_STAGE = {
    "ask_thought": "automatic_thought", "ask_intermediate": "intermediate_belief",
    "ask_core": "core_belief", "ask_evidence_for": "evidence_for", "facts_check": "evidence_for",
    "ask_evidence_against": "evidence_against", "ask_alternative": "alternative",
    "propose_alternative": "alternative",
}
# Order in which acts are recognised: the more specific first.
ACT_ORDER = ("ask_rating", "next_thought", "propose_alternative", "ask_alternative",
             "ask_evidence_against", "facts_check", "ask_evidence_for", "ask_core",
             "ask_intermediate", "ask_thought", "dispute", "ask_more")

# How far belief in the thought falls for each restructuring step done well (percentage points).
DROP_FACTS_ONLY = 10
DROP_PER_COUNTER = 12
MAX_COUNTERS = 2
DROP_ALTERNATIVE = 20
RISE_PER_SETBACK = 5  # judging or arguing with the patient undoes some of the work

Status = Literal["pending", "done", "skipped"]


class StageMark(BaseModel):
    status: Status = "pending"
    turn: int | None = None
    attempts: int = 0


class ThoughtWork(BaseModel):
    situation_index: int
    text: str
    patterns: list[str] = []
    belief_start: int
    belief_end: int | None = None
    stages: dict[str, StageMark] = {}
    evidence_for: list[str] = []
    facts_only: bool = False
    evidence_against: list[str] = []
    alternative: str | None = None
    alternative_by: Literal["patient", "trainee"] | None = None
    alternative_ok: bool = False
    alternative_notes: list[str] = []
    setbacks: int = 0


class RTurn(BaseModel):
    role: Literal["therapist", "patient"]
    text: str
    acts: list[str] = []
    stage: str | None = None


class StageFeedback(BaseModel):
    stage: str
    title: str
    status: str
    text: str


class RestructuringState(BaseModel):
    case_id: str
    situation_index: int
    seed: int = 0
    identification: dict[str, StageMark] = {s: StageMark() for s in IDENTIFICATION}
    thoughts: list[ThoughtWork] = []
    queue: list[tuple[int, str]] = []  # distorted thoughts still to work on
    turns: list[RTurn] = []
    stage: str = "automatic_thought"  # the stage the trainee is working on now
    supportive: int = 0
    judgmental: int = 0
    finished: bool = False
    feedback: list[StageFeedback] = []

    @property
    def current(self) -> ThoughtWork:
        return self.thoughts[-1]

    def mark(self, stage: str) -> StageMark:
        return self.identification[stage] if stage in IDENTIFICATION else self.current.stages[stage]

    def next_stage(self) -> str | None:
        for s in STAGES:
            if self.mark(s).status == "pending":
                return s
        return None


# ---------------------------------------------------------------- data

@lru_cache(maxsize=1)
def _data() -> dict:
    raw = json.loads((DATA_DIR / "traps" / "restructuring.json").read_text(encoding="utf-8"))
    acts = {k: [re.compile(rx, re.IGNORECASE) for rx in v] for k, v in raw["acts"].items()}
    return {"acts": acts, "patient": raw["patient"]}


class CaseThought(BaseModel):
    situation_index: int
    text: str
    patterns: list[str]


def case_thoughts(case: PatientCase) -> list[CaseThought]:
    """Every automatic thought of the case, one sentence each, with the patterns it shows."""
    out = []
    for i, sit in enumerate(case_text(case).situations):
        for sentence in sit.thoughts:
            found = detect_offline(sentence).found()
            out.append(CaseThought(situation_index=i, text=sentence, patterns=[p.pattern for p in found]))
    return out


def distorted_thoughts(case: PatientCase) -> list[CaseThought]:
    return [t for t in case_thoughts(case) if t.patterns]


# ---------------------------------------------------------------- what the trainee does

def classify(message: str) -> list[str]:
    """The trainee's restructuring acts in this message, most specific first, plus supportive moves."""
    text = message.replace("\u2019", "'").lower()
    acts = [a for a in ACT_ORDER if any(rx.search(text) for rx in _data()["acts"][a])]
    general = set(moves.classify(message))
    acts += [m for m in ("reflect", "validate", "summarise", "judgmental") if m in general]
    return acts


def _proposal(message: str) -> str | None:
    for rx in _data()["acts"]["propose_alternative"]:
        m = rx.search(message.replace("\u2019", "'"))
        if m:
            return m.group("text").strip().rstrip(".?!") + "."
    return None


# ---------------------------------------------------------------- the patient

def _lower_first(s: str) -> str:
    return s if re.match(r"I\b|I'", s) else s[:1].lower() + s[1:]


def _core_clause(case: PatientCase, situation_index: int = 0) -> str:
    belief = case.model_for(situation_index).core_beliefs[0].rstrip(".")
    return re.sub(r"^I am\b", "I'm", belief)


class _Patient:
    def __init__(self, case: PatientCase, state: RestructuringState) -> None:
        self.case = case
        self.state = state
        self.text = case_text(case).situations[state.current.situation_index]
        self.rng = random.Random(state.seed * 1009 + len(state.turns))
        self.phrases = _data()["patient"]

    def say(self, key: str, **values: str) -> str:
        return self.rng.choice(self.phrases[key]).format(**values)

    def fact(self) -> str:
        return self.text.situation[0] if self.text.situation else self.case.presenting_problem

    def interpretation(self) -> str:
        others = [t for t in self.text.thoughts if t != self.state.current.text]
        return others[0] if others else self.state.current.text

    def rule(self) -> str:
        rules = self.text.rules or self.text.rules_depression  # the situation's own rules
        return " ".join(rules[:2]) if rules else "I have to get things right."

    def counter(self, friend_first: bool) -> str | None:
        pool = list(self.phrases["against_pool"])
        random.Random(self.state.seed).shuffle(pool)
        if friend_first:
            pool.remove(self.phrases["friend_first"])
            pool.insert(0, self.phrases["friend_first"])
        used = set(self.state.current.evidence_against)
        fresh = [p for p in pool if p not in used]
        return fresh[0] if fresh and len(used) < 3 else None


# ---------------------------------------------------------------- belief

def belief_now(work: ThoughtWork) -> int:
    drop = 0
    if work.stages["evidence_for"].status == "done" and work.facts_only:
        drop += DROP_FACTS_ONLY
    drop += DROP_PER_COUNTER * min(len(work.evidence_against), MAX_COUNTERS)
    if work.alternative_ok and work.evidence_against:
        drop += DROP_ALTERNATIVE
    drop -= RISE_PER_SETBACK * work.setbacks
    return max(0, min(100, work.belief_start - max(drop, -10)))


def _start_belief(seed: int, n: int) -> int:
    return 70 + 5 * ((seed + 3 * n) % 5)  # 70-90%: the thought feels true at the start


def _new_work(state: RestructuringState, situation_index: int, text: str, patterns: list[str]) -> ThoughtWork:
    return ThoughtWork(situation_index=situation_index, text=text, patterns=patterns,
                       belief_start=_start_belief(state.seed, len(state.thoughts)),
                       stages={s: StageMark() for s in RESTRUCTURING})


# ---------------------------------------------------------------- the exercise

def begin(case: PatientCase, thought: CaseThought, seed: int = 0) -> RestructuringState:
    """A new exercise on one automatic thought; the patient opens with the situation and a rating."""
    state = RestructuringState(case_id=case.id, situation_index=thought.situation_index, seed=seed)
    state.thoughts.append(_new_work(state, thought.situation_index, thought.text, thought.patterns))
    rest = [t for t in distorted_thoughts(case) if t.text != thought.text]
    rest.sort(key=lambda t: t.situation_index != thought.situation_index)  # same situation first
    state.queue = [(t.situation_index, t.text) for t in rest]
    p = _Patient(case, state)
    opening = p.say("open", situation=" ".join(p.text.situation), thought=thought.text)
    opening += " " + p.say("rating", rating=str(state.current.belief_start))
    state.turns.append(RTurn(role="patient", text=opening))
    return state


def _advance(state: RestructuringState, stage: str, turn: int) -> None:
    """Mark `stage` done; stages before it that were never done count as skipped."""
    for s in STAGES[: STAGES.index(stage)]:
        if state.mark(s).status == "pending":
            state.mark(s).status = "skipped"
    mark = state.mark(stage)
    if mark.status != "done":
        mark.status, mark.turn = "done", turn


def respond(state: RestructuringState, case: PatientCase, message: str) -> RestructuringState:
    """The trainee says `message`; the patient answers. Returns the updated state (a copy)."""
    if state.finished:
        raise ValueError("This exercise has ended; start a new one to keep practising.")
    state = state.model_copy(deep=True)
    acts = classify(message)
    turn = len(state.turns)
    state.turns.append(RTurn(role="therapist", text=message, acts=acts))
    p = _Patient(case, state)
    work = state.current
    parts: list[str] = []
    if "judgmental" in acts:
        state.judgmental += 1
        work.setbacks += 1
        parts.append(p.say("judged"))
    if {"reflect", "validate", "summarise"} & set(acts):
        state.supportive += 1
    fact = p.fact()
    values = dict(thought=work.text, fact=fact, fact_lower=_lower_first(fact),
                  fact_lower_nodot=_lower_first(fact).rstrip("."), interpretation=p.interpretation(),
                  rule=p.rule(), core=_lower_first(_core_clause(case, work.situation_index)) + ".",
                  core_clause=_core_clause(case, work.situation_index))
    primary = next((a for a in ACT_ORDER if a in acts), None)
    if primary in ACT_STAGE:
        state.stage = ACT_STAGE[primary]
    if primary == "ask_more":
        primary = {"evidence_against": "ask_evidence_against"}.get(state.stage, "ask_more")

    if primary == "ask_rating":
        rating = belief_now(work)
        if work.stages["alternative"].status == "done":
            work.belief_end = rating
        parts.append(p.say("rating", rating=str(rating)))
    elif primary == "next_thought":
        parts.append(_next_thought(state, p))
    elif primary in ("ask_alternative", "propose_alternative"):
        parts.append(_alternative(state, p, message, primary, values, turn))
    elif primary == "ask_evidence_against":
        counter = p.counter(friend_first="friend" in message.lower())
        state.mark("evidence_against").attempts += 1
        if counter is None:
            parts.append(p.say("against_none"))
        else:
            key = "against_first" if not work.evidence_against else "against_more"
            parts.append(p.say(key, against=counter, against_lower=_lower_first(counter)))
            work.evidence_against.append(counter)
            _advance(state, "evidence_against", turn)
    elif primary == "facts_check":
        if work.stages["evidence_for"].status == "done" or work.evidence_for:
            work.facts_only = True
            work.evidence_for = [fact]
            parts.append(p.say("facts_check", **values))
        else:
            _advance(state, "evidence_for", turn)
            work.facts_only = True
            work.evidence_for = [fact]
            parts.append(p.say("evidence_for_facts", **values))
    elif primary == "ask_evidence_for":
        _advance(state, "evidence_for", turn)
        if re.search(r"\bfacts?\b", message, re.IGNORECASE):
            work.facts_only = True
            work.evidence_for = [fact]
            parts.append(p.say("evidence_for_facts", **values))
        else:
            work.evidence_for = [fact, p.interpretation()]
            parts.append(p.say("evidence_for", **values))
    elif primary == "ask_core":
        state.identification["core_belief"].attempts += 1
        if state.identification["intermediate_belief"].status == "done":
            _advance(state, "core_belief", turn)
            parts.append(p.say("core", **values))
        else:
            parts.append(p.say("core_early"))
    elif primary == "ask_intermediate":
        _advance(state, "intermediate_belief", turn)
        parts.append(p.say("intermediate", **values))
    elif primary == "ask_thought":
        _advance(state, "automatic_thought", turn)
        parts.append(p.say("thought", **values))
    elif primary == "dispute":
        work.setbacks += 1
        parts.append(p.say("dispute"))
    elif not parts:
        parts.append(p.say("heard" if state.supportive and acts else "other"))
    state.turns.append(RTurn(role="patient", text=" ".join(parts), stage=state.stage))
    return state


def _alternative(state: RestructuringState, p: _Patient, message: str, act: str, values: dict,
                 turn: int) -> str:
    work = state.current
    _advance(state, "alternative", turn)
    proposal = _proposal(message) if act == "propose_alternative" else None
    if proposal:
        fb = check_reframe_offline(work.text, proposal, " ".join(p.text.situation))
        ok = fb.met >= 3 and fb.realistic.ok and fb.addresses_thought.ok
        work.alternative, work.alternative_by, work.alternative_ok = proposal, "trainee", ok
        work.alternative_notes = [c.detail for c in (fb.addresses_thought, fb.realistic, fb.keeps_context,
                                                     fb.honours_feeling) if not c.ok]
        return p.say("accept" if ok else "reject")
    if work.evidence_against:
        against = work.evidence_against[0]
        text = p.say("alternative_good", against_lower_nodot=_lower_first(against).rstrip("."), **values)
        work.alternative, work.alternative_by, work.alternative_ok = text, "patient", True
        return text
    text = p.say("alternative_weak")
    work.alternative, work.alternative_by, work.alternative_ok = None, "patient", False
    return text


def _next_thought(state: RestructuringState, p: _Patient) -> str:
    if not state.queue:
        return p.say("no_next")
    state.current.belief_end = belief_now(state.current)
    situation_index, text = state.queue.pop(0)
    found = detect_offline(text).found()
    state.thoughts.append(_new_work(state, situation_index, text, [f.pattern for f in found]))
    state.stage = "evidence_for" if state.identification["core_belief"].status == "done" else "automatic_thought"
    rating = p.say("rating", rating=str(state.current.belief_start))
    return p.say("next", next=text) + " " + rating


def conclude(state: RestructuringState) -> RestructuringState:
    """End the exercise: the patient's final rating for the thought in hand, and per-stage feedback."""
    state = state.model_copy(deep=True)
    if state.current.belief_end is None:
        state.current.belief_end = belief_now(state.current)
    state.finished = True
    state.feedback = stage_feedback(state)
    return state


# ---------------------------------------------------------------- feedback

_IDENT_TEXT = {
    ("automatic_thought", "done"): "You had the patient put the thought in their own words.",
    ("automatic_thought", "skipped"): "You moved on without asking for the thought in the patient's own words.",
    ("automatic_thought", "pending"): "The thought was never put into words by the patient; start with "
                                      "\u201cwhat went through your mind?\u201d",
    ("intermediate_belief", "done"): "You asked what the thought meant, which brought out the rule behind it.",
    ("intermediate_belief", "skipped"): "You went past the rule behind the thought; ask \u201cwhat would it "
                                        "mean if that were true?\u201d",
    ("intermediate_belief", "pending"): "The rule behind the thought was not explored.",
    ("core_belief", "done"): "You followed the thread down to the core belief.",
    ("core_belief", "skipped"): "The core belief was not reached before restructuring began.",
    ("core_belief", "pending"): "The core belief was not reached; after the rule, ask what it says about them "
                                "as a person.",
}


def stage_feedback(state: RestructuringState) -> list[StageFeedback]:
    out = []
    for s in IDENTIFICATION:
        mark = state.identification[s]
        text = _IDENT_TEXT[(s, mark.status)]
        if s == "core_belief" and mark.status != "done" and mark.attempts:
            text += " You asked about it before the rule behind the thought was clear, so the patient could not say."
        out.append(StageFeedback(stage=s, title=STAGE_NAMES[s], status=mark.status, text=text))
    for n, work in enumerate(state.thoughts, start=1):
        label = f" (thought {n})" if len(state.thoughts) > 1 else ""
        ev = work.stages["evidence_for"].status
        if ev == "done" and work.facts_only:
            text = "You kept the evidence for the thought to facts, separating what happened from how it was read."
        elif ev == "done":
            text = ("You gathered evidence for the thought but let interpretations stand as facts; ask "
                    "\u201cwhat actually happened?\u201d")
        else:
            text = "The evidence for the thought was not examined."
        out.append(StageFeedback(stage="evidence_for", title=STAGE_NAMES["evidence_for"] + label,
                                 status=ev, text=text))
        k = len(work.evidence_against)
        text = (f"You drew out {k} piece{'s' if k != 1 else ''} of evidence against the thought"
                + (", and kept asking for more." if k >= MAX_COUNTERS else "; one more question (\u201canything else?\u201d) could add more.")
                if k else "The evidence against the thought was not explored.")
        out.append(StageFeedback(stage="evidence_against", title=STAGE_NAMES["evidence_against"] + label,
                                 status=work.stages["evidence_against"].status, text=text))
        alt = work.stages["alternative"].status
        if alt != "done":
            text = "No verdict or balanced alternative thought was reached."
        elif work.alternative_ok and work.evidence_against:
            who = "you proposed" if work.alternative_by == "trainee" else "the patient formed"
            text = f"A balanced alternative that {who} rests on the evidence: \u201c{work.alternative}\u201d"
        elif work.alternative_by == "trainee":
            text = "The alternative you proposed did not land: " + (" ".join(work.alternative_notes) or
                                                                   "it was not built on the evidence yet.")
        else:
            text = ("You asked for a verdict before any evidence against the thought was on the table, so the "
                    "patient could not form a balanced alternative.")
        out.append(StageFeedback(stage="alternative", title=STAGE_NAMES["alternative"] + label, status=alt, text=text))
        end = work.belief_end if work.belief_end is not None else belief_now(work)
        moved = work.belief_start - end
        patterns = ", ".join(name_of(p).lower() for p in work.patterns) or "no clear pattern"
        out.append(StageFeedback(
            stage="belief", title=f"Belief in the thought{label}", status="done",
            text=(f"\u201c{work.text}\u201d ({patterns}): {work.belief_start}% at the start, {end}% at the end"
                  + (f", down {moved} points." if moved > 0 else ", unchanged." if moved == 0 else f", up {-moved} points."))))
    if state.judgmental:
        out.append(StageFeedback(stage="process", title="Manner", status="note",
                                 text=f"{state.judgmental} message(s) sounded judging; the patient held on to the thought more."))
    if state.supportive:
        out.append(StageFeedback(stage="process", title="Support", status="note",
                                 text=f"You reflected, validated or summarised {state.supportive} time(s), which kept the patient with you."))
    return out


# ---------------------------------------------------------------- stored exercises

def start(store, actor: Actor | None, case: PatientCase, thought: CaseThought, seed: int = 0,
          engine: str = "offline") -> tuple[str, RestructuringState]:
    state = begin(case, thought, seed)
    sid = traps_store.insert_session(store, actor, case.id, thought.situation_index, engine,
                                     json.dumps({"case": case.model_dump(mode="json"),
                                                 "state": state.model_dump(mode="json")}))
    return sid, state


def load(store, actor: Actor | None, session_id: str) -> tuple[PatientCase, RestructuringState]:
    row = traps_store.session_row(store, actor, session_id)
    data = json.loads(row["state_json"])
    return PatientCase.model_validate(data["case"]), RestructuringState.model_validate(data["state"])


def _save(store, actor: Actor | None, session_id: str, case: PatientCase, state: RestructuringState) -> None:
    traps_store.update_session(store, actor, session_id,
                               json.dumps({"case": case.model_dump(mode="json"), "state": state.model_dump(mode="json")}),
                               "ended" if state.finished else "active")


_session_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(session_id: str) -> threading.Lock:
    with _locks_guard:
        return _session_locks.setdefault(session_id, threading.Lock())


def say(store, actor: Actor | None, session_id: str, message: str, settings=None) -> RestructuringState:
    """Answer one trainee message. Raises MessageRejected (empty, too long) or ValueError (finished).

    The stage, the belief rating and what the patient conveys are decided by the rules above on
    both engines; with the LLM engine configured, the model words that answer in the patient's
    voice, and the rule-based wording stays whenever the model fails. Load, answer and save hold a
    per-exercise lock, so two tabs never lose each other's turn.
    """
    from simulator.core.messages import check_message

    message = check_message(message)
    with _lock_for(session_id):
        case, state = load(store, actor, session_id)
        if state.finished:
            raise ValueError("This exercise is finished; start a new one to keep practising.")
        state = respond(state, case, message)
        if settings is not None and settings.uses_llm:
            from simulator.modeluse.access import caller_for

            caller = caller_for(store, "restructuring", actor.id if actor else None)
            state.turns[-1].text = voice_with_llm(state, case, settings.llm, caller) or state.turns[-1].text
        _save(store, actor, session_id, case, state)
    return state


def voice_with_llm(state: RestructuringState, case: PatientCase, llm_settings, caller=None) -> str | None:
    """The last patient answer re-worded by the model, or None if the model fails in any way."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    from simulator.cbt.patient_prompt import patient_system_prompt
    from simulator.llm.client import chat_model, stream_text
    from simulator.llm.templates import render

    work = state.current
    messages = [SystemMessage(patient_system_prompt(case, state.situation_index, "plain",
                                                    llm_settings.max_reply_tokens))]
    for turn in state.turns[:-1]:
        messages.append(HumanMessage(turn.text) if turn.role == "therapist" else AIMessage(turn.text))
    messages.append(SystemMessage(render(
        "restructuring_voice", thought=work.text, stage=STAGE_NAMES.get(state.stage, state.stage),
        content=state.turns[-1].text, name=case.name)))
    text = with_fallback("restructuring wording",
                         lambda: "".join(stream_text(chat_model(llm_settings), messages, llm_settings, caller)).strip(),
                         lambda why: "")  # the rule-based wording stands
    return text or None


def finish(store, actor: Actor | None, session_id: str) -> RestructuringState:
    with _lock_for(session_id):  # the same lock as say(): a turn saved meanwhile is kept
        case, state = load(store, actor, session_id)
        if not state.finished:
            state = conclude(state)
            _save(store, actor, session_id, case, state)
    return state


def sessions(store, actor: Actor | None, owner: str | None = None) -> list[dict]:
    """Summaries of stored exercises, newest first."""
    out = []
    for row in traps_store.session_rows(store, actor, owner):
        state = RestructuringState.model_validate(json.loads(row["state_json"])["state"])
        first = state.thoughts[0]
        out.append({"id": row["id"], "case_id": row["case_id"], "status": row["status"],
                    "updated_at": row["updated_at"], "thought": first.text,
                    "belief_start": first.belief_start,
                    "belief_end": first.belief_end if first.belief_end is not None else belief_now(first),
                    "stages_done": sum(state.mark(s).status == "done" for s in IDENTIFICATION)
                    + sum(m.status == "done" for w in state.thoughts for m in w.stages.values()),
                    "thoughts": len(state.thoughts)})
    return out
