"""The offline patient's wording: fact-free phrases from the data file, filled only from the case."""

from __future__ import annotations

import random
import re

from simulator.cbt.case import PatientCase
from simulator.cbt.voice import case_text
from simulator.core.text import lower_first
from simulator.traps.restructuring.state import RestructuringState
from simulator.traps.restructuring.texts import texts


def core_clause(case: PatientCase, situation_index: int = 0) -> str:
    """The first core belief at work in the situation, as the patient would say it."""
    belief = case.model_for(situation_index).core_beliefs[0].rstrip(".")
    return re.sub(r"^I am\b", "I'm", belief)


class PatientVoice:
    """The patient of one dialogue at one turn: its phrases vary with the seed and the turn."""

    def __init__(self, case: PatientCase, state: RestructuringState) -> None:
        self.case = case
        self.state = state
        self.text = case_text(case).situations[state.current.situation_index]
        self.rng = random.Random(state.seed * 1009 + len(state.turns))
        self.texts = texts()

    def say(self, key: str, **values: str) -> str:
        return self.rng.choice(self.texts.phrases(key)).format(**values)

    def fact(self) -> str:
        return self.text.situation[0] if self.text.situation else self.case.presenting_problem

    def interpretation(self) -> str:
        others = [t for t in self.text.thoughts if t != self.state.current.text]
        return others[0] if others else self.state.current.text

    def rule(self) -> str:
        rules = self.text.rules or self.text.rules_depression  # the situation's own rules
        return " ".join(rules[:2]) if rules else self.texts.phrase("rule_fallback")

    def counter(self, friend_first: bool) -> str | None:
        """A fresh piece of evidence against the thought, or None once three have been given."""
        pool = list(self.texts.phrases("against_pool"))
        random.Random(self.state.seed).shuffle(pool)
        if friend_first:
            friend = self.texts.phrase("friend_first")
            pool.remove(friend)
            pool.insert(0, friend)
        used = set(self.state.current.evidence_against)
        fresh = [p for p in pool if p not in used]
        return fresh[0] if fresh and len(used) < 3 else None

    def values(self) -> dict[str, str]:
        """What the phrases may name, all from the case and the thought in hand."""
        fact = self.fact()
        core = core_clause(self.case, self.state.current.situation_index)
        return dict(thought=self.state.current.text, fact=fact, fact_lower=lower_first(fact),
                    fact_lower_nodot=lower_first(fact).rstrip("."), interpretation=self.interpretation(),
                    rule=self.rule(), core=lower_first(core) + ".", core_clause=core)
