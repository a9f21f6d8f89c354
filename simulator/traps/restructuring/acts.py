"""What the trainee is doing in one message: restructuring acts (cues in the data file) plus the
supportive and judging moves the CBT move recogniser finds."""

from __future__ import annotations

from simulator.cbt import moves
from simulator.traps.restructuring.texts import act_patterns

# The stage each act works on.
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
SUPPORTIVE = ("reflect", "validate", "summarise")


def classify(message: str) -> list[str]:
    """The trainee's restructuring acts in this message, most specific first, plus supportive moves."""
    text = message.replace("\u2019", "'").lower()
    patterns = act_patterns()
    acts = [a for a in ACT_ORDER if any(rx.search(text) for rx in patterns[a])]
    general = set(moves.classify(message))
    acts += [m for m in (*SUPPORTIVE, "judgmental") if m in general]
    return acts


def primary(acts: list[str]) -> str | None:
    """The act a message is answered for: the most specific restructuring act in it."""
    return next((a for a in ACT_ORDER if a in acts), None)


def proposal(message: str) -> str | None:
    """The alternative thought the trainee proposes in `message`, as one sentence, if any."""
    for rx in act_patterns()["propose_alternative"]:
        m = rx.search(message.replace("\u2019", "'"))
        if m:
            return m.group("text").strip().rstrip(".?!") + "."
    return None
