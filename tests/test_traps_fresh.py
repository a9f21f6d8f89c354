"""Fresh drill material: the plumbing from the model to a stored attempt (the acceptance rate of a real
model is a bench figure: `python -m bench traps_fresh`)."""

import json
import logging

from simulator.accounts.actor import Actor
from simulator.cli import main
from simulator.core.db import Store
from simulator.core.settings import LLMSettings, Settings
from simulator.migrations import migrate
from simulator.traps import drill
from simulator.traps.fresh import generate
from simulator.traps.patterns import bank
from simulator.traps.store import drill_attempts

DEV = Actor(id="u-dev", username="dev", role="trainee")
PERSONA = "Dev, 41, a bus driver with two teenagers"
USED = "I should be able to keep the house spotless and work full shifts without ever complaining."


def _llm(server) -> Settings:
    return Settings(engine="llm", llm=LLMSettings(base_url=server.base_url, model="fake-model", max_retries=0,
                                                  timeout=5, structured_method="function_calling"))


def test_only_on_pattern_new_thoughts_are_kept_and_marked_generated(openai_server):
    openai_server.script.structured_object = {"thoughts": [
        "I must never be late for a shift, a proper driver should always be early.",
        "The depot canteen has started selling soup on Mondays.",  # no pattern: rejected
        USED.upper(),  # already used: rejected as a duplicate
    ]}
    batch = generate("should_statements", PERSONA, [USED], count=3, settings=_llm(openai_server))
    assert [i.thought for i in batch.items] == ["I must never be late for a shift, a proper driver should always be early."]
    item = batch.items[0]
    assert item.generated and item.id.startswith("gen-") and item.patterns[0] == "should_statements"
    assert item.context == PERSONA
    assert batch.asked == 3 and batch.rejected_pattern == 1 and batch.rejected_duplicate == 1
    assert batch.acceptance == round(1 / 3, 3)
    sent = json.dumps(openai_server.requests[-1])
    assert "Should statements" in sent and PERSONA in sent


def test_offline_and_on_failure_the_drill_draws_from_the_bank(openai_server, caplog):
    offline = generate("labeling", PERSONA, [], count=2)
    labelled = {t for t, labels in bank() if "labeling" in labels}
    assert len(offline.items) == 2 and all(not i.generated and i.thought in labelled for i in offline.items)
    openai_server.script.fail_status = 500
    with caplog.at_level(logging.WARNING, logger="simulator"):
        failed = generate("labeling", PERSONA, [], count=2, settings=_llm(openai_server))
    assert failed.items and not any(i.generated for i in failed.items) and "drawn from the bank" in failed.note
    assert any("generating drill thoughts" in r.getMessage() and "offline answer" in r.getMessage()
               for r in caplog.records)  # the fallback is logged with its reason


def test_an_attempt_on_a_generated_thought_records_that_it_was_generated(tmp_path, openai_server):
    openai_server.script.structured_object = {"thoughts": ["I must never be late for a shift, a proper driver "
                                                           "should always be early."]}
    item = generate("should_statements", PERSONA, [], count=1, settings=_llm(openai_server)).items[0]
    store = Store(tmp_path / "fresh.db")
    migrate(store)
    result = drill.submit(store, DEV, item.id, ["should_statements"],
                          "Being on time matters to me, and one late shift would be a slip, not a failure.", fresh=item)
    assert result.grade.credit
    row = drill_attempts(store, DEV)[0]
    assert row["item_id"] == item.id and row["item_id"].startswith("gen-")


def test_cli_drill_thoughts_offline(capsys):
    assert main(["drill-thoughts", "--pattern", "mind_reading", "--persona", PERSONA, "--count", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["items"]) == 2 and not out["items"][0]["generated"] and out["acceptance"] is None
