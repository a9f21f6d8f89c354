"""A stored restructuring dialogue as the service layer uses it: start, open, say, finish, list.

The order of work in `say` is the point: the rules answer from a consistent read, the exchange
(the trainee's message and the rule-based answer) is appended in one write transaction, and only
then, outside any lock, does the model (with the LLM engine) re-word the answer. If the model
fails or the process dies meanwhile, the rule-based answer is already stored.

A dialogue left untouched for `settings.restructuring_idle_days` is closed as abandoned, with the
feedback on what was done, the next time anyone who may read it lists or opens it, or sends to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.accounts.actor import Actor
from simulator.cbt.case import PatientCase
from simulator.core.clock import now
from simulator.core.db import Store
from simulator.core.messages import check_message
from simulator.core.settings import Settings
from simulator.modeluse import access
from simulator.traps.restructuring import store as records
from simulator.traps.restructuring.dialogue import CaseThought, begin, conclude, respond
from simulator.traps.restructuring.llm_voice import voice_with_llm
from simulator.traps.restructuring.state import (
    Dialogue,
    DialogueSummary,
    RestructuringState,
)
from simulator.traps.restructuring.store import DialogueClosed

EXERCISE = "restructuring"


@dataclass
class RestructuringPractice:
    store: Store
    settings: Settings
    actor: Actor | None = None  # None only in single-user mode, before any account exists

    @property
    def _user_id(self) -> str | None:
        return self.actor.id if self.actor else None

    @property
    def idle_before(self) -> datetime:
        """Active dialogues untouched since this moment count as abandoned."""
        return now() - timedelta(days=self.settings.restructuring_idle_days)

    def start(self, case: PatientCase, thought: CaseThought, seed: int = 0) -> str:
        """Store a new dialogue on `thought`, with the patient's opening; returns its id."""
        engine = access.decide(self.store, self.settings, EXERCISE, self._user_id).engine  # offline when refused
        return records.insert(self.store, self.actor, case, begin(case, thought, seed), engine)

    def open(self, session_id: str) -> Dialogue:
        """The dialogue with every turn, if this actor may read it (closed first if it was left idle)."""
        self._close_if_idle(session_id, "read")
        return records.open_dialogue(self.store, self.actor, session_id)

    def say(self, session_id: str, message: str) -> RestructuringState:
        """Answer one trainee message. Raises MessageRejected (empty, too long), AccessDenied, or
        DialogueClosed once the dialogue is finished or abandoned."""
        message = check_message(message)
        self._close_if_idle(session_id, "write")
        case, state = records.exchange(self.store, self.actor, session_id, lambda c, s: respond(s, c, message))
        if self.settings.uses_llm:
            caller = access.caller_for(self.store, EXERCISE, self._user_id)
            worded = voice_with_llm(state, case, self.settings.llm, caller)  # outside any lock or transaction
            if worded:
                records.set_wording(self.store, self.actor, session_id, len(state.turns) - 1, worded)
                state.turns[-1].text = worded
        return state

    def finish(self, session_id: str) -> RestructuringState:
        """End the dialogue with per-stage feedback; a closed one is returned as it is."""
        self._close_if_idle(session_id, "write")
        try:
            return records.exchange(self.store, self.actor, session_id, lambda c, s: conclude(s))[1]
        except DialogueClosed:  # finished, abandoned or closed from another tab: show what is stored
            return records.open_dialogue(self.store, self.actor, session_id).state

    def _close_if_idle(self, session_id: str, action: str) -> None:
        """Check that the actor may `action` the dialogue; close it first if it was left idle."""
        status, touched = records.last_touched(self.store, self.actor, session_id, action)
        if status == "active" and touched < self.idle_before:
            records.close_idle(self.store, self.idle_before, conclude, session_id=session_id)

    def dialogues(self, owner: str | None = None) -> list[DialogueSummary]:
        """Dialogues of `owner` (default: the actor's own), most recent first; idle ones closed first."""
        found = records.summaries(self.store, self.actor, owner)  # checks that the actor may read them
        if any(d.status == "active" and d.updated_at < self.idle_before for d in found):
            owner = found[0].owner
            records.close_idle(self.store, self.idle_before, conclude, owner=owner)
            found = records.summaries(self.store, self.actor, owner)
        return found
