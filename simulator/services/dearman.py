"""DEAR MAN practice for the signed-in actor, and progress (their own, or a trainee's they may read)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.dearman import progress
from simulator.dearman.practice import DearmanPractice
from simulator.dearman.schema import DearmanSessionInfo


@dataclass
class DearmanService(DearmanPractice):
    def skill_rows(self, owner: str | None = ...) -> list[dict]:  # type: ignore[assignment]
        return progress.skill_rows(self.store, self.actor, owner)

    def emotion_rows(self, owner: str | None = ...) -> list[dict]:  # type: ignore[assignment]
        return progress.emotion_rows(self.store, self.actor, owner)

    def my_sessions_with_counts(self) -> list[tuple[DearmanSessionInfo, int]]:
        """The actor's own conversations with their message counts, oldest first."""
        sessions = self.records.list_sessions(self.actor)
        counts = self.records.turn_counts(self.actor, sessions)
        return [(s, counts[s.id]) for s in sessions]
