"""No page loads the embedding model (seconds of work) just by being opened."""

import subprocess
import sys

from simulator.core.settings import ROOT

PAGES = ["practice", "sessions", "formulation", "feedback", "progress", "dearman", "traps_drill",
         "restructuring", "review", "authoring", "authoring_scenarios", "export", "admin", "assignments",
         "account"]

SCRIPT = f"""
import os, sys, tempfile
sys.path.insert(0, {str(ROOT)!r})
os.environ["PRACTICUM_DB"] = os.path.join(tempfile.mkdtemp(), "p.db")
from streamlit.testing.v1 import AppTest
from simulator.accounts import signin, users
from simulator.core import embeddings
from simulator.core.db import Store
from simulator.migrations import migrate
store = Store(os.environ["PRACTICUM_DB"]); migrate(store)
users.create_user(store, None, "ada", "a long enough password", "admin")
at = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout=60)
at.session_state["auth_token"] = signin.login(store, "ada", "a long enough password")[1]
at.run()
for page in {PAGES!r}:
    at.switch_page(f"views/{{page}}.py").run()
    print(page, "error" if at.exception else "ok", "loaded" if embeddings.is_loaded() else "idle")
"""


def test_opening_every_page_leaves_the_embedding_model_unloaded():
    # A fresh process: other tests in this one may have loaded the model already.
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line.split() for line in out.stdout.splitlines()]
    assert [line[0] for line in lines] == PAGES
    assert all(line[1:] == ["ok", "idle"] for line in lines), out.stdout
