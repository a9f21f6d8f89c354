"""DEAR MAN practice for the signed-in actor, and progress (their own, or a trainee's they may read)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.dearman import progress
from simulator.dearman.practice import DearmanPractice


@dataclass
class DearmanService(DearmanPractice):
    def skill_rows(self, owner: str | None = ...) -> list[dict]:  # type: ignore[assignment]
        return progress.skill_rows(self.store, self.actor, owner)

    def emotion_rows(self, owner: str | None = ...) -> list[dict]:  # type: ignore[assignment]
        return progress.emotion_rows(self.store, self.actor, owner)
