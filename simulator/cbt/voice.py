"""A case in the patient's own voice: third-person notes turned first person, and every field cut
into sentences once per case so each reply is cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.cbt.case import PatientCase
from simulator.core.text import split_sentences

# The patient never talks about the model it is built from.
FIELD_NAMES = re.compile(
    r"core belief|automatic thought|intermediate belief|coping strateg|cognitive|diagram|schema"
    r"|situation \d|conceptuali[sz]ation", re.IGNORECASE)

_FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|[Mm]y|[Mm]e|[Mm]yself|[Mm]ine)\b")


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
    body: tuple[str, ...] = ()
    # The situation's effective deeper layers (its own where it has them, the patient's otherwise).
    rules: tuple[str, ...] = ()
    rules_depression: tuple[str, ...] = ()
    coping: tuple[str, ...] = ()
    core_beliefs: tuple[str, ...] = ()
    overridden: frozenset[str] = frozenset()


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
    texts += [s.situation + " " + s.automatic_thoughts + " " + s.behavior + " " + (s.body or "")
              for s in case.situations]
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
        situations=tuple(_situation_text(case, i, field) for i in range(len(case.situations))),
        proper_words=frozenset(proper),
    )


def _situation_text(case: PatientCase, i: int, field) -> _SituationText:
    s = case.situations[i]
    model = case.model_for(i)
    return _SituationText(
        situation=field(s.situation), thoughts=field(s.automatic_thoughts),
        behavior=field(s.behavior),
        emotions=tuple(tuple(w.strip() for w in e.split(",")) for e in s.emotions),
        body=field(s.body),
        rules=field(model.intermediate_beliefs),
        rules_depression=field(model.intermediate_beliefs_depression),
        coping=field(model.coping_strategies),
        core_beliefs=model.core_beliefs,
        overridden=model.overridden,
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


