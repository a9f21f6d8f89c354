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
# Quoted words are somebody's speech, not the note's voice ('He thinks "I am useless"').
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
# A case note's label for the belief group a rule belongs to ("Helpless: If I ..."): a note for
# the clinician, never said by the patient.
_GROUP_LABEL = re.compile(r"(^|[.!?;]\s+|\n)\s*(?:helpless|unlovable|worthless)(?:\s+beliefs?)?\s*:\s*",
                          re.IGNORECASE)
# How notes name the patient besides their name: "The patient has ...", "Client reports ...".
_THE_PATIENT = re.compile(r"\b(?:[Tt]he (?:patient|client)|^(?:Patient|Client)(?= [a-z]))")


_ADVERBS = r"(?:never|always|often|still|also|just|then|usually|sometimes|really|only|rarely|even|now)"
_NOT_VERBS = {"was", "is", "has", "does", "always", "sometimes", "perhaps", "thus", "this", "his",
              "its", "less", "unless", "across", "yes", "as", "us", "plus", "towards", "afterwards",
              "parents", "friends", "kids", "children", "others", "news", "nowadays"}
# Words that can follow a verb opening a subjectless note ("Avoids asking", "Checks every ...").
_COMPLEMENT = re.compile(
    r"(to|about|on|in|with|a|an|the|his|her|my|their|that|over|at|from|up|out|back|off|down|"
    r"every|each|all|some|any|no|nothing|everything|everyone|anyone|before|after|when|for|if|"
    r"it|them|through|until|into|around|across|by|what|how|why|where|I|"
    r"extra|late|alone|long|hard|home|more|less|too|very|\w+ing|\w\w+ly)$", re.IGNORECASE)


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
    if not text.strip() or _FIRST_PERSON.search(_QUOTED.sub(" ", text)):
        return text
    names = {case.name, case.name.split()[0]}
    pronouns = case.pronouns.lower()
    subj = "he" if pronouns.startswith("he") else "she" if pronouns.startswith("she") else None
    obj = {"he": "him", "she": "her"}.get(subj or "")
    poss = {"he": "his", "she": "her"}.get(subj or "")

    def sentence(s: str) -> str:
        s = re.sub(_THE_PATIENT.pattern + r"['\u2019]s\b", "\0MY", s)
        s = _THE_PATIENT.sub("\0NAME", s)
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

        def add_subject(m: re.Match[str], strict: bool = True) -> str:
            lead, adverb, word, rest = m.group("lead"), m.group("adv") or "", m.group("verb"), m.group("rest")
            base = _base_verb(word)
            if base == word or (strict and not _COMPLEMENT.match(rest)):
                return m.group(0)
            if adverb:
                adverb = adverb.lower()
            if re.match(r",\s*then", lead):
                return f"{lead}{adverb}{base.lower()} {rest}"
            return f"{lead}I {adverb}{base.lower()} {rest}"

        # Subjectless notes: "Avoids asking for help; ruminates about ..." -> "I avoid ...". A note
        # that already has "I" opening a clause ("Precipitants: I struggle") has its subject. A
        # verb is recognised by what follows it; once one clause is, the note is a list of what
        # the patient does, and its other clauses ("...; keeps lists", "..., then lies awake")
        # open with verbs too.
        if not (seen_i and re.search(r"(^|[;:]\s*)I\b", result)):
            clause = (rf"(?P<lead>^|[;:]\s*|,\s*then\s+)(?P<adv>{_ADVERBS} )?(?P<verb>[A-Za-z]+s) "
                      r"(?P<rest>\w+)")
            strict = re.sub(clause, add_subject, result)
            if strict != result:
                strict = re.sub(clause, lambda m: add_subject(m, strict=False), strict)
            result = strict

        def coordinated(m: re.Match[str]) -> str:
            base = _base_verb(m.group(2))
            return m.group(0) if base == m.group(2) or not _COMPLEMENT.match(m.group(3)) else \
                f"{m.group(1)}{base} {m.group(3)}"

        # "I struggle and then loses my job" -> "... and then lose my job", within I's clause.
        if re.search(r"\bI\b", result):
            result = re.sub(r"(\b(?:and|or)(?: then)? )([a-z]+s) (\w+)", coordinated, result)
        return result

    return " ".join(sentence(s) for s in split_sentences(text))


def without_group_labels(text: str) -> str:
    """The text without its belief-group labels ("Helpless: If I ask ..." -> "If I ask ...")."""
    return _GROUP_LABEL.sub(lambda m: m.group(1), text)


def spoken(text: str, case: PatientCase) -> str:
    """A case note as the patient may say it: no group labels, in the first person."""
    return first_person(without_group_labels(text), case)


def _verb_first(clause: str) -> bool:
    """A clause with no subject that opens with a verb still in the third person ("keeps lists")."""
    words = re.findall(r"[\w']+", clause)
    if words and re.fullmatch(_ADVERBS, words[0], re.IGNORECASE):
        words = words[1:]
    return len(words) > 1 and _base_verb(words[0]) != words[0] and words[1] != words[1].title()


_THIRD = {"he/him": ("he", "him", "his", "himself"), "she/her": ("she", "her", "hers", "herself")}


def unconverted(text: str, case: PatientCase) -> list[str]:
    """Sentences of `text` that `spoken` leaves in the third person (as it leaves them): they
    still name the patient or use the patient's own subject pronoun, open with "He"/"She" in a
    case without those pronouns, or are a note with no subject whose verb the rules did not
    recognise ("Drinks to sleep." stays so)."""
    names = {case.name.casefold(), case.name.split()[0].casefold()}
    own = _THIRD.get(case.pronouns.lower().replace(" ", ""), ())
    missed = []
    for sentence in split_sentences(spoken(text, case)):
        bare = _QUOTED.sub(" ", sentence)
        words = re.findall(r"[\w']+", bare)
        low = [w.casefold() for w in words]
        if not words:
            continue
        clauses = [c for c in re.split(r";|,\s*then\s+", bare) if c.strip()]
        if (names & set(low) or re.search(r"\b(?:the )?(?:patient|client)\b", bare, re.IGNORECASE)
                or (own and own[0] in low)
                or (not own and low[0] in ("he", "she"))
                or any(_verb_first(c) for c in clauses)
                or (words[0] == "I" and re.search(r"\b(?:and|or) ([a-z]+s)\b", bare)
                    and any(_base_verb(w) != w for w in re.findall(r"\b(?:and|or) ([a-z]+s)\b", bare)))):
            missed.append(sentence)
    return missed


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
        return _clean(split_sentences(spoken(text, case))) if text else ()

    texts = [case.history, case.intermediate_beliefs, case.intermediate_beliefs_depression or "",
             case.coping_strategies, case.presenting_problem, case.in_own_words or "", case.occupation, case.name]
    texts += [s.situation + " " + s.automatic_thoughts + " " + s.behavior + " " + (s.body or "")
              for s in case.situations]
    # Capitalised words inside a sentence are names: they keep their capital after a lead-in.
    proper = {w for t in texts for s in split_sentences(t)
              for w in re.findall(r"(?<=\s)[A-Z][\w']*", s) if w != "I" and not w.startswith("I'")}
    own = (case.in_own_words or "").strip()
    problem = own or first_person(case.presenting_problem.strip(), case).strip().rstrip(".")
    return CaseText(
        problem=problem,
        problem_is_sentence=bool(own) or bool(_FIRST_PERSON.match(problem)),
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


