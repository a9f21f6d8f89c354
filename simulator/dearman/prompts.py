"""Messages for the LLM rater and counterpart, filled from the templates in prompts/."""

from __future__ import annotations

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from simulator.dearman.schema import (
    CounterpartState,
    DearmanTurn,
    MessageContext,
    Scenario,
)
from simulator.llm.templates import max_words, render

NOTHING_YET = "(nothing yet: this is the first message)"


def rater_messages(ctx: MessageContext, examples: list[tuple[str, str, str]]) -> list[BaseMessage]:
    shown = "\n".join(f"- {skill}, {level}: {text}" for skill, level, text in examples) or "(none)"
    return [
        SystemMessage(render("dearman_rater_system")),
        HumanMessage(render("dearman_rater_user", situation=ctx.situation, goal=ctx.goal,
                            partner_last=ctx.partner_last or NOTHING_YET, examples=shown,
                            message=ctx.message)),
    ]


def _stance(scenario: Scenario, state: CounterpartState) -> str:
    if state.agreed and state.offer:
        return render("dearman_stance_agree_offer", offer=state.offer).strip()
    if state.agreed:
        return render("dearman_stance_agree", agreement=scenario.counterpart.agreement).strip()
    if state.irritation >= 0.6:
        mood = "dearman_mood_irritated"
    elif state.willingness >= 0.6 * state.threshold:
        mood = "dearman_mood_softening"
    else:
        mood = "dearman_mood_resistant"
    return render("dearman_stance_hold", mood=render(mood).strip()).strip()


def counterpart_messages(scenario: Scenario, history: list[DearmanTurn], state: CounterpartState,
                         message: str, max_reply_tokens: int) -> list[BaseMessage]:
    spec = scenario.counterpart
    system = render("dearman_counterpart_system", name=spec.name, relationship=spec.relationship,
                    persona=spec.persona, situation=scenario.situation, goal=scenario.goal,
                    max_words=max_words(max_reply_tokens),
                    objections="\n".join(f"- {o}" for o in spec.objections))
    messages: list[BaseMessage] = [SystemMessage(system), AIMessage(spec.opening)]
    for turn in history:
        messages.append(HumanMessage(turn.text) if turn.role == "trainee" else AIMessage(turn.text))
    if not history or history[-1].role != "trainee" or history[-1].text != message:
        messages.append(HumanMessage(message))
    note = render("dearman_counterpart_turn", name=spec.name, irritation=round(state.irritation * 100),
                  willingness=round(state.willingness * 100), stance=_stance(scenario, state),
                  words=max(8, len(message.split())))
    messages.append(SystemMessage(note))
    return messages
