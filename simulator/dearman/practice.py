"""A DEAR MAN conversation as the page uses it: start, check a draft, send, reply, end.

The write order matters as in the CBT practice: the trainee's message (with the ratings of the
version sent) is stored before the counterpart answers, and the answer is stored whatever
happens to the stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from simulator.accounts.actor import Actor
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.dearman import counterpart
from simulator.dearman.coach import Suggestion, suggest_next
from simulator.dearman.rater_llm import get_rater
from simulator.dearman.scenarios import CUSTOM_SCENARIO
from simulator.dearman.schema import (
    DearmanSessionInfo,
    DearmanTurn,
    EmotionRatings,
    InputRejected,
    MessageContext,
    Rating,
    Scenario,
)
from simulator.dearman.store import DearmanStore
from simulator.llm.usage import Caller
from simulator.modeluse.access import EngineDecision, caller_for, decide


def exercise_of(scenario: Scenario) -> str:
    """The exercise name model use is allowed and counted under: own situations are apart."""
    return "dearman_own" if scenario.id == CUSTOM_SCENARIO else "dearman"


def awaiting_reply(turns) -> bool:
    """The trainee spoke last: the other person's reply is still owed."""
    return bool(turns) and turns[-1].role == "trainee"


@dataclass
class DearmanPractice:
    store: Store
    settings: Settings
    actor: Actor | None = None

    @property
    def records(self) -> DearmanStore:
        return DearmanStore(self.store)

    def start(self, scenario: Scenario, before: EmotionRatings | None, seed: int | None = None) -> DearmanSessionInfo:
        engine = self.engine_status(scenario).label  # offline when the model may not be used for it now
        return self.records.create_session(self.actor, scenario, engine, counterpart.initial_state(scenario),
                                           before, seed)

    def session(self, session_id: str) -> DearmanSessionInfo:
        return self.records.session(self.actor, session_id)

    def turns(self, session_id: str) -> list[DearmanTurn]:
        return self.records.turns(self.actor, session_id)

    def context(self, session_id: str, draft: str) -> MessageContext:
        info = self.session(session_id)
        turns = self.turns(session_id)
        last = next((t.text for t in reversed(turns) if t.role == "counterpart"), info.scenario.counterpart.opening)
        return MessageContext.checked(info.scenario.situation, info.scenario.goal, draft, last)

    def caller(self, info: DearmanSessionInfo) -> Caller:
        return caller_for(self.store, exercise_of(info.scenario), self.actor.id if self.actor else None)

    def engine_status(self, scenario: Scenario) -> EngineDecision:
        """The engine this conversation uses now for this trainee, with the plain reason when offline."""
        return decide(self.store, self.settings, exercise_of(scenario), self.actor.id if self.actor else None)

    def check(self, session_id: str, draft: str) -> Rating:
        """Feedback on a draft before it is sent. Raises InputRejected for empty or over-long text."""
        info = self.session(session_id)
        return get_rater(self.settings, caller=self.caller(info)).rate(self.context(session_id, draft))

    def suggestion(self, session_id: str) -> Suggestion:
        sent = [t.ratings for t in self.turns(session_id) if t.role == "trainee" and t.ratings]
        return suggest_next(sent)

    def send(self, session_id: str, message: str, rating: Rating | None = None, checks: int = 0) -> DearmanTurn:
        """Store the message with the ratings of exactly this version (rated now if not given)."""
        info = self.records.session(self.actor, session_id, "write")
        if info.status != "active" or info.outcome:
            raise InputRejected("This conversation is over; rate how you feel now to finish it.")
        ctx = self.context(session_id, message)
        if rating is None:
            rating = get_rater(self.settings, caller=self.caller(info)).rate(ctx)
        return self.records.add_turn(self.actor, session_id, "trainee", ctx.message, ratings=rating.ratings,
                                     rater=rating.engine, checks=checks)

    def respond(self, session_id: str) -> Iterator[str]:
        """Stream the counterpart's reply to the last message and store it, complete or not."""
        info = self.records.session(self.actor, session_id, "write")
        turns = self.turns(session_id)
        if not awaiting_reply(turns):
            return
        last = turns[-1]
        llm = self.settings.llm if self.settings.uses_llm else None
        reply = counterpart.respond(info.scenario, turns, info.state, last.ratings, last.text, info.seed, llm,
                                    self.caller(info))
        parts: list[str] = []
        try:
            for chunk in reply.chunks:
                parts.append(chunk)
                yield chunk
        finally:
            text = reply.text or "".join(parts).strip()
            if text:
                complete = reply.complete and (bool(reply.text) or not parts)
                self.records.add_turn(self.actor, session_id, "counterpart", text, state=reply.state,
                                      engine=reply.engine, complete=complete)
                trainee_turns = sum(t.role == "trainee" for t in turns)
                if reply.state.agreed:
                    self.records.set_outcome(self.actor, session_id, "agreed")
                elif trainee_turns >= info.scenario.turn_limit:
                    self.records.set_outcome(self.actor, session_id, "turn_limit")

    def give_up(self, session_id: str) -> None:
        self.records.set_outcome(self.actor, session_id, "gave_up")

    def end(self, session_id: str, after: EmotionRatings | None) -> DearmanSessionInfo:
        return self.records.end(self.actor, session_id, None, after)
