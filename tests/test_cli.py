"""`python -m simulator` as a researcher uses it: list, show, simulate on both engines."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from simulator.core.settings import ROOT

# The CLI reads cases as the app does (files plus authored versions), so it opens a database.
DB = Path(tempfile.mkdtemp()) / "cli.db"


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PRACTICUM_DB": str(DB), **(env or {})})


def test_cases_and_case():
    out = cli("cases", "--json")
    assert out.returncode == 0, out.stderr
    cards = json.loads(out.stdout)
    assert len(cards) >= 16 and all("core_beliefs" not in c for c in cards)
    shown = cli("case", "tomas-herrera")
    assert json.loads(shown.stdout)["core_beliefs"]["helpless"] == ["I am incompetent.", "I am a failure, loser."]
    missing = cli("case", "nobody")
    assert missing.returncode == 2 and "no patient case with id 'nobody'" in missing.stderr


def test_simulate_offline_is_a_reproducible_batch_run(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("Hello, what brings you in?\n\nWhat went through your mind?\nThat sounds hard.\n")
    args = ["simulate", "--case", "tomas-herrera", "--situation", "2", "--style", "verbose",
            "--script", str(script), "--seed", "4", "--json"]
    first, second = cli(*args), cli(*args)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["transcript"] == json.loads(second.stdout)["transcript"]
    assert [t["role"] for t in result["transcript"]] == ["therapist", "patient"] * 3
    assert result["state"]["turn"] == 3 and "automatic_thoughts" in result["state"]["surfaced"]
    assert result["engine"] == "offline" and result["situation"] == 2
    bad = cli("simulate", "--case", "tomas-herrera", "--situation", "9", "--style", "plain", "--script", str(script))
    assert bad.returncode == 2 and "situations 1 to 2" in bad.stderr


def test_simulate_on_the_llm_engine(tmp_path, openai_server):
    openai_server.script.reply = "It's been a rough month, honestly."
    script = tmp_path / "script.txt"
    script.write_text("How are you?\nTell me more.\n")
    out = cli("simulate", "--case", "tomas-herrera", "--style", "plain", "--script", str(script),
              "--engine", "llm", "--json",
              env={"PRACTICUM_LLM_BASE_URL": openai_server.base_url, "PRACTICUM_LLM_MODEL": "m"})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["engine"] == "m"
    assert [t["text"] for t in result["transcript"] if t["role"] == "patient"] == ["It's been a rough month, honestly."] * 2
    openai_server.script.fail_status = 500
    failed = cli("simulate", "--case", "tomas-herrera", "--style", "plain", "--script", str(script),
                 "--engine", "llm", env={"PRACTICUM_LLM_BASE_URL": openai_server.base_url,
                                         "PRACTICUM_LLM_MAX_RETRIES": "0"})
    assert failed.returncode == 3 and "HTTP 500" in failed.stderr


def test_the_cli_reads_a_case_as_the_app_does_with_its_authored_version(tmp_path):
    from simulator.accounts import users
    from simulator.core.db import Store
    from simulator.core.settings import Settings
    from simulator.services import case_library, prepare_database
    from simulator.supervision import authoring

    settings = Settings(db_path=tmp_path / "app.db")
    prepare_database(settings)
    store = Store(settings.db_path)
    admin = users.create_user(store, None, "ada", "a long enough password", "admin")
    data = case_library(settings).get("tomas-herrera").model_dump(mode="json")
    data["presenting_problem"] = "Low mood since a kitchen fire closed the restaurant for a month."
    authoring.save_case(store, admin, data, case_library(settings), new=False, baseline=1)
    shown = cli("case", "tomas-herrera", env={"PRACTICUM_DB": str(settings.db_path)})
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["presenting_problem"].startswith("Low mood since a kitchen fire")


def test_prepare_models_in_the_background_returns_at_once_and_starts_a_build_of_its_own(tmp_path, monkeypatch,
                                                                                      capsys):
    # make run: the quick parts now, the fine-tuning in a process that outlives the command.
    import time

    from simulator.cli import main
    from simulator.traps import reframe_pair

    monkeypatch.setattr(reframe_pair, "model_path", lambda: tmp_path / "reframe-encoder-missing.onnx")
    started = time.monotonic()
    assert main(["prepare-models", "--background", "--log", str(tmp_path / "prepare.log")]) == 0
    said = capsys.readouterr().out
    assert time.monotonic() - started < 120
    assert "building the reframe classifier (fine-tuned) in the background" in said and "prepare.log" in said
    # The background process looks for itself: here every classifier is built already (make test
    # prepared them), so it finds them and says so in its log.
    log_file = tmp_path / "prepare.log"
    deadline = time.monotonic() + 180
    while "reframe classifier (fine-tuned)" not in (log_file.read_text() if log_file.exists() else ""):
        assert time.monotonic() < deadline, log_file.read_text() if log_file.exists() else "no log"
        time.sleep(1)


def test_prepare_models_in_the_background_starts_nothing_when_everything_is_built(tmp_path, monkeypatch, capsys):
    from simulator.cli import main

    assert main(["prepare-models", "--background", "--log", str(tmp_path / "prepare.log")]) == 0
    said = capsys.readouterr().out
    assert "all built" in said and "in the background" not in said and not (tmp_path / "prepare.log").exists()
