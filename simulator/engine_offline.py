"""The offline patient: deterministic, no network, every fact taken from the case.

`plan_turn` decides what to say; this module turns that plan into first-person sentences from the
case, joined by fact-free connective phrases from data/offline/phrases.json.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from .disclosure import plan_turn
from .engine import EngineError, PatientReply, TurnPlan, TurnRequest
from .schema import DisclosureState, PatientCase
from .settings import DATA_DIR

# The patient never talks about the model it is built from.
FIELD_NAMES = re.compile(
    r"core belief|automatic thought|intermediate belief|coping strateg|cognitive|diagram|schema"
    r"|situation \d|conceptuali[sz]ation", re.IGNORECASE)

ABBREVIATIONS = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Prof|Jr|Sr|vs|etc|e\.g|i\.e|a\.m|p\.m)\.",
                            re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]\u201d]))\s+")
_FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|[Mm]y|[Mm]e|[Mm]yself|[Mm]ine)\b")


@lru_cache(maxsize=1)
def phrases() -> dict:
    raw = json.loads((DATA_DIR / "offline" / "phrases.json").read_text(encoding="utf-8"))
    raw.pop("_about", None)
    return raw


# ---------------------------------------------------------------- text of the case

def split_sentences(text: str) -> list[str]:
    """Sentences of a case field; enumerations like "(1)" and blank lines are dropped."""
    text = re.sub(r"\[[^\]]*\]", " ", text)  # editorial tags such as "[during depression]"
    text = re.sub(r"\(\d+\)\s*", "", text)
    text = ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\0"), text)
    out = []
    for line in re.split(r"\n+", text):
        for part in _SENTENCE_END.split(line.strip()):
            part = part.replace("\0", ".").strip()
            if re.search(r"[^\W\d_]", part):
                out.append(part if part[-1] in ".!?\"'" else part + ".")
    return out


def count_sentences(text: str) -> int:
    """How many sentences a reply has, counted the way a reader would."""
    text = ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", ""), text)
    return sum(1 for part in _SENTENCE_END.split(text.strip()) if re.search(r"[^\W\d_]", part))


_ADVERBS = r"(?:never|always|often|still|also|just|then|usually|sometimes|really|only|rarely|even|now)"
_NOT_VERBS = {"was", "is", "has", "does", "always", "sometimes", "perhaps", "thus", "this", "his",
              "its", "less", "unless", "across", "yes", "as", "us", "plus", "towards", "afterwards",
              "parents", "friends", "kids", "children", "others", "news", "nowadays"}
# Words that can follow a verb opening a subjectless note ("Avoids asking", "Checks every ...").
_COMPLEMENT = re.compile(
    r"(to|about|on|in|with|a|an|the|his|her|my|their|that|over|at|from|up|out|back|off|down|"
    r"every|each|all|some|any|no|nothing|everything|everyone|anyone|before|after|when|for|if|"
    r"\w+ing)$", re.IGNORECASE)


def _base_verb(word: str) -> str:
    low = word.lower()
    irregular = {"is": "am", "has": "have", "does": "do", "doesn't": "don't", "isn't": "am not",
                 "hasn't": "haven't", "was": "was", "wasn't": "wasn't"}
    if low in irregular:
        return irregular[low]
    if not low.endswith("s") or low.endswith("ss") or low in _NOT_VERBS or "'" in low:
        return word
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if re.search(r"(ch|sh|x|z|o)es$", low):
        return word[:-2]
    return word[:-1]


_CONJUNCTIONS = {"and", "when", "because", "but", "so", "while", "after", "before", "until", "since",
                 "if", "as", "then", "that", "though", "although", "where"}
# Words after which "her" is an object ("told her to"), not a possessive ("her mother").
_AFTER_OBJECT = {"to", "and", "the", "a", "an", "for", "when", "that", "in", "on", "at", "with",
                 "about", "again", "because", "but", "so", "if", "as", "or", "up", "out", "down",
                 "off", "over", "back", "anymore"}


def first_person(text: str, case: PatientCase) -> str:
    """Turn a third-person case note ("Abe avoids ... his ...") into the patient's own voice.

    Text already in the first person is returned unchanged. Approximate by design: it handles the
    patient's name, their own pronouns and the verb right after, and subjectless notes such as
    "Avoids asking for help.".
    """
    if not text.strip() or _FIRST_PERSON.search(text):
        return text
    names = {case.name, case.name.split()[0]}
    pronouns = case.pronouns.lower()
    subj = "he" if pronouns.startswith("he") else "she" if pronouns.startswith("she") else None
    obj = {"he": "him", "she": "her"}.get(subj or "")
    poss = {"he": "his", "she": "her"}.get(subj or "")

    def sentence(s: str) -> str:
        for name in sorted(names, key=len, reverse=True):
            s = re.sub(rf"\b{re.escape(name)}['\u2019]s\b", "\0MY", s)
            s = re.sub(rf"\b{re.escape(name)}\b", "\0NAME", s)
        tokens = re.split(r"([^\w\0]+)", s)
        out: list[str] = []
        seen_i = False  # once "I" is the subject, a later "him"/"her" is somebody else
        for i, tok in enumerate(tokens):
            low = tok.lower()
            words_before = [t for t in out if re.match(r"\w", t)]
            prev = words_before[-1].lower() if words_before else ""
            gap = tokens[i + 1] if i + 1 < len(tokens) else ""
            nxt = tokens[i + 2].lower() if i + 2 < len(tokens) and gap.strip() == "" else ""
            if tok == "\0MY":
                out.append("my" if words_before else "My")
            elif tok == "\0NAME":
                punct = bool(out) and bool(re.search(r"[:;,(]", out[-1]))
                subject = not prev or prev in _CONJUNCTIONS or punct
                out.append("I" if subject else "me")
                seen_i = seen_i or subject
            elif subj and low == subj:
                out.append("I")
                seen_i = True
            elif low == "her" and subj == "she" and (not nxt or nxt in _AFTER_OBJECT):
                out.append(tok if seen_i else "me")
            elif poss and low == poss:
                out.append("My" if tok[0].isupper() else "my")
            elif obj and low == obj:
                out.append(tok if seen_i else "me")
            elif obj and low == obj + "self":
                out.append("myself")
            else:
                out.append(tok)
        result = "".join(out)
        result = re.sub(rf"\bI( {_ADVERBS})? ([A-Za-z']+)",
                        lambda m: f"I{m.group(1) or ''} {_base_verb(m.group(2))}", result)

        def add_subject(m: re.Match[str]) -> str:
            word, rest = m.group(2), m.group(3)
            base = _base_verb(word)
            if base == word or not _COMPLEMENT.match(rest):
                return m.group(0)
            return f"{m.group(1)}I {base.lower()} {rest}"

        # Subjectless notes: "Avoids asking for help; ruminates about ..." -> "I avoid ...". A note
        # that already has "I" opening a clause ("Precipitants: I struggle") has its subject.
        if not (seen_i and re.search(r"(^|[;:]\s*)I\b", result)):
            result = re.sub(r"(^|[;:]\s*)([A-Za-z]+s) (\w+)", add_subject, result)

        def coordinated(m: re.Match[str]) -> str:
            base = _base_verb(m.group(2))
            return m.group(0) if base == m.group(2) or not _COMPLEMENT.match(m.group(3)) else \
                f"{m.group(1)}{base} {m.group(3)}"

        # "I struggle and then loses my job" -> "... and then lose my job", within I's clause.
        if re.search(r"\bI\b", result):
            result = re.sub(r"(\b(?:and|or)(?: then)? )([a-z]+s) (\w+)", coordinated, result)
        return result

    return " ".join(sentence(s) for s in split_sentences(text))


@dataclass(frozen=True)
class _SituationText:
    situation: tuple[str, ...]
    thoughts: tuple[str, ...]
    behavior: tuple[str, ...]
    emotions: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class CaseText:
    """A case cut into first-person sentences once, so each reply is cheap."""

    problem: str
    problem_is_sentence: bool
    occupation: str
    history: tuple[str, ...]
    rules: tuple[str, ...]
    rules_depression: tuple[str, ...]
    coping: tuple[str, ...]
    situations: tuple[_SituationText, ...]
    proper_words: frozenset[str]


def _clean(sentences: list[str]) -> tuple[str, ...]:
    return tuple(s for s in sentences if not FIELD_NAMES.search(s))


def _build(case: PatientCase) -> CaseText:
    def field(text: str | None) -> tuple[str, ...]:
        return _clean(split_sentences(first_person(text, case))) if text else ()

    texts = [case.history, case.intermediate_beliefs, case.intermediate_beliefs_depression or "",
             case.coping_strategies, case.presenting_problem, case.occupation, case.name]
    texts += [s.situation + " " + s.automatic_thoughts + " " + s.behavior for s in case.situations]
    # Capitalised words inside a sentence are names: they keep their capital after a lead-in.
    proper = {w for t in texts for s in split_sentences(t)
              for w in re.findall(r"(?<=\s)[A-Z][\w']*", s) if w != "I" and not w.startswith("I'")}
    problem = first_person(case.presenting_problem.strip(), case).strip().rstrip(".")
    return CaseText(
        problem=problem,
        problem_is_sentence=bool(_FIRST_PERSON.match(problem)),
        occupation=case.occupation.strip().rstrip("."),
        history=field(case.history),
        rules=field(case.intermediate_beliefs),
        rules_depression=field(case.intermediate_beliefs_depression),
        coping=field(case.coping_strategies),
        situations=tuple(
            _SituationText(
                situation=field(s.situation), thoughts=field(s.automatic_thoughts),
                behavior=field(s.behavior),
                emotions=tuple(tuple(w.strip() for w in e.split(",")) for e in s.emotions),
            ) for s in case.situations),
        proper_words=frozenset(proper),
    )


_CACHE: dict[str, tuple[str, CaseText]] = {}


def case_text(case: PatientCase) -> CaseText:
    """Per-case sentence splits, cached by case id (rebuilt if the case was edited)."""
    fingerprint = case.model_dump_json()
    hit = _CACHE.get(case.id)
    if hit is None or hit[0] != fingerprint:
        hit = (fingerprint, _build(case))
        _CACHE[case.id] = hit
    return hit[1]


# ---------------------------------------------------------------- rendering

ESSENTIAL, DETAIL, CONNECTIVE, FILLER = 0, 1, 2, 3


class _Reply:
    """Sentences tagged with how much they matter, so a reply can be trimmed or padded."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, int]] = []

    def add(self, text: str, weight: int) -> None:
        if text and all(text != t for t, _ in self.parts):
            self.parts.append((text, weight))

    def count(self) -> int:
        return sum(count_sentences(t) for t, _ in self.parts)

    def trim(self, target: int) -> None:
        for weight in (FILLER, CONNECTIVE, DETAIL):
            while self.count() > target:
                idx = next((i for i in range(len(self.parts) - 1, -1, -1)
                            if self.parts[i][1] == weight), None)
                if idx is None or len(self.parts) == 1:
                    break  # a reply keeps at least one sentence
                del self.parts[idx]

    def text(self) -> str:
        return " ".join(t for t, _ in self.parts)


