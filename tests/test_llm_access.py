"""Where the text goes: an endpoint on this machine or not, the notice a trainee confirms per
endpoint, and the admin's choice of which exercises may use the model at all."""

from __future__ import annotations

import socket

import pytest

from simulator.accounts import audit, users
from simulator.accounts.policy import AccessDenied
from simulator.cbt.engine_llm import LLMEngine
from simulator.cbt.library import CaseLibrary
from simulator.cbt.practice import Practice
from simulator.core.settings import DATA_DIR, LLMSettings, Settings
from simulator.dearman.practice import DearmanPractice
from simulator.dearman.scenarios import ScenarioLibrary, custom_scenario
from simulator.llm import destination
from simulator.modeluse import access
from simulator.traps.restructuring.dialogue import distorted_thoughts
from simulator.traps.restructuring.practice import RestructuringPractice

PW = "a long enough password"


@pytest.fixture
def people(store):
    admin = users.create_user(store, None, "ada", PW, "admin")
    tess = users.create_user(store, admin, "tess", PW, "trainee")
    return admin, tess


@pytest.fixture
def remote_fake(monkeypatch):
    """Make the test server on 127.0.0.1 count as another machine."""
    monkeypatch.setattr(destination, "is_host_on_this_machine", lambda host: False)


def own_address() -> str | None:
    """The address this machine would send from (a UDP "connect" sends nothing), if it has a route."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1",
                                 "http://0.0.0.0:8000/v1", "http://model.localhost/v1"])
def test_loopback_endpoints_are_on_this_machine(url):
    assert destination.is_on_this_machine(LLMSettings(base_url=url))
    assert destination.destination(LLMSettings(base_url=url)).local


@pytest.mark.parametrize("url", [None, "https://clinic-ai.openai.azure.com/openai/v1/", "http://10.255.255.77:8000/v1",
                                 "http://gpu-host.invalid:8000/v1", "http://192.0.2.10/v1"])
def test_other_machines_and_names_that_do_not_resolve_are_not(url):
    assert not destination.is_on_this_machine(LLMSettings(base_url=url))


def test_this_machines_own_network_address_counts_as_this_machine():
    address = own_address()
    if address is None:
        pytest.skip("this machine's name resolves to loopback only")
    assert destination.is_on_this_machine(LLMSettings(base_url=f"http://{address}:8000/v1"))


def test_the_notice_names_the_host_and_who_runs_it_in_plain_words():
    openai = destination.destination(LLMSettings())
    assert openai.host == "api.openai.com" and not openai.local
    assert "api.openai.com" in openai.notice and "OpenAI" in openai.notice and "DEAR MAN" in openai.notice
    azure = destination.destination(LLMSettings(base_url="https://clinic-ai.openai.azure.com/openai/v1/"))
    assert "Microsoft" in azure.notice and "clinic-ai.openai.azure.com" in azure.notice
    unknown = destination.destination(LLMSettings(base_url="https://models.example.org/v1"))
    assert "your clinic can tell you who runs it" in unknown.notice
    local = destination.destination(LLMSettings(base_url="http://127.0.0.1:8000/v1"))
    assert "stays on this server" in local.notice


def test_the_acknowledgement_is_per_account_and_endpoint(store, people):
    admin, tess = people
    remote = LLMSettings(base_url="https://models.example.org/v1")
    assert access.needs_acknowledgement(store, tess.id, remote)
    access.acknowledge(store, tess, remote)
    assert not access.needs_acknowledgement(store, tess.id, remote)
    assert access.needs_acknowledgement(store, admin.id, remote)  # each account confirms for itself
    # A different path on the same server is the same destination; another host or port is not.
    assert not access.needs_acknowledgement(store, tess.id, LLMSettings(base_url="https://models.example.org/v2/"))
    assert access.needs_acknowledgement(store, tess.id, LLMSettings(base_url="https://models.example.org:8443/v1"))
    assert access.needs_acknowledgement(store, tess.id, LLMSettings(base_url="https://other.example.org/v1"))
    # A model on this machine needs no notice; the shell (no account) needs none either.
    assert not access.needs_acknowledgement(store, tess.id, LLMSettings(base_url="http://127.0.0.1:9/v1"))
    assert not access.needs_acknowledgement(store, None, remote)
    entry = audit.audit_entries(store, admin)[0]
    assert entry["action"] == "llm.acknowledge" and "models.example.org" in entry["details_json"]
    with pytest.raises(AccessDenied):
        access.acknowledge(store, None, remote)


def test_no_text_reaches_a_remote_model_before_the_trainee_confirms(store, people, openai_server, remote_fake):
    _, tess = people
    settings = LLMSettings(base_url=openai_server.base_url, model="fake-model", timeout=5.0, max_retries=0)
    p = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=LLMEngine(settings), actor=tess)
    sid = p.start("tomas-herrera", "plain", situation_index=0, seed=1).id
    status = p.engine_status()
    assert status.engine == "offline" and status.reason == "needs_acknowledgement"
    assert p.session(sid).engine == "offline"  # started before the confirmation
    assert status.destination.host == "127.0.0.1" and "127.0.0.1" in status.message

    p.say(sid, "I was told my manager reads these. What brings you in?")
    assert "".join(p.respond(sid))  # the offline patient answers
    assert openai_server.requests == [] and "confirmed" in p.notice

    access.acknowledge(store, tess, settings)
    assert p.engine_status().engine == "llm"
    p.say(sid, "What happened at work?")
    assert "".join(p.respond(sid)) == openai_server.script.reply
    assert len(openai_server.requests) == 1


def test_admins_keep_chosen_exercises_on_the_offline_engine(store, people, openai_server):
    admin, tess = people
    settings = Settings(engine="llm", llm=LLMSettings(base_url=openai_server.base_url, model="fake-model",
                                                      timeout=5.0, max_retries=0))
    assert access.llm_permissions(store) == {e: True for e in access.EXERCISES}  # all may by default
    with pytest.raises(AccessDenied):
        access.set_llm_permission(store, tess, "dearman_own", False)
    with pytest.raises(ValueError, match="unknown exercise"):
        access.set_llm_permission(store, admin, "karaoke", False)
    access.set_llm_permission(store, admin, "dearman_own", False)
    access.set_llm_permission(store, admin, "restructuring", False)
    assert access.llm_permissions(store)["dearman_own"] is False
    assert audit.audit_entries(store, admin)[0]["action"] == "llm.exercise"

    # DEAR MAN about a real situation stays here; a written scenario still uses the model.
    p = DearmanPractice(store=store, settings=settings, actor=tess)
    own = p.start(custom_scenario("My manager keeps calling me at weekends.", "No calls on Sundays.", "Dana"), None, 2)
    assert own.engine == "offline"  # the session says which engine it runs on
    decision = p.engine_status(own.scenario)
    assert decision.engine == "offline" and decision.message.startswith("Your clinic runs this exercise")
    p.send(own.id, "I need Sundays without work calls.")
    assert "".join(p.respond(own.id))
    assert openai_server.requests == []

    item = {"rating": "strong", "reason": "Clear.", "suggestion": ""}
    state = {"rating": "yes", "reason": "On goal.", "suggestion": ""}
    openai_server.script.structured_object = {
        "describe": item, "express": item, "assert": item, "reinforce": item, "negotiate": item,
        "mindful": state, "confident": state, "rewrite": "I need the car back by six."}
    written = p.start(next(iter(ScenarioLibrary.load())), None, 2)
    assert p.engine_status(written.scenario).engine == "llm" and written.engine == "fake-model"
    p.send(written.id, "I need the car back by six.")
    list(p.respond(written.id))
    assert len(openai_server.requests) == 2  # the rating and the reply went to the model

    # Restructuring keeps the rule-based wording; the interview still uses the model.
    sent = len(openai_server.requests)
    case = CaseLibrary.load(DATA_DIR / "patients").get("tomas-herrera")
    rp = RestructuringPractice(store, settings, tess)
    sid = rp.start(case, distorted_thoughts(case)[0], seed=1)
    assert rp.open(sid).engine == "offline"  # the dialogue records the engine it runs on
    rp.say(sid, "What went through your mind in that meeting?")
    assert len(openai_server.requests) == sent
    assert access.decide(store, settings, "interview", tess.id).engine == "llm"
    assert access.decide(store, settings.model_copy(update={"engine": "offline"}), "interview", tess.id).reason \
        == "offline_setting"
    assert access.settings_for(store, settings, "restructuring", tess.id).engine == "offline"
