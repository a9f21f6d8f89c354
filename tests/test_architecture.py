"""The shape of the code: import contracts (.importlinter), logging of every fallback, one access policy."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.core.errors import EngineError
from simulator.core.settings import ROOT
from simulator.llm.fallback import with_fallback


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_every_package_says_what_it_owns():
    for init in (ROOT / "simulator").rglob("__init__.py"):
        text = init.read_text(encoding="utf-8").lstrip()
        assert text.startswith('"""'), f"{init.relative_to(ROOT)} has no docstring"


def test_pages_never_open_the_database_themselves():
    for page in (ROOT / "views").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        assert "Store(" not in text and "sqlite" not in text, page.name


def test_a_model_failure_falls_back_and_is_logged_with_its_reason(caplog):
    def model():
        raise EngineError("The model server did not answer within 30 seconds.")

    with caplog.at_level(logging.WARNING, logger="simulator"):
        got = with_fallback("thinking-trap detection", model, lambda why: f"offline ({why})")
    assert got == "offline (The model server did not answer within 30 seconds.)"
    assert "thinking-trap detection" in caplog.text and "did not answer within 30 seconds" in caplog.text


def test_a_programming_error_in_a_model_path_is_logged_with_its_traceback(caplog):
    def model():
        return {}["missing"]

    with caplog.at_level(logging.WARNING, logger="simulator"):
        got = with_fallback("formulation judge", model, lambda why: why)
    assert got.startswith("KeyError")
    record = next(r for r in caplog.records if "formulation judge" in r.getMessage())
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_no_silent_broad_except_in_the_domain():
    """A broad `except Exception` must log (through llm.fallback) or re-raise."""
    for path in (ROOT / "simulator").rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "except Exception" in line and "noqa: BLE001" not in line:
                body = "\n".join(lines[i + 1:i + 8])
                assert "raise" in body, f"{path.relative_to(ROOT)}:{i + 1} swallows exceptions"


@pytest.mark.parametrize("level", ["DEBUG", "warning"])
def test_the_log_level_is_a_setting(monkeypatch, level):
    from simulator.core.settings import load_settings

    monkeypatch.setenv("PRACTICUM_LOG_LEVEL", level)
    assert load_settings().log_level == level.upper()
