"""Features of one sentence for the DEAR MAN classifiers: its sentence embedding plus a small set
of linguistic features (the cue levels of simulator.dearman.cues and counts of hedges, apologies,
judgement words, numbers, dates, questions, second-person openings, texting style) and how close
the sentence is to the goal and to what the other person said last.

The list of linguistic features is fixed and versioned: a trained model records FEATURE_VERSION
and is refused (and retrained) when it differs.
"""

from __future__ import annotations

import re

import numpy as np

from simulator.dearman import cues

FEATURE_VERSION = 2
EMBED_DIM = 384

_SPLIT = re.compile(r"(?<=[.!?;])\s+|\s+[—–]\s+|(?<=:)\s+(?=[A-Z])")


def sentences(text: str) -> list[str]:
    """A message cut into sentences (also at dashes and at a colon before a capital)."""
    parts = [p.strip() for p in _SPLIT.split(text.strip()) if p and p.strip()]
    return parts or [text.strip()]

_YOU_START = re.compile(r"^\W*(?:you|your|you're|youre|u|ur)\b", re.IGNORECASE)
_I_WORD = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my)\b", re.IGNORECASE)
_YOU_WORD = re.compile(r"\b(?:you|your|you're|yours|u|ur)\b", re.IGNORECASE)
_IF = re.compile(r"\b(?:if|unless|otherwise|or else)\b", re.IGNORECASE)
_THREAT = re.compile(r"\bor (?:i'?ll|i will|i'm|else)\b|\botherwise\b|\bi'?ll (?:report|call the|go to|take (?:it|this|you))\b|"
                     r"\b(?:small claims|ombudsman|the council|debt collect|a complaint|a review|lawyer|solicitor)\b",
                     re.IGNORECASE)
_RHETORICAL = re.compile(r"^\W*(?:do|did|does|are|is|have|has|can|could|would|why|how|what|who|where)\b[^?]*\?\s*$",
                         re.IGNORECASE)
_INSTALMENT = re.compile(r"(?:\$?\d+[\d,]*|half|the rest|the other|the remaining)\b[^.?!]{0,40}?"
                         r"\b(?:on|by|this|next|each|every|a|per|until|starting)\b", re.IGNORECASE)
_TEXTING = re.compile(r"\b(?:u|ur|pls|plz|tmrw|tmr|lol|tbh|asap|thx|wk|fri|sat|thurs|xmas|gonna|wanna)\b")
_MINIMISERS = re.compile(r"\b(?:just|a bit|a little|kind of|sort of|kinda|sorta|slightly|a tiny bit)\b", re.IGNORECASE)
# Generic request, offer and benefit forms, written from the skill definitions.
_FALLBACK = re.compile(r"\b(?:if|when)\b[^.?!]{0,60}?\b(?:can'?t|cannot|won'?t|isn'?t|aren'?t|doesn'?t|don'?t|too (?:much|hard|early|late|long|soon)|"
                       r"(?:is|are|'s) (?:hard|impossible|difficult|tight|a problem)|not possible|no money|rather)\b|^\W*(?:then|otherwise)\b",
                       re.IGNORECASE)
_ALTERNATIVE = re.compile(r"\b(?:instead|or|rather than|in return|in exchange|as long as|and then|then review|for (?:a|one|two) (?:week|month)s?)\b",
                          re.IGNORECASE)
_I_OFFER = re.compile(r"\b(?:i|we)(?:'ll| will| can| could|'d| would) (?!not\b|never\b|have to\b|need\b|be (?:grateful|glad)\b)\w+", re.IGNORECASE)
_ASK_WHAT = re.compile(r"\b(?:what|which|when|how much|how many)\b[^?]{0,60}\b(?:could|can|would|will) (?:you|we)\b|"
                       r"\bwhat would (?:you need|work|help|make)\b|\bdoes (?:that|this) work\b", re.IGNORECASE)
