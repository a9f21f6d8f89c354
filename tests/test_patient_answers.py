"""The patient answers the question that was asked, from the case's version-2 fields, and lets the
trainee infer the deeper layers instead of reciting them.

Moves are given explicitly (a `Recognition`), so these tests hold whatever the recogniser makes of
a message; the message-only path is covered by the bad-input test at the end.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import get_args

import pytest

from simulator.cbt.case import RISK_ASPECTS, PatientCase
from simulator.cbt.disclosure import FACT_FREE, allowed_elements, plan_turn
from simulator.cbt.engine import TurnRequest
from simulator.cbt.engine_offline import OfflineEngine, fragment, phrases
from simulator.cbt.interview import DisclosureState, Element, Turn
from simulator.cbt.library import CaseLibrary
from simulator.cbt.moves import Recognition
from simulator.cbt.vocab import CORE_BELIEFS, STYLES
from simulator.cbt.voice import case_text, first_person
from simulator.core.messages import MAX_MESSAGE_CHARS
from simulator.core.settings import DATA_DIR
from simulator.core.text import split_sentences
from tests.test_engine_offline import THIRD_PERSON

LIBRARY = CaseLibrary.load(DATA_DIR / "patients")
CASES = list(LIBRARY)
ALL_CASES = CASES + [THIRD_PERSON]
ALL_IDS = [c.id for c in ALL_CASES]
ELEMENTS = get_args(Element)
# Outside writers' move sets A and B: blind to the patient (nothing in it is tuned on them); the move
# recogniser learns from them since 2026-12-04, which these tests, given the gold moves, do not use.
BLIND = [DATA_DIR / "moves" / "writers" / "moves_a.jsonl", DATA_DIR / "moves" / "writers" / "moves_b.jsonl"]
BANK = DATA_DIR / "moves" / "bank.jsonl"


def R(*moves: str, aspects: tuple[str, ...] = ()) -> Recognition:
    return Recognition(moves=list(moves), risk_aspects=list(aspects))


def say(case: PatientCase, turns: list[tuple[str, Recognition]], style: str = "plain",
        situation: int = 0, seed: int = 0, state: DisclosureState | None = None):
    """Play (message, recognition) pairs; return [(reply, plan)] and the final state."""
    engine = OfflineEngine()
    transcript: list[Turn] = []
    state = state or DisclosureState()
    out = []
    for text, recognition in turns:
        transcript.append(Turn(index=len(transcript), role="therapist", text=text))
        reply = engine.reply(TurnRequest(case=case, situation_index=situation, style=style,
                                         transcript=list(transcript), state=state, seed=seed,
                                         recognition=recognition))
        said = "".join(reply.chunks)
        transcript.append(Turn(index=len(transcript), role="patient", text=said))
        state = reply.state
        out.append((said, reply.plan))
    return out, state


WARM_UP = [
    ("Hi, thanks for coming in.", R("greeting")),
    ("What brings you in today?", R("open_question", "agenda")),
    ("Can you tell me about a recent time it was hard?", R("open_question", "ask_situation")),
    ("That sounds really hard.", R("validate")),
    ("How did you feel?", R("open_question", "ask_feelings")),
    ("It makes sense you'd feel that way.", R("validate")),
]
DEEP = [
    ("What went through your mind?", R("open_question", "ask_thoughts")),
    ("That thought really stayed with you.", R("reflect")),
    ("If that were true, what would it mean?", R("open_question", "ask_meaning")),
    ("Thank you for telling me that.", R("validate")),
    ("And what would that say about you?", R("open_question", "ask_meaning")),
    ("That sounds painful.", R("reflect")),
    ("What does that say about you, deep down?", R("open_question", "ask_meaning")),
    ("And if that were so?", R("open_question", "ask_meaning")),
    ("It makes sense.", R("validate")),
    ("What would that mean about you as a person?", R("open_question", "ask_meaning")),
    ("How do you usually get through days like that?", R("open_question", "ask_coping")),
    ("Where do you think this comes from?", R("open_question", "ask_history")),
    ("What else has been on your mind?", R("open_question")),
    ("Tell me more.", R("open_question")),
    ("What would you like to be different by the end of our work?", R("open_question", "ask_goals")),
    ("Where did you notice that in your body?", R("open_question", "ask_body")),
    ("How strong was that feeling, 0 to 100?", R("closed_question", "ask_intensity")),
    ("How much did you believe that thought then, and now?", R("closed_question", "ask_intensity")),
    ("Let me summarise what I've heard.", R("summarise")),
    ("What does that say about you?", R("open_question", "ask_meaning")),
    ("Have you had thoughts of ending your life?", R("closed_question", "ask_risk", aspects=("ideation",))),
    ("Have you thought about how?", R("closed_question", "ask_risk", aspects=("plan",))),
    ("What keeps you going?", R("open_question", "ask_risk", aspects=("protective_factors",))),
    ("What did you have for breakfast?", R("off_topic")),
    ("Purple monkey dishwasher.", R("other")),
    ("How do you usually cope?", R("open_question", "ask_coping")),
    ("What else?", R("open_question")),
    ("Let's stop here for today.", R("closing")),
]
LONG_SESSION = WARM_UP + DEEP


# ---------------------------------------------------------------- what a reply may not say

def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower()
    return " ".join(re.findall(r"[\w']+", text))


def _reference_sentences(case: PatientCase) -> list[str]:
    """Whole reference sentences of the rules, the depression rule and coping, as the case has
    them and in the patient's first person, for every situation's effective model."""
    out: list[str] = []
    for i in range(len(case.situations)):
        model = case.model_for(i)
        for text in (model.intermediate_beliefs, model.intermediate_beliefs_depression,
                     model.coping_strategies):
            if text:
                out += split_sentences(text) + split_sentences(first_person(text, case))
    return [_norm(s) for s in out if len(s.split()) >= 3]


def assert_no_answer_key(reply: str, case: PatientCase) -> None:
    low = _norm(reply)
    for label in CORE_BELIEFS:
        assert _norm(label) not in low, (label, reply)
    for sentence in _reference_sentences(case):
        assert sentence not in low, (sentence, reply)


@pytest.mark.parametrize("case", ALL_CASES, ids=ALL_IDS)
def test_no_reply_recites_a_belief_label_or_a_whole_rule_or_coping_sentence(case: PatientCase) -> None:
    deep_said = 0
    for situation in range(len(case.situations)):
        for style in STYLES:
            for seed in (0, 1):
                replies, state = say(case, LONG_SESSION, style, situation, seed)
                for reply, _ in replies:
                    assert_no_answer_key(reply, case)
                deep_said += bool(state.core_beliefs_surfaced)
    assert deep_said  # the session did reach the deep layers, so the check had something to catch


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_deeper_layers_come_out_through_the_case_own_voicings(case: PatientCase) -> None:
    replies, state = say(case, LONG_SESSION, "plain", 0, 3)
    assert {"intermediate_beliefs", "core_beliefs", "coping_strategies"} <= set(state.surfaced)
    text = " ".join(r for r, _ in replies)
    v = case.voicings
    assert any(s in text for s in v.intermediate_beliefs)
    assert any(s in text for s in v.coping_strategies)
    for belief in state.core_beliefs_surfaced:
        assert any(s in text for s in v.core_beliefs[belief]), belief


def test_a_case_without_voicings_hints_at_beliefs_and_speaks_only_fragments_of_rules() -> None:
    hints = json.loads((DATA_DIR / "offline" / "core_belief_hints.json").read_text("utf-8"))
    replies, state = say(THIRD_PERSON, LONG_SESSION, "plain", 0, 2)
    text = " ".join(r for r, _ in replies)
    assert state.core_beliefs_surfaced
    for belief in state.core_beliefs_surfaced:
        assert any(h in text for h in hints[belief])
    rule = first_person(THIRD_PERSON.intermediate_beliefs, THIRD_PERSON).rstrip(".")
    assert _norm(fragment(rule)) in _norm(text) and _norm(rule) not in _norm(text)
    # A fragment is a real part of the sentence and never all of it.
    for sentence in ("If I relax even for a moment, something terrible will happen.",
                     "I have to be perfect.", "I check every prescription three times"):
        part = fragment(sentence)
        assert part and _norm(part) in _norm(sentence) and _norm(part) != _norm(sentence)


# ---------------------------------------------------------------- the assessment moves

def test_body_goals_and_ratings_are_answered_from_the_case() -> None:
    case = LIBRARY.get("tomas-herrera")
    s = case.situations[0]
    (body, p1), (goals, p2), (feel, p3), (belief, p4), (ten, p5) = say(case, [
        ("Where did you feel it in your body?", R("open_question", "ask_body")),
        ("What are you hoping to get out of coming here?", R("open_question", "ask_goals")),
        ("How strong was the sadness, from 0 to 100?", R("closed_question", "ask_intensity")),
        ("How much did you believe that, then and now?", R("closed_question", "ask_intensity")),
        ("On a scale of 1 to 10, how strongly did you believe it?", R("closed_question", "ask_intensity")),
    ])[0]
    assert p1.reveal == ["body"] and split_sentences(s.body)[0] in body
    assert p2.reveal == ["goals"] and case.goals in goals
    assert p3.intensity == "emotion" and all(str(n) in feel for n in s.emotion_intensity.values())
    assert p4.intensity == "belief" and str(s.belief_then) in belief and str(s.belief_now) in belief
    assert p5.scale == 10 and str(round(s.belief_then / 10)) in ten and str(s.belief_then) not in ten
    # None of these answers reaches for another element of the case.
    for reply in (body, goals, feel, belief):
        assert s.behavior not in reply and s.automatic_thoughts not in reply


def test_a_case_without_the_new_fields_says_so_plainly_without_inventing() -> None:
    (body, _), (goals, _), (rating, _) = say(THIRD_PERSON, [
        ("Where did you feel it in your body?", R("open_question", "ask_body")),
        ("What would you like from therapy?", R("open_question", "ask_goals")),
        ("How strong was the feeling, 0 to 100?", R("closed_question", "ask_intensity")),
    ])[0]
    assert body in phrases()["body_unknown"]
    assert goals in phrases()["goals_unknown"]
    assert rating in phrases()["intensity_unknown"]


def _risk_phrases(key: str) -> list[str]:
    value = phrases()[key]
    return [p for group in (value.values() if isinstance(value, dict) else [value]) for p in group]


def test_risk_asked_directly_and_warmly_is_answered_honestly_one_aspect_at_a_time() -> None:
    case = LIBRARY.get("walter-brandt")
    risk = case.risk
    replies, state = say(case, WARM_UP + [
        ("Sometimes when people feel this low they think about ending their life. Have you?",
         R("validate", "closed_question", "ask_risk", aspects=("ideation",))),
        ("Thank you for telling me. Have you thought about how you would do it?",
         R("validate", "closed_question", "ask_risk", aspects=("plan",))),
        ("Do you have access to anything you might use?",
         R("closed_question", "ask_risk", aspects=("means",))),
        ("Have you ever tried before?", R("closed_question", "ask_risk", aspects=("past_attempts",))),
        ("What stops you?", R("open_question", "ask_risk", aspects=("protective_factors",))),
    ], seed=4)
    answers = [r for r, _ in replies[len(WARM_UP):]]
    for reply, aspect in zip(answers, ("ideation", "plan", "means", "past_attempts", "protective_factors")):
        assert risk.answer(aspect) in reply, (aspect, reply)
        for other in RISK_ASPECTS:
            if other != aspect and risk.answer(other) != risk.answer(aspect):
                assert risk.answer(other) not in reply, (aspect, other, reply)
    assert state.risk_disclosed == ["ideation", "plan", "means", "past_attempts", "protective_factors"]
    # The first answer did not volunteer the plan or the means: each came only when asked.
    assert risk.plan not in answers[0] and risk.means not in answers[0]


@pytest.mark.parametrize("case_id", ["dale-hutchins", "walter-brandt", "river-castillo"])
def test_risk_asked_abruptly_or_judgementally_is_played_down(case_id: str) -> None:
    case = LIBRARY.get(case_id)
    for recognition in (R("abrupt", "closed_question", "ask_risk", aspects=("ideation",)),
                        R("judgmental", "closed_question", "ask_risk", aspects=("ideation",))):
        for style in case.styles:
            replies, state = say(case, WARM_UP[:2] + [("You're not suicidal, are you?", recognition)],
                                 style=style)
            reply, plan = replies[-1]
            assert plan.risk_manner == "minimise"
            assert case.risk.ideation not in reply
            assert any(p in reply for p in _risk_phrases("risk_minimise")), reply
            assert state.risk_disclosed == []


def test_no_risk_is_a_plain_no_and_no_profile_is_non_committal() -> None:
    asked = ("Have you had any thoughts of ending your life?",
             R("closed_question", "ask_risk", aspects=("ideation",)))
    for case in CASES:
        if case.risk.level != "none":
            continue
        reply, plan = say(case, WARM_UP + [asked])[0][-1]
        assert plan.risk_manner == "plain_no" and any(p in reply for p in _risk_phrases("risk_none"))
    reply, plan = say(THIRD_PERSON, WARM_UP + [asked])[0][-1]
    assert THIRD_PERSON.risk.level == "unknown"
    assert plan.risk_manner == "noncommittal" and any(p in reply for p in _risk_phrases("risk_noncommittal"))


def test_cues_slip_out_unprompted_only_where_the_profile_has_them_and_stop_once_asked() -> None:
    no_risk_questions = [t for t in LONG_SESSION if "ask_risk" not in t[1].moves]
    for case in ALL_CASES:
        for seed in range(3):
            replies, state = say(case, no_risk_questions, seed=seed)
            said = [i for i, c in enumerate(case.risk.cues) if any(c in r for r, _ in replies)]
            assert said == sorted(set(state.cues_dropped))
            if case.risk.cues:
                assert said, case.id  # a patient at risk hints at it before anyone asks
            for reply, plan in replies:
                if plan.cue is not None:
                    assert not set(plan.moves) & FACT_FREE
    case = LIBRARY.get("dale-hutchins")
    replies, state = say(case, WARM_UP[:2] + [
        ("Have you had thoughts of not wanting to be here?", R("closed_question", "ask_risk"))]
        + DEEP[:10])
    after = replies[3:]
    assert all(plan.cue is None for _, plan in after) and state.risk_asked


def _phrase_bank() -> list[str]:
    return [p for key in phrases() for p in _risk_phrases(key)]


def test_other_and_small_talk_get_a_short_fact_free_reply() -> None:
    fact_free = [_norm(p) for p in _phrase_bank()]
    hedges = tuple(_norm(h) + " " for h in phrases()["hedge"])
    for case in ALL_CASES:
        for style in STYLES:
            replies, _ = say(case, WARM_UP + [("What did you have for breakfast?", R("off_topic")),
                                              ("Banana.", R("other"))], style=style)
            for reply, plan in replies[-2:]:
                assert plan.reveal == [] and plan.cue is None
                assert len(split_sentences(reply)) <= 3
                for sentence in split_sentences(reply):
                    said = _norm(sentence)
                    said = next((said[len(h):] for h in hedges if said.startswith(h)), said)
                    assert any(said in p for p in fact_free), reply


# ---------------------------------------------------------------- the element each reply draws on

def _material(case: PatientCase, situation: int) -> dict[str, list[str]]:
    """Sentences (four words or more) that show which element a reply draws on."""
    ct = case_text(case)
    sit = ct.situations[situation]
    hints = json.loads((DATA_DIR / "offline" / "core_belief_hints.json").read_text("utf-8"))
    v = case.voicings
    m: dict[str, list[str]] = {
        "situation": list(sit.situation), "behavior": list(sit.behavior),
        "automatic_thoughts": list(sit.thoughts), "body": list(sit.body),
        "goals": split_sentences(case.goals or ""),
        "history": [*v.history, *ct.history],
        "intermediate_beliefs": [*v.intermediate_beliefs],
        "intermediate_beliefs_depression": [*v.intermediate_beliefs_depression],
        "coping_strategies": [*v.coping_strategies],
        "core_beliefs": [h for b in case.all_core_beliefs() for h in v.core_beliefs.get(b) or hints[b]],
        "risk": [s for a in RISK_ASPECTS for s in split_sentences(case.risk.answer(a) or "")],
        "cue": list(case.risk.cues),
        "tangent": [s for i, o in enumerate(ct.situations) if i != situation for s in o.situation],
        "problem": [ct.problem],  # on the card the trainee sees: fine in any reply
    }
    return {k: [s.rstrip(".") for s in v if len(s.split()) >= 4] for k, v in m.items()}


def drawn_on(reply: str, material: dict[str, list[str]]) -> set[str]:
    said = _norm(reply)
    return {element for element, sentences in material.items()
            if any(_norm(s) in said for s in sentences)}


def _blind_items() -> list[dict]:
    """The blind move sets, used ONLY for their gold labels as the moves of each turn (nothing in
    the patient is tuned on them). An utterance that is also in the recogniser's training bank
    (normalised: mostly one-word backchannels and punctuation-only lines) is not blind any more
    and is left out; the rest must still be most of the set."""
    bank = {_norm(json.loads(line)["text"]) for line in BANK.read_text("utf-8").splitlines() if line.strip()}
    items = []
    for path in BLIND:
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line))
    kept = [i for i in items if _norm(i["text"]) not in bank]
    if len(kept) < 0.9 * len(items):
        raise RuntimeError(f"{len(items) - len(kept)} of {len(items)} blind items are also in the "
                           "training bank: the set is not blind")
    return kept


BLIND_ITEMS = _blind_items()
MID_SESSION = DisclosureState(
    turn=8, rapport=0.7, meaning_probes=2,
    surfaced={"situation": 2, "emotions": 3, "behavior": 4, "automatic_thoughts": 5,
              "intermediate_beliefs": 6, "coping_strategies": 7},
    last_reply="")


def test_blind_sets_are_there_and_name_known_moves() -> None:
    from simulator.cbt.moves import MOVES

    assert len(BLIND_ITEMS) >= 500
    assert all(set(i["labels"]) <= set(MOVES) for i in BLIND_ITEMS)


@pytest.mark.parametrize("start", ["fresh", "mid-session"])
def test_every_reply_to_the_blind_set_draws_only_on_what_its_moves_ask(start: str) -> None:
    """For every blind utterance (gold moves), in every style, the reply draws on the element its
    move asks for, or on none: never a risk question answered with the thought, a body question
    with the behaviour, small talk with a case field."""
    problems = []
    checked = 0
    for n, item in enumerate(BLIND_ITEMS):
        case = ALL_CASES[n % len(ALL_CASES)]
        situation = n % len(case.situations)
        material = _material(case, situation)
        recognition = R(*item["labels"], aspects=tuple(item["risk_aspects"]))
        allowed = allowed_elements(recognition.moves)
        state = DisclosureState() if start == "fresh" else MID_SESSION
        for style in STYLES:
            before = state.model_copy(update={"last_reply": item["previous"]})
            plan, _ = plan_turn(case, situation, style, before, item["text"], n, recognition)
            reply = OfflineEngine().reply(TurnRequest(
                case=case, situation_index=situation, style=style, state=before, seed=n,
                transcript=[Turn(index=0, role="therapist", text=item["text"])],
                recognition=recognition))
            text = "".join(reply.chunks)
            # An untargeted invitation may draw on anything but risk, which waits to be asked.
            ok = set(allowed) if allowed is not None else set(ELEMENTS) - {"risk"}
            extra = {"problem"} | ({"cue"} if plan.cue is not None else set())
            extra |= {"tangent"} if "tangent" in plan.behaviours else set()
            got = drawn_on(text, material)
            if not set(plan.reveal) <= ok:
                problems.append((item["id"], style, "plan", plan.reveal, sorted(ok)))
            if not got <= ok | extra:
                problems.append((item["id"], style, "reply", sorted(got - ok - extra), text))
            if re.search(r"\d", text) and "intensity" not in ok and not any(
                    re.search(r"\d", s) for e in got | {"problem"} for s in material.get(e, [])):
                problems.append((item["id"], style, "number", text))
            if set(recognition.moves) & FACT_FREE and (got - {"problem"} or plan.cue is not None):
                problems.append((item["id"], style, "fact-free", text))
            checked += 1
    assert checked == len(BLIND_ITEMS) * len(STYLES)
    assert not problems, problems[:10]


# ---------------------------------------------------------------- bad input, through recognition

@pytest.mark.parametrize("message", [
    "x" * MAX_MESSAGE_CHARS,
    ("Tell me more about how you felt. " * 100)[:MAX_MESSAGE_CHARS],
    "¿Cómo te sentiste cuando pasó eso?",
    "Wie fühlen Sie sich heute?",
    "你今天感觉怎么样？",
    "?!?!...,,;;",
    "😢😢😢 🙏",
    "   ...   ",
])
@pytest.mark.parametrize("case_id", ["dale-hutchins", "amara-okafor"])
def test_bad_input_gets_a_fitting_reply_never_a_crash(message: str, case_id: str) -> None:
    case = LIBRARY.get(case_id)
    engine = OfflineEngine()
    transcript = [Turn(index=0, role="therapist", text=message)]
    reply = engine.reply(TurnRequest(case=case, situation_index=0, style="plain",
                                     transcript=transcript, state=DisclosureState()))
    text = "".join(reply.chunks)
    assert text.strip()
    if reply.plan.moves == ["other"]:
        assert text in _risk_phrases("other")
    assert_no_answer_key(text, case)
