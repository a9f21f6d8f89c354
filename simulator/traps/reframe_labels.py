"""The reframe checks' labels and the labelled reframe files they are trained and evaluated on."""

from __future__ import annotations


from simulator.core.datafiles import jsonl_rows
from simulator.core.settings import DATA_DIR

BANK_FILE = DATA_DIR / "traps" / "reframe_bank.jsonl"
CRITERIA = ("addresses_thought", "realistic", "keeps_context", "honours_feeling")
STRATEGIES: dict[str, str] = {
    "growth_mindset": "Growth mindset",
    "optimism": "Optimism",
    "impermanence": "Impermanence",
    "neutralizing": "Neutralizing",
    "self_affirmation": "Self-affirmation",
}
NO_STRATEGY = "none"  # the sixth class of the strategy model


def load_reframes(path) -> list[dict]:
    """Rows {"thought", "reframe", "labels": {criterion: bool, "strategy": key or null}} of a JSONL file."""
    rows = []
    for n, row in jsonl_rows(path):
        labels = row["labels"]
        missing = [c for c in (*CRITERIA, "strategy") if c not in labels]
        if missing or (labels["strategy"] is not None and labels["strategy"] not in STRATEGIES):
            raise ValueError(f"{path.name} line {n}: labels need {', '.join(CRITERIA)} and a known strategy or null")
        rows.append({"thought": row["thought"], "reframe": row["reframe"], "context": row.get("context", ""),
                     "labels": labels})
    return rows