_YOU_BENEFIT = re.compile(r"\b(?:you'?ll|you will|you won'?t|you wouldn'?t|you'?d|you can|you get|you'?re not|so you|that way|then you|"
                          r"saves? you|for you|neither of us|both of us|we'?ll both|we both)\b", re.IGNORECASE)
_REQUEST = re.compile(r"\b(?:could|can|would|will) you\b|\bplease\b|\bpls\b|\bi(?:'d like| would like| need| want| expect|'m asking| am asking)\b|"
                      r"\blet'?s\b|\bcan we\b|\bcould we\b|\bcan i\b|\bcould i\b", re.IGNORECASE)
_IMPERATIVE = re.compile(r"^\W*(?:please\s+)?(?:pay|send|give|refund|fix|text|call|sort|stop|bring|take|put|let|keep|turn|tell|"
                         r"remove|move|credit|return|come|be|do|set|leave|ask|wash|fill|name|reimburse|approve|cancel|confirm|drop)\b",
                         re.IGNORECASE)
_REFUSAL = re.compile(r"^\W*no\b|\bi(?: can'?t| cannot| won'?t| will not|'m not able| am not able|'m not going to| am not going to|"
                      r"'m not available|'m keeping)\b|\bmy answer is\b|\bdoesn'?t work for me\b|\bnot (?:this|that) time\b", re.IGNORECASE)
_EMOTION = re.compile(r"\b(?:" + cues.EMOTION + r"|worry|worries|worrying|scared|hurts?|upsets?|stress(?:es|ing)?|gutted|resent|"
                      r"miss|love|hate|dread(?:ing)?|terrified|afraid|humiliat\w*|undermined|invisible|lonely|awkward)\b", re.IGNORECASE)
_I_EMOTION = re.compile(r"\b(?:i|i'm|i am|i was|i've been|i feel|i felt|makes me|made me|leaves me|left me|it hurts|i get)\b[^.?!,]{0,25}?"
                        r"\b(?:" + cues.EMOTION + r"|worry|scared|hurt|gutted|resent|miss|love|hate|dread\w*|terrified|afraid|"
                        r"humiliated|undermined|invisible|lonely|awkward|stressed)\b|\bi (?:worry|resent|miss|love|hate|dread)\b",
                        re.IGNORECASE)
_YOUR_FEELING = re.compile(r"\b(?:you(?:'re| are)? (?:feel|feeling|worried|stressed|tired|busy|upset|hurt)|for you|that worries you|"
                           r"(?:that|it) (?:sounds|must be)|i (?:understand|hear|know|get|see|appreciate|believe)\b)", re.IGNORECASE)
_OPINION = re.compile(r"\bi (?:think|believe|find)\b|\bin my (?:view|opinion)\b|\b(?:matters?|important) to me\b|\bi(?:'m| am) not (?:ok|okay|happy|comfortable)\b",
                      re.IGNORECASE)
_HEDGED_FEELING = re.compile(r"\b(?:i guess|i suppose|maybe|probably|kind of|sort of|i dunno|i don'?t know|a (?:little|tiny) bit)\b[^.?!]{0,30}"
                             r"\b(?:" + cues.EMOTION + r"|hurt|upset|worried|stress\w*|annoy\w*|bother\w*)\b", re.IGNORECASE)
_GENERALISE = re.compile(r"\b(?:always|never|every (?:single )?time|constantly|all the time|nobody|no one|everyone|anyone|ever)\b", re.IGNORECASE)
_SECOND_LABEL = re.compile(r"\byou(?:'re| are)(?: \w+)? (?:so|such|a|an|the|being|too|really|just|always|never|clearly)\b|\byour \w+ (?:is|are) (?:a|an|so)\b",
                           re.IGNORECASE)
_OTHER_TOPIC = re.compile(r"\b(?:by the way|anyway|speaking of|did you see|have you heard|tell me everything|how'?s|how was|what kind)\b", re.IGNORECASE)

