"""DEAR MAN offline rater accuracy.

The figure that counts is the blind batch (data/eval/blind/dearman_q.jsonl, written by authors who
saw only the skill definitions, never used for tuning): per-skill macro-F1 for used vs not used and
strong vs not strong, accuracy for Mindful and Confident. The cross-validated figure on the
training bank is shown beside it, labelled: the thresholds were chosen on it, so it is optimistic.
"""

from __future__ import annotations

from simulator.dearman.classifier import default_model
from simulator.dearman.evaluate import evaluate
from simulator.dearman.rater_offline import default_rater


def run() -> dict:
    blind = evaluate(default_rater().rate)  # refuses if the batch shares text with the bank
    tuned = default_model().meta.get("cross_validated_on_training_bank", {})
    return {
        "dearman_accuracy_blind": blind,
        "dearman_accuracy_cross_validated_on_training_bank (tuned on, not an evaluation)": {
            k: tuned.get(k) for k in ("messages", "macro_used_f1", "macro_strong_f1")} | {
            s: tuned.get("skills", {}).get(s) for s in ("mindful", "confident")},
        "targets": {"macro_used_f1": 0.90, "macro_strong_f1": 0.90, "mindful_accuracy": 0.90,
                    "confident_accuracy": 0.90},
    }