class _Renderer:
    def __init__(self, case: PatientCase, situation_index: int, style: str, plan: TurnPlan,
                 before: DisclosureState, after: DisclosureState, rng: random.Random) -> None:
        self.style, self.plan, self.rng = style, plan, rng
        self.before, self.after = before, after
        self.ct = case_text(case)
        self.sit = self.ct.situations[situation_index]
        self.situation_index = situation_index
        self.brief = plan.target_sentences <= 2

    def pick(self, key: str) -> str:
        options = phrases()[key]
        if isinstance(options, dict):
            options = options.get(self.style, options["default"])
        return self.rng.choice(options)

    def lower_first(self, s: str) -> str:
        word = re.match(r"[\w']+", s)
        if not word or word.group(0) == "I" or word.group(0).startswith("I'") \
                or word.group(0) in self.ct.proper_words or s[1:2].isupper():
            return s
        return s[0].lower() + s[1:]

    def hedged(self, s: str) -> str:
        return self.pick("hedge") + self.lower_first(s)

    def again(self, s: str, element: str) -> str:
        asked = any(m.startswith("ask_") for m in self.plan.moves)
        if asked and element in self.before.surfaced and self.rng.random() < 0.7:
            return self.pick("repeat_lead") + self.lower_first(s)
        return s

    def emotions(self) -> str:
        words = [self.rng.choice(e[:2]) for e in self.sit.emotions[:2]]
        felt = " and ".join(dict.fromkeys(words))
        return self.pick("emotion").format(e=felt)

    def problem(self) -> str:
        if self.ct.problem_is_sentence:
            return self.ct.problem + "."
        return self.pick("problem").format(problem=self.lower_first(self.ct.problem))

    def element(self, element: str, reply: _Reply) -> None:
        """Add what the patient says about one element: its first sentence is the essential one."""
        sentences: tuple[str, ...] = ()
        lead = None
        if element == "situation":
            sentences = self.sit.situation
            if element not in self.before.surfaced:
                lead = self.pick("situation_lead")
        elif element == "emotions":
            reply.add(self.again(self.emotions(), element), ESSENTIAL)
            return
        elif element == "behavior":
            sentences = self.sit.behavior
        elif element == "automatic_thoughts":
            said = self.sit.thoughts[:1] if self.brief else self.sit.thoughts
            if said:
                reply.add(self.again(self.pick("thought").format(t=" ".join(said)), element),
                          ESSENTIAL)
            return
        elif element == "coping_strategies":
            sentences, lead = self.ct.coping, self.pick("coping_lead")
        elif element == "history":
            sentences, lead = self.ct.history, self.pick("history_lead")
        elif element == "intermediate_beliefs":
            sentences, lead = self.ct.rules, self.pick("rule_lead")
        elif element == "intermediate_beliefs_depression":
            sentences, lead = self.ct.rules_depression, self.pick("depression_lead")
        elif element == "core_beliefs":
            for belief in self.plan.core_beliefs:
                reply.add(self.pick("belief").format(b=belief), ESSENTIAL)
            return
        if not sentences:
            return
        if lead and not self.brief:
            reply.add(lead, CONNECTIVE)
        first = self.hedged(sentences[0]) if self.brief and self.rng.random() < 0.5 else sentences[0]
        reply.add(self.again(first, element), ESSENTIAL)
        for s in sentences[1:]:
            reply.add(s, DETAIL)

    def tangent(self, reply: _Reply) -> None:
        reply.add(self.pick("tangent_open"), CONNECTIVE)
        others = [s for i, s in enumerate(self.ct.situations) if i != self.situation_index
                  and s.situation]
        # The drift itself is what the plan asked for: it survives trimming.
        if others and self.rng.random() < 0.5:
            reply.add(self.rng.choice(others).situation[0], ESSENTIAL)
        else:
            reply.add(self.pick("occupation").format(occupation=self.lower_first(self.ct.occupation)),
                      ESSENTIAL)

    def allowed_detail(self) -> list[str]:
        """Case sentences the patient has already shared and may go back over."""
        out: list[str] = [self.problem()]
        for element in self.after.surfaced:
            if element == "situation":
                out += self.sit.situation
            elif element == "behavior":
                out += self.sit.behavior
            elif element == "history":
                out += self.ct.history
            elif element == "coping_strategies":
                out += self.ct.coping
            elif element == "intermediate_beliefs":
                out += self.ct.rules
        return out

    def compose(self) -> str:
        plan, moves, acts = self.plan, set(self.plan.moves), set(self.plan.behaviours)
        reply = _Reply()
        if "probe_prompt" in moves:
            reply.add(self.pick("probe"), CONNECTIVE)
            return reply.text()
        if "closing" in moves:
            reply.add(self.pick("closing"), CONNECTIVE)
            if "agree" in acts:
                reply.add(self.pick("agree"), CONNECTIVE)
            return reply.text()

        if "greeting" in moves:
            reply.add(self.pick("greeting"), CONNECTIVE)
        if "judgmental" in moves:
            key = "judged_agree" if "agree" in acts else "resist_judged" if "resist" in acts else "hurt"
            reply.add(self.pick(key), ESSENTIAL)
        elif "resist" in acts:
            reply.add(self.pick("resist"), ESSENTIAL)
        elif "abrupt" in moves:
            reply.add(self.pick("abrupt_ack"), CONNECTIVE)
        if "summarise" in moves:
            reply.add(self.pick("summary_ack"), CONNECTIVE)
        elif moves & {"reflect", "validate"}:
            reply.add(self.pick("acknowledge"), CONNECTIVE)
            if not plan.reveal and not self.brief:
                reply.add(self.pick("reflect_more"), CONNECTIVE)
        if "psychoeducation" in moves:
            reply.add(self.pick("psychoeducation_ack"), CONNECTIVE)
        if "off_topic" in moves:
            reply.add(self.pick("off_topic"), ESSENTIAL)

        opening = "situation" in plan.reveal and "situation" not in self.before.surfaced
        if opening or ("agenda" in moves and not plan.reveal):
            reply.add(self.problem(), ESSENTIAL if not plan.reveal else DETAIL)
        for element in plan.reveal:
            self.element(element, reply)
        if plan.withheld and "deflect" in acts:
            reply.add(self.pick("deflect"), ESSENTIAL if not plan.reveal else CONNECTIVE)
        if "agree" in acts and "judgmental" not in moves:
            reply.add(self.pick("agree"), CONNECTIVE)
        if "tangent" in acts:
            self.tangent(reply)
        if "greeting" in moves and reply.count() <= 1:
            reply.add(self.pick("how_are_you"), CONNECTIVE)
        if not reply.parts:
            reply.add(self.pick("confusion" if "other" in moves else "continue"), ESSENTIAL)

        self.pad(reply, acts)
        reply.trim(plan.target_sentences)
        if self.brief and reply.count() <= 1 and self.rng.random() < 0.3:
            text, weight = reply.parts[0]
            reply.parts[0] = (self.hedged(text), weight)
        return reply.text()

    def pad(self, reply: _Reply, acts: set[str]) -> None:
        """Long-winded styles go back over what they have already said."""
        if reply.count() >= self.plan.target_sentences:
            return
        if "elaborate" in acts:
            detail = self.allowed_detail()
            self.rng.shuffle(detail)
            fill = [(s, DETAIL) for s in detail] + [(f, FILLER) for f in phrases()["filler"]]
            self.rng.shuffle(fill)
        elif "tangent" in acts:
            fill = [(self.pick("occupation").format(
                occupation=self.lower_first(self.ct.occupation)), DETAIL), (self.pick("filler"), FILLER)]
        elif "agree" in acts:
            fill = [(a, FILLER) for a in self.rng.sample(phrases()["agree"], 2)]
        else:
            return
        for text, weight in fill:
            if reply.count() >= self.plan.target_sentences:
                break
            reply.add(text, weight)