LINGUISTIC = (
    "describe_1", "describe_2", "express_1", "express_2", "assert_1", "assert_2", "reinforce_1", "reinforce_2",
    "negotiate_1", "negotiate_2", "hedges", "apologies", "minimisers", "judgement_words", "person_label",
    "numbers", "when_words", "events", "question", "rhetorical", "exclaim", "you_start", "i_words", "you_words",
    "if_words", "threat", "instalment", "sidetrack", "give_up", "back_on_track", "texting", "lowercase",
    "length", "fallback", "alternative", "i_offer", "ask_what", "you_benefit", "request", "imperative", "refusal",
    "emotion", "i_emotion", "your_feeling", "opinion", "hedged_feeling", "generalise", "second_label", "other_topic",
    "goal_sim", "partner_sim",
)


def _count(pattern: re.Pattern[str], text: str, cap: int = 3) -> float:
    return min(cap, len(pattern.findall(text))) / cap


def linguistic(sentence: str) -> list[float]:
    """The linguistic features of one sentence (goal_sim and partner_sim are filled in later)."""
    levels = [cues.STRATEGY_CUES[s](sentence).level for s in ("describe", "express", "assert", "reinforce", "negotiate")]
    row: list[float] = []
    for level in levels:
        row += [float(level >= 1), float(level >= 2)]
    words = sentence.split()
    letters = [c for c in sentence if c.isalpha()]
    row += [
        _count(cues.HEDGES, sentence), _count(cues.APOLOGY, sentence), _count(_MINIMISERS, sentence),
        _count(cues.JUDGEMENT, sentence), float(bool(cues.PERSON_LABEL.search(sentence))),
        _count(cues.NUMBER, sentence), _count(cues.WHEN, sentence), _count(cues.EVENT, sentence),
        float("?" in sentence), float(bool(_RHETORICAL.search(sentence))), float("!" in sentence),
        float(bool(_YOU_START.search(sentence))), _count(_I_WORD, sentence, 4), _count(_YOU_WORD, sentence, 4),
        float(bool(_IF.search(sentence))), float(bool(_THREAT.search(sentence))),
        float(bool(_INSTALMENT.search(sentence))), float(bool(cues.SIDETRACK.search(sentence))),
        float(bool(cues.GIVE_UP.search(sentence))), float(bool(cues.BACK_ON_TRACK.search(sentence))),
        _count(_TEXTING, sentence), float(bool(letters) and sentence == sentence.lower()),
        min(len(words), 40) / 40,
    ]
    row += [float(bool(p.search(sentence))) for p in (
        _FALLBACK, _ALTERNATIVE, _I_OFFER, _ASK_WHAT, _YOU_BENEFIT, _REQUEST, _IMPERATIVE, _REFUSAL, _EMOTION,
        _I_EMOTION, _YOUR_FEELING, _OPINION, _HEDGED_FEELING, _GENERALISE, _SECOND_LABEL, _OTHER_TOPIC)]
    row += [0.0, 0.0]
    return row


def matrix(sentences: list[str], vectors: np.ndarray, goal_vecs: np.ndarray | None = None,
           partner_vecs: np.ndarray | None = None) -> np.ndarray:
    """One row per sentence: [embedding, linguistic features]. goal_vecs / partner_vecs hold, per
    sentence, the unit embedding of its message's goal and of the other person's last line (zeros
    when there was none)."""
    ling = np.array([linguistic(s) for s in sentences], dtype=np.float32).reshape(len(sentences), len(LINGUISTIC))
    if goal_vecs is not None:
        ling[:, LINGUISTIC.index("goal_sim")] = np.einsum("ij,ij->i", vectors, goal_vecs)
    if partner_vecs is not None:
        ling[:, LINGUISTIC.index("partner_sim")] = np.einsum("ij,ij->i", vectors, partner_vecs)
    return np.hstack([vectors.astype(np.float32), ling])
