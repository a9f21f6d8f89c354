"""The choice of patient engine from the settings: offline by default, an LLM when configured."""

from __future__ import annotations

from simulator.cbt.engine import PatientEngine
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.engine_offline import OfflineEngine
from simulator.core.settings import Settings


def get_engine(settings: Settings, name: str | None = None) -> PatientEngine:
    name = name or settings.engine
    if name == "llm":
        return LLMEngine(settings.llm)
    return OfflineEngine()