def render(case: PatientCase, situation_index: int, style: str, plan: TurnPlan,
           before: DisclosureState, after: DisclosureState, seed: int = 0) -> str:
    """The patient's words for `plan`, never the same as the previous reply."""
    text = ""
    for attempt in range(6):
        rng = random.Random(f"render:{seed}:{after.turn}:{case.id}:{attempt}")
        text = _Renderer(case, situation_index, style, plan, before, after, rng).compose()
        if text != before.last_reply:
            return text
    # Every variant matched the last reply: change the opening words instead.
    hedges = [h for h in phrases()["hedge"] if not text.startswith(h)]
    first = text if re.match(r"I\b", text) else text[0].lower() + text[1:]
    return hedges[after.turn % len(hedges)] + first


def _chunks(text: str) -> Iterator[str]:
    yield from re.findall(r"\S+\s*", text)


class OfflineEngine:
    """The default patient engine: no key, no network, the same reply for the same seed."""

    label = "offline"

    def reply(self, request: TurnRequest) -> PatientReply:
        if not request.transcript or request.transcript[-1].role != "therapist":
            raise EngineError("There is no message from you to answer yet.")
        message = request.transcript[-1].text
        plan, state = plan_turn(request.case, request.situation_index, request.style,
                                request.state, message, request.seed)
        text = render(request.case, request.situation_index, request.style, plan,
                      request.state, state, request.seed)
        state = state.model_copy(update={"last_reply": text})
        return PatientReply(state=state, plan=plan, chunks=_chunks(text))
