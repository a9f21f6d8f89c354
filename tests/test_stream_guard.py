"""The streaming guard (simulator/llm/stream_guard.py) and the LLM patient told only what it is
ready to say, against the scriptable OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.cbt.engine import TurnRequest
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.engine_offline import phrases
from simulator.cbt.interview import DisclosureState, Turn
from simulator.cbt.library import CaseLibrary
from simulator.cbt.vocab import CORE_BELIEFS
from simulator.cbt.voice import first_person
from simulator.core.errors import EngineError
from simulator.core.settings import DATA_DIR, LLMSettings
from simulator.core.text import split_sentences
from simulator.llm import client as llm
from simulator.llm.stream_guard import GuardStats, ReplyGuard, guarded_stream
from tests.test_patient_answers import LONG_SESSION, R

LIBRARY = CaseLibrary.load(DATA_DIR / "patients")
SECRET = "My father locked the pantry every night and counted the tins in the morning."


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)


def words(text: str) -> list[str]:
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch == " " and i > start:
            out.append(text[start:i])
            start = i
    out.append(text[start:])
    return out


class Scripted:
    """A starter that streams one scripted reply per attempt and records how it was called."""

    def __init__(self, *replies: str, fail_after: int | None = None) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[str | None, str]] = []
        self.consumed = 0
        self.fail_after = fail_after

    def __call__(self, kind, shown) -> Iterator[str]:
        self.calls.append((kind, shown))
        reply = self.replies.pop(0)

        def gen():
            for i, w in enumerate(words(reply)):
                if self.fail_after is not None and i == self.fail_after:
                    raise EngineError("cut", partial="")
                self.consumed += 1
                yield w
        return gen()


def run(starter: Scripted, guard: ReplyGuard, stats: GuardStats | None = None) -> str:
    return "".join(guarded_stream(starter, guard, lambda: "Sorry, I lost my train of thought.", stats))


def test_a_clean_reply_passes_unchanged_and_starts_showing_before_it_ends() -> None:
    reply = "Work has been hard since the announcement, and I have not slept properly since Monday."
    starter = Scripted(reply)
    stream = guarded_stream(starter, ReplyGuard(blocked=[SECRET]), lambda: "x")
    first = next(stream)
    assert starter.consumed < len(words(reply))  # shown while the rest still streams
    assert first + "".join(stream) == reply and starter.calls == [(None, "")]


def test_a_verbatim_run_of_a_blocked_text_is_cut_before_it_shows_and_retried_once() -> None:
    stats = GuardStats()
    starter = Scripted("It was a hard week. Well, " + SECRET + " Anyway.",
                       "it was just how things were at home.")
    shown: list[str] = []
    for chunk in guarded_stream(starter, ReplyGuard(blocked=[SECRET]), lambda: "x", stats):
        shown.append(chunk)
        assert "pantry" not in "".join(shown)  # not one word of the run ever reached the screen
    text = "".join(shown)
    assert text == "It was a hard week. it was just how things were at home."
    assert starter.calls == [(None, ""), ("leak", "It was a hard week. ")]
    assert stats.as_dict() == {"replies": 1, "leaks": 1, "breaks": 0, "retries": 1, "fallbacks": 0}


def test_a_second_catch_ends_with_a_neutral_line() -> None:
    stats = GuardStats()
    starter = Scripted(SECRET, "Honestly, " + SECRET)
    assert run(starter, ReplyGuard(blocked=[SECRET]), stats) == "Sorry, I lost my train of thought."
    assert stats.leaks == 2 and stats.retries == 1 and stats.fallbacks == 1


@pytest.mark.parametrize("reply", [
    "As an AI, I don't have feelings, but I can describe what someone might feel.",
    "I'm sorry, but I can't continue with this role-play.",
    "If you are having thoughts of suicide, please call 988, the Suicide and Crisis Lifeline.",
    "I'm just a language model, so I cannot really say.",
])
def test_a_reply_out_of_character_is_caught_and_retried_with_a_reminder(reply: str) -> None:
    stats = GuardStats()
    starter = Scripted(reply, "I don't really know how to answer that.")
    assert run(starter, ReplyGuard(), stats) == "I don't really know how to answer that."
    assert starter.calls[1][0] == "character" and stats.breaks == 1


@pytest.mark.parametrize("reply", [
    "I still have the crisis line number in my phone from back then, and I've used it.",
    "My sister is a nurse and she keeps telling me to talk to someone.",
    "I'm sorry, I know I keep going on about it.",
])
def test_a_patient_talking_about_help_stays_in_character(reply: str) -> None:
    assert run(Scripted(reply), ReplyGuard()) == reply


def test_tags_and_checklist_labels_are_caught_even_when_short() -> None:
    guard = ReplyGuard(tags=["history", "core_beliefs"], phrases=["I am a failure, loser"])
    assert guard.scan("Well [history] my dad was strict.").reason.startswith("a tag")
    assert guard.scan("I guess I am a failure, loser, really.").kind == "leak"
    assert guard.scan("I feel like I failed them.") is None


def test_speakable_text_is_not_blocked_where_it_overlaps_a_blocked_one() -> None:
    note = "Answer honestly: My son. Whatever I tell myself, I know it would knock him sideways."
    guard = ReplyGuard(blocked=[note], speakable=["Whatever I tell myself, I know it would knock him sideways."])
    assert guard.scan("Whatever I tell myself, I know it would knock him sideways.") is None
    assert guard.scan("I should answer honestly: my son, whatever.") is None
    assert guard.scan("Private note: answer honestly: my son. Whatever I tell") is not None


def test_a_stream_cut_keeps_exactly_what_was_shown() -> None:
    starter = Scripted("I went to the fridge and stayed there until the lunch rush was over.", fail_after=5)
    shown: list[str] = []
    with pytest.raises(EngineError) as err:
        for chunk in guarded_stream(starter, ReplyGuard(), lambda: "x"):
            shown.append(chunk)
    assert err.value.partial == "".join(shown) == "I went to the fridge"


# ---------------------------------------------------------------- the LLM patient on the wire

def engine_for(server) -> LLMEngine:
    return LLMEngine(LLMSettings(base_url=server.base_url, model="fake-model", api_key="x",
                                 timeout=5.0, max_retries=0))


def play(engine, case, lines, situation=0):
    """Play (message, recognition) pairs through the engine; return the per-turn replies."""
    transcript: list[Turn] = []
    state = DisclosureState()
    out = []
    for text, recognition in lines:
        transcript.append(Turn(index=len(transcript), role="therapist", text=text))
        reply = engine.reply(TurnRequest(case=case, situation_index=situation, style="plain",
                                         transcript=list(transcript), state=state, seed=1,
                                         recognition=recognition))
        said = "".join(reply.chunks)
        transcript.append(Turn(index=len(transcript), role="patient", text=said))
        state = reply.state.model_copy(update={"last_reply": said})
        out.append((said, reply.plan, state))
    return out


def _deep_texts(case) -> list[str]:
    v = case.voicings
    texts = [case.history, first_person(case.history, case), case.intermediate_beliefs,
             case.intermediate_beliefs_depression or "", case.coping_strategies,
             *case.all_core_beliefs(), *v.history, *v.intermediate_beliefs,
             *v.intermediate_beliefs_depression, *v.coping_strategies,
             *(x for vs in v.core_beliefs.values() for x in vs)]
    sentences = [s for t in texts for s in split_sentences(t) if len(s.split()) >= 4]
    return sentences + [b.rstrip(".") for b in CORE_BELIEFS]


@pytest.mark.parametrize("case", list(LIBRARY), ids=lambda c: c.id)
def test_at_the_first_turn_no_belief_rule_or_history_text_is_in_any_message_sent(openai_server, case) -> None:
    openai_server.script.reply = "Hi. I'm not really sure where to start."
    engine = engine_for(openai_server)
    "".join(engine.reply(TurnRequest(case=case, situation_index=0, style="plain", state=DisclosureState(),
                                     transcript=[Turn(index=0, role="therapist", text="Hi, welcome.")])).chunks)
    sent = " ".join(m["content"] for m in openai_server.requests[-1]["messages"])
    for text in _deep_texts(case):
        assert text not in sent, text
    for aspect in ("ideation", "plan", "intent", "means", "past_attempts", "protective_factors"):
        answer = case.risk.answer(aspect)
        assert not answer or answer not in sent


def test_deeper_layers_enter_the_note_once_unlocked_and_stay(openai_server) -> None:
    case = LIBRARY.get("tomas-herrera")
    openai_server.script.reply = "I don't know, it's hard to say."
    results = play(engine_for(openai_server), case, LONG_SESSION)
    bodies = [r["messages"] for r in openai_server.requests]
    assert len(bodies) == len(LONG_SESSION)
    systems = {b[0]["content"] for b in bodies}
    assert len(systems) == 1  # the static part never changes
    rules = case.voicings.intermediate_beliefs
    unlocked_at = next(i for i, (_, plan, _) in enumerate(results) if "intermediate_beliefs" in plan.reveal)
    for i, body in enumerate(bodies):
        everything = " ".join(m["content"] for m in body)
        note = body[-1]["content"]
        if i < unlocked_at:
            assert not any(v in everything for v in rules), i
        else:
            assert all(v in note for v in rules), i  # available from then on
        assert case.intermediate_beliefs not in everything  # the reference sentence never goes out
    # Risk detail only once asked, and the aspect asked.
    risky = LIBRARY.get("walter-brandt")
    openai_server.requests.clear()
    play(engine_for(openai_server), risky, LONG_SESSION[:6] + [
        ("Have you had thoughts of ending your life?", R("validate", "closed_question", "ask_risk",
                                                          aspects=("ideation",))),
        ("Thank you for telling me.", R("validate"))])
    notes = [r["messages"][-1]["content"] for r in openai_server.requests]
    assert not any(risky.risk.ideation in n for n in notes[:6])
    assert risky.risk.ideation in notes[6] and risky.risk.plan not in notes[6]
    assert risky.risk.ideation in notes[7]


def test_a_leaky_reply_on_the_wire_is_retried_and_never_shown(openai_server) -> None:
    case = LIBRARY.get("tomas-herrera")
    history = split_sentences(case.history)[0]
    openai_server.script.replies = [f"Not great. {history} Anyway.", "It's been a rough stretch."]
    engine = engine_for(openai_server)
    reply = engine.reply(TurnRequest(case=case, situation_index=0, style="plain", state=DisclosureState(),
                                     transcript=[Turn(index=0, role="therapist", text="How are you?")]))
    text = "".join(reply.chunks)
    assert history not in text and "bakery" not in text
    assert text == "Not great. It's been a rough stretch."
    assert len(openai_server.requests) == 2
    reminder = openai_server.requests[1]["messages"][-1]["content"]
    assert "Reminder" in reminder and '"Not great."' in reminder
    assert engine.guard_stats.leaks == 1 and engine.guard_stats.retries == 1


def test_out_of_character_twice_on_the_wire_ends_in_a_neutral_line(openai_server) -> None:
    case = LIBRARY.get("river-castillo")
    openai_server.script.replies = [
        "As an AI language model, I can't pretend to have these feelings.",
        "I'm sorry, but I cannot continue. If you are having thoughts of suicide, call 988."]
    engine = engine_for(openai_server)
    text = "".join(engine.reply(TurnRequest(
        case=case, situation_index=0, style="plain", state=DisclosureState(),
        transcript=[Turn(index=0, role="therapist", text="How are you feeling?")])).chunks)
    assert text in phrases()["neutral"]
    assert "character" in openai_server.requests[1]["messages"][-1]["content"] or \
        "not an assistant" in openai_server.requests[1]["messages"][-1]["content"]
    assert engine.guard_stats.as_dict() == {"replies": 1, "leaks": 0, "breaks": 2, "retries": 1,
                                            "fallbacks": 1}
