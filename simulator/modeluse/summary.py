"""Model usage per day, exercise, cohort or model, for the admin page and the `usage` command."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Literal

from pydantic import BaseModel

from simulator.accounts.actor import Actor
from simulator.accounts.policy import require_admin
from simulator.core.db import Store
from simulator.llm.usage import OUTCOMES

NO_COHORT = "(no cohort)"
NO_ACCOUNT = "(no account)"


class UsageRow(BaseModel):
    key: str  # the day, exercise, cohort name or model
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    estimated_calls: int  # calls whose counts were estimated here, not reported by the server
    outcomes: dict[str, int]
    mean_latency_ms: float
    people: int  # distinct accounts

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


Grouping = Literal["day", "exercise", "cohort", "model"]


def summary(store: Store, actor: Actor | None, by: Grouping = "day", since: date | None = None,
            until: date | None = None) -> list[UsageRow]:
    """Usage per day, exercise, cohort or model between `since` and `until` (UTC days, inclusive).

    Per cohort, an account counts in every cohort it belongs to now (so cohorts may add up to more
    than the total); calls of accounts in no cohort, and of erased accounts, have their own rows.
    """
    require_admin(actor)
    if by not in ("day", "exercise", "cohort", "model"):
        raise ValueError(f"usage is summarised by day, exercise, cohort or model, not {by!r}")
    where, args = ["1 = 1"], []
    if since:
        where.append("c.day >= ?")
        args.append(since.isoformat())
    if until:
        where.append("c.day <= ?")
        args.append(until.isoformat())
    if by == "cohort":
        sql = ("select c.*, coalesce(k.name, case when c.user_id is null then ? else ? end) as grp "
               "from llm_calls c left join cohort_members m on m.user_id = c.user_id "
               "left join cohorts k on k.id = m.cohort_id where " + " and ".join(where))
        args = [NO_ACCOUNT, NO_COHORT, *args]
    else:
        sql = f"select c.*, c.{by} as grp from llm_calls c where " + " and ".join(where)
    groups: dict[str, list[dict]] = defaultdict(list)
    with store.db() as db:
        for row in db.query(sql, args):
            groups[row["grp"]].append(row)
    out = []
    for key in sorted(groups):
        rows = groups[key]
        outcomes = {o: 0 for o in OUTCOMES}
        for r in rows:
            outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
        out.append(UsageRow(
            key=key, calls=len(rows), prompt_tokens=sum(r["prompt_tokens"] for r in rows),
            completion_tokens=sum(r["completion_tokens"] for r in rows),
            cached_tokens=sum(r["cached_tokens"] or 0 for r in rows),
            estimated_calls=sum(r["estimated"] for r in rows), outcomes=outcomes,
            mean_latency_ms=round(sum(r["latency_ms"] for r in rows) / len(rows), 1),
            people=len({r["user_id"] for r in rows if r["user_id"]}),
        ))
    return out
