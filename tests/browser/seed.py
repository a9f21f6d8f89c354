"""A database holding one of everything, made through the same services the pages use.

Used by the browser suite (every role opens every page it may open) and runnable by hand to look
at the app: `python -m tests.browser.seed DB` prints the accounts it made.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from simulator.accounts import users
from simulator.cbt.engine_offline import OfflineEngine
from simulator.core.db import Store
from simulator.core.settings import Settings
from simulator.dearman.schema import EmotionRatings
from simulator.services import (
    Services,
    SignIn,
    case_library,
    prepare_database,
    scenario_library,
)
from simulator.traps import drill

PASSWORD = "a long enough password for tests"
PEOPLE = {"ada": "admin", "sam": "supervisor", "tess": "trainee", "rhea": "researcher"}
INTERVIEW = [
    "Hi Tomás, thanks for coming in. What would you like to focus on today?",
    "Can you tell me about a recent time when that happened?",
    "What went through your mind right then?",
    "How did you feel, in that moment?",
    "What did you do next?",
    "It sounds like that really stung. What does it say about you, if that's true?",
    "And if that were true, what would that mean?",
]


def seed(db_path: str | Path) -> dict[str, str]:
    """Fill a fresh database; return the ids of what the pages will show, by name."""
    settings = Settings(db_path=Path(db_path), export_secret="seed-secret")
    prepare_database(settings)
    store = Store(settings.db_path)
    users.create_user(store, None, "ada", PASSWORD, "admin")  # the first admin, as the command line makes it
    admin = SignIn.for_settings(settings).resume(SignIn.for_settings(settings).login("ada", PASSWORD))

    def services(actor) -> Services:
        return Services(store, settings, actor, case_library(settings), scenario_library(settings), OfflineEngine())

    people = {"ada": admin}
    for name, role in PEOPLE.items():
        if name != "ada":
            people[name] = services(admin).accounts.create_user(name, PASSWORD, role)
    accounts = services(admin).accounts
    cohort = accounts.create_cohort("Autumn cohort")
    accounts.add_member(cohort, people["tess"].id, "trainee")
    accounts.add_member(cohort, people["sam"].id, "supervisor")

    tess = services(people["tess"])
    tess.accounts.set_consent(True)
    interview = tess.interviews.start("tomas-herrera", "plain", situation_index=0, seed=7)
    for line in INTERVIEW:
        tess.interviews.say(interview.id, line)
        list(tess.interviews.respond(interview.id))
    tess.formulations.submit(interview.id, {
        "situation": "His manager criticised his report in front of the team.",
        "automatic_thoughts": "Everyone thinks I'm useless; I'll never get it right.",
        "emotions": ["ashamed, embarrassed, humiliated", "sad, down, lonely, unhappy"],
        "behavior": "He left the meeting early and skipped lunch.",
        "core_beliefs": ["I am incompetent."],
        "intermediate_beliefs": "If I make a mistake, people will see I am not good enough.",
        "coping_strategies": "He works late to check everything twice.",
        "history": "A strict father who noticed every mistake.",
    })
    active = tess.interviews.start("amara-okafor", tess.interviews.case("amara-okafor").styles[0], seed=3)
    tess.interviews.say(active.id, "Hello Amara, what brings you here today?")
    list(tess.interviews.respond(active.id))

    scenario = next(iter(scenario_library(settings)))
    talk = tess.dearman.start(scenario, EmotionRatings(anger=3, fear=4, sadness=2, disgust=1), seed=5)
    tess.dearman.send(talk.id, "I paid the whole bill last month. I'd like you to pay your half by Friday.")
    list(tess.dearman.respond(talk.id))
    tess.dearman.give_up(talk.id)
    tess.dearman.end(talk.id, EmotionRatings(anger=2, fear=3, sadness=2, disgust=1))
    open_talk = tess.dearman.start(scenario, EmotionRatings(anger=2, fear=2, sadness=2, disgust=1), seed=6)
    tess.dearman.send(open_talk.id, "Could you pay me back the money you owe, please?")
    list(tess.dearman.respond(open_talk.id))
    tess.dearman.give_up(open_talk.id)  # over, but the after-ratings are still to give

    item = drill.items()[0]
    tess.traps.drill_submit(item.id, [item.patterns[0]], "It went badly this time; that does not decide every time.")
    thought = tess.traps.restructuring_thoughts("tomas-herrera")[0]
    dialogue = tess.traps.start_restructuring("tomas-herrera", thought, seed=2)
    tess.traps.restructuring_say(dialogue, "What went through your mind when that happened?")

    sam = services(people["sam"])
    sam.supervision.add_comment(interview.id, 0, "A warm, open start.")
    sam.supervision.grade(interview.id, {i.id: 4 for i in sam.supervision.rubric().items}, "Good first interview.")
    sam.supervision.assign("cbt", "marcus-bell", date.today() + timedelta(days=7),
                           style=tess.interviews.case("marcus-bell").styles[0], cohort_id=cohort)
    return {"interview": interview.id, "active_interview": active.id, "dearman": talk.id,
            "dearman_to_finish": open_talk.id,
            "restructuring": dialogue, "cohort": cohort, **{f"user:{n}": p.id for n, p in people.items()}}


if __name__ == "__main__":
    ids = seed(sys.argv[1])
    print(f"accounts {', '.join(f'{n} ({r})' for n, r in PEOPLE.items())}, password {PASSWORD!r}")
    print(ids)
