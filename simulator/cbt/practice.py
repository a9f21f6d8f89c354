"""A practice session as the app and the CLI use it: start, say, respond, end.

The order of writes is the point: the trainee's message is stored before the patient answers,
and the answer is stored whatever happens to the stream (complete, cut, or abandoned by a click).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require
from simulator.cbt.case import PatientCase
from simulator.cbt.engine import PatientEngine, TurnRequest
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.engine_offline import OfflineEngine
from simulator.cbt.interview import SessionInfo, Turn
from simulator.cbt.library import CaseLibrary
from simulator.cbt.sessions import SessionStore
from simulator.core.db import Store
from simulator.core.errors import EngineError
from simulator.core.messages import MessageRejected, check_message  # noqa: F401 - re-exported for the page
from simulator.modeluse import access

log = logging.getLogger(__name__)
EXERCISE = "interview"


def needs_reply(transcript: list[Turn]) -> bool:
    """The last message has no complete answer: it is the trainee's, or a reply that was cut."""
    return bool(transcript) and (transcript[-1].role == "therapist" or not transcript[-1].complete)


@dataclass
class Practice:
    store: Store
    library: CaseLibrary
    engine: PatientEngine
    actor: Actor | None = None  # None only in single-user mode, before any account exists
    # Set by respond() when this reply came from the offline engine although a model is configured.
    notice: str | None = field(default=None, init=False)

    def engine_status(self) -> access.EngineDecision:
        """The engine the next reply will come from, with the plain reason when it is not the model."""
        if not isinstance(self.engine, LLMEngine):
            return access.EngineDecision(engine="offline", label=self.engine.label, reason="offline_setting")
        return access.decide_llm(self.store, self.engine.settings, EXERCISE, self._user_id)

    @property
    def _user_id(self) -> str | None:
        return self.actor.id if self.actor else None

    @property
    def sessions(self) -> SessionStore:
        return SessionStore(self.store)

    def start(self, case_id: str, style: str, situation_index: int | None = None,
              seed: int | None = None, assignment_id: str | None = None) -> SessionInfo:
        """Start a session; no situation means a random one of the case's situations.

        `assignment_id` links the session to the assignment it was started for (checked by the
        caller that offers it). The session records the engine it starts on: the offline one when
        the model may not be used now.
        """
        case = self.library.get(case_id)
        if situation_index is None:
            situation_index = random.Random(seed).randrange(len(case.situations))
        return self.sessions.create_session(case, situation_index, style, self.engine_status().label, seed=seed,
                                         owner=self.actor.id if self.actor else None,
                                         case_version=self.library.version(case_id),
                                         assignment_id=assignment_id)

    def session(self, session_id: str, action: str = "read") -> SessionInfo:
        """The session, if this actor may `action` it (AccessDenied otherwise)."""
        info = self.sessions.session(session_id)
        require(self.store, self.actor, action, info.owner)
        return info

    def open(self, session_id: str) -> tuple[SessionInfo, PatientCase, list[Turn]]:
        """Everything a page shows of a session, if this actor may read it: one access check."""
        info, case = self.sessions.session_with_case(session_id)
        require(self.store, self.actor, "read", info.owner)
        return info, case, self.sessions.transcript(session_id)

    def transcript(self, session_id: str) -> list[Turn]:
        self.session(session_id)
        return self.sessions.transcript(session_id)

    def my_sessions(self) -> list[SessionInfo]:
        return self.sessions.list_sessions(owner=self.actor.id if self.actor else None)

    def say(self, session_id: str, text: str) -> Turn:
        """Store the trainee's message. Raises MessageRejected for empty or over-long text."""
        self.session(session_id, "write")
        return self.sessions.add_turn(session_id, "therapist", check_message(text))

    def awaiting_reply(self, session_id: str) -> bool:
        return needs_reply(self.transcript(session_id))

    def respond(self, session_id: str) -> Iterator[str]:
        """Stream the patient's reply to the last message, storing it in all cases.

        A reply cut by a failure is stored with complete=False and the EngineError is raised
        after it; a reply abandoned by the consumer (a click in the app) is stored the same way.
        Called again after such a cut, it answers the same message afresh, from the state before
        the cut reply, which stays in the transcript marked incomplete.
        """
        info, case = self.sessions.session_with_case(session_id)
        require(self.store, self.actor, "write", info.owner)
        transcript = self.sessions.transcript(session_id)
        if not needs_reply(transcript):
            return
        if transcript[-1].role == "patient":  # a cut reply: answer its message again
            transcript = transcript[:-1]
        request = TurnRequest(
            case=case, situation_index=info.situation_index,
            style=info.style, transcript=transcript,
            state=self.sessions.state_before(session_id, transcript[-1].index), seed=info.seed,
            caller=access.caller_for(self.store, EXERCISE, self._user_id),
        )
        engine = self.engine
        if isinstance(engine, LLMEngine):
            refused = access.refusal(self.store, engine.settings, EXERCISE, self._user_id)
            if refused is not None:
                log.info("interview reply from the offline engine (%s)", refused.reason)
                self.notice = refused.user_message
                engine = OfflineEngine()
        reply = engine.reply(request)
        parts: list[str] = []
        complete = False
        try:
            for chunk in reply.chunks:
                parts.append(chunk)
                yield chunk
            complete = True
        except EngineError as err:
            parts = [err.partial] if err.partial else parts
            raise
        finally:
            text = "".join(parts).strip()
            if text:
                state = reply.state.model_copy(update={"last_reply": text})
                self.sessions.add_turn(session_id, "patient", text, complete=complete,
                                    moves=reply.plan.moves, state=state)
                self.sessions.set_moves(session_id, transcript[-1].index, reply.plan.moves,
                                        reply.plan.risk_aspects)

    def end(self, session_id: str) -> None:
        self.session(session_id, "write")
        self.sessions.end_session(session_id)
