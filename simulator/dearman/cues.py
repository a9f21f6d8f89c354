"""Linguistic cues for each DEAR MAN skill: plain regular expressions, so every rating can say
which words it rests on. Each strategy scorer looks at one sentence and returns (level, evidence)
with level 2 strong, 1 weak, 0 none."""

from __future__ import annotations

import re
from dataclasses import dataclass


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


def _graded(sentence: str, strong: re.Pattern[str], weak: re.Pattern[str], strong_why: str, weak_why: str,
            width: int | None = None) -> Cue:
    """Level 2 on a strong cue, 1 on a weak one, with the words that matched (strong ones cut to `width`)."""
    if m := strong.search(sentence):
        return Cue(2, (m.group(0)[:width],), strong_why)
    if m := weak.search(sentence):
        return Cue(1, (m.group(0),), weak_why)
    return NONE


def _found(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(0) for m in pattern.finditer(text)]


@dataclass(frozen=True)
class Cue:
    level: int
    evidence: tuple[str, ...] = ()
    note: str = ""  # which rule fired, for the reason


NONE = Cue(0)

# -- shared word lists --

HEDGES = _rx(r"maybe", r"perhaps", r"possibly", r"kind of", r"sort of", r"i guess", r"i suppose",
             r"a (?:little|tiny) bit", r"i dunno", r"i don'?t know", r"um+", r"if (?:it'?s|that'?s) (?:okay|ok|alright|all right|fine|no trouble)",
             r"only if", r"if you (?:want|get a chance|have (?:a )?(?:time|moment))", r"no pressure",
             r"whenever you", r"at some point", r"any (?:way|chance)", r"i was wondering", r"i hope",
             r"not too much trouble", r"if possible")
APOLOGY = _rx(r"sorry", r"i apologi[sz]e", r"i hate to", r"to bother you", r"don'?t want to be (?:a pain|a bother|difficult)",
              r"(?:this|it) (?:might|may) sound", r"probably (?:nothing|silly|stupid|my fault|just|overreacting|a dumb)",
              r"i'?m probably", r"i feel stupid", r"being annoying", r"no big deal", r"not a big deal",
              r"never ?mind", r"no rush", r"forget (?:it|i said)", r"no worries", r"(?:silly|dumb) question")
JUDGEMENT = _rx(r"always", r"never", r"constantly", r"ridiculous", r"lazy", r"selfish", r"rude(?:st)?",
                r"irresponsible", r"typical", r"crooks?", r"scam", r"maniac", r"slob", r"inconsiderate",
                r"useless", r"worst", r"mean", r"out of line", r"forever", r"crazy", r"as usual",
                r"way too", r"totally", r"greedy", r"flake", r"liar", r"pathetic", r"disgusting", r"stupid",
                r"every single time", r"seriously", r"bad influence", r"compassionate", r"who knows what",
                r"crusty", r"dodgy", r"a (?:lot|mess)", r"piling up", r"messy")

# -- Describe --

NUMBER = _rx(r"\$?\d[\d,.:]*(?:st|nd|rd|th|am|pm)?", r"once", r"twice", r"two", r"three", r"four", r"five",
             r"six", r"seven", r"eight", r"nine", r"ten", r"eleven", r"twelve", r"twenty", r"thirty",
             r"half", r"a third", r"dollars?", r"pounds?", r"degrees", r"minutes?", r"hours?")
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?"
_MONTH = r"january|february|march|april|may|june|july|august|september|october|november|december"
# Named days, months and how often: with NUMBER, the terms of an offer ("$100 on the 15th", "every Friday").
DATES = _rx(_DAY, _MONTH, r"weekends?", r"fortnight(?:ly)?", r"weekly", r"monthly")
WHEN = _rx(_DAY, _MONTH,
           r"yesterday", r"last (?:week|month|night|year|time|saturday|friday)", r"this (?:week|month|morning|year)",
           r"since", r"ago", r"tonight", r"earlier today", r"in (?:the )?(?:morning|evening)s?", r"at night")
EVENT = _rx(r"you (?:said|told|took|borrowed|promised|presented|called|cancelled|charged|quoted|agreed|sent|asked|made|got in|came)",
            r"i (?:paid|emailed|called|washed|cancelled|ordered|received|reported|dropped|asked|was admitted|was charged|agreed|have receipts|have the|could hear|had to|'ve had to|'ve paid|'ve worked|'ve received)",
            r"(?:it|they|he|she|nobody|the \w+) (?:was|were|came|arrived|stopped|says|shows|lists|went|stayed|used)",
            r"invoice", r"receipts?", r"bills?", r"statements?", r"payslips?", r"quote", r"contract", r"reference",
            r"flight", r"written")
PERSON_LABEL = re.compile(r"^\s*(?:you(?:'re| are)|you people are|this is|what a)\b", re.IGNORECASE)


def describe(sentence: str) -> Cue:
    specifics = _found(NUMBER, sentence) + _found(WHEN, sentence)
    events = _found(EVENT, sentence)
    if not events and (ASK_STRONG.search(sentence) or ASK_WEAK.search(sentence) or OFFER_STRONG.search(sentence)):
        return NONE  # a date inside a request ("by Friday") is part of the ask, not a fact
    judged = _found(JUDGEMENT, sentence)
    if judged and not events and not specifics and PERSON_LABEL.search(sentence):
        return NONE  # a label for the person, not a fact about the situation
    if judged:
        if specifics or events or re.search(r"\b(?:you(?:'re| are)? \w+ing|the \w+|coming|taking)\b", sentence, re.I):
            return Cue(1, tuple(judged), "judgement")
        return NONE
    if len(specifics) >= 2 or (specifics and events):
        return Cue(2, tuple(specifics + events), "specific")
    if specifics or events:
        return Cue(1, tuple(specifics + events), "vague")
    return NONE

# -- Express --

EMOTION = (r"worried|anxious|scared|frightened|afraid|angry|upset|hurt|sad|frustrated|stressed|exhausted|"
           r"tired|disappointed|embarrassed|resentful|uncomfortable|disrespected|overwhelmed|panicky|nervous|"
           r"lonely|smothered|furious|annoyed|worn out|taken advantage of|uneasy|ashamed|guilty|let down|"
           r"hopeless|helpless|unappreciated|ignored|humiliated|miserable|freezing|behind|fed up|drained|"
           r"powerless|confused|torn|relieved|grateful|glad|happy")
FEEL_EXPLICIT = re.compile(r"\bi(?:'m| am| was|'ve been| have been| get| felt| feel| feel like| am feeling|'m feeling)\b"
                           r"(?:\s+\w+){0,3}?\s+(?:" + EMOTION + r")\b|\bi (?:feel|felt)\b", re.IGNORECASE)
MAKES_ME = re.compile(r"\b(?:it|this|that) makes me (?:feel )?(?:\w+ )?(?:" + EMOTION + r")\b", re.IGNORECASE)
OPINION_STRONG = re.compile(r"\bi (?:think|believe)\b.*\b(?:unfair|not fair|wrong|too \w+|not okay|not ok|not right|"
                            r"matters?|important|patient)\b|\bin my (?:opinion|view)\b|\bi (?:love|value|miss)\b|\bi'?d love\b|"
                            r"\bi (?:really )?(?:care about|want us)\b", re.IGNORECASE)
OPINION_WEAK = re.compile(r"\bi (?:think|believe|do mind|mind)\b|\bi'?d rather\b|\bi'?d (?:really )?appreciate\b|"
                          r"\bi don'?t (?:love|like)\b|\bnot (?:great|ideal|thrilled|happy)\b|\bbugs me\b|\bgets? (?:to|on) (?:me|my nerves)\b|"
                          r"\bbothers? me\b|\bbothered\b|\bannoying\b|\bstings?\b|\ba bit much\b|\bput out\b|"
                          r"\byou(?:'re)? (?:make|making) me\b|\byou(?:'re| are) stressing\b|\bwould be tight\b|\bawful\b|"
                          r"\bi can'?t keep\b", re.IGNORECASE)


def express(sentence: str) -> Cue:
    if FEEL_EXPLICIT.search(sentence) or MAKES_ME.search(sentence):
        found = (FEEL_EXPLICIT.search(sentence) or MAKES_ME.search(sentence)).group(0)
        if re.search(r"\byou make me\b", sentence, re.I):
            return Cue(1, (found,), "blamed")
        return Cue(2, (found,), "named")
    return _graded(sentence, OPINION_STRONG, OPINION_WEAK, "opinion", "indirect", width=40)

# -- Assert --

ASK_STRONG = re.compile(
    r"\bi(?: need| want| would like|'d like| am asking|'m asking|'m still asking| am still asking| expect)\b|\bi still (?:want|need)\b|"
    r"\bplease\b|\b(?:could|can|would|will) you\b|\b(?:could|can) (?:i|we) (?:have|make|agree|do|sit)\b|"
    r"\bcan we agree\b|\bdoes that work\b|\blet'?s (?:talk|agree|do|make|settle|write|sit)\b|"
    r"^\s*no\b(?! (?:worries|problem|big deal|rush))|\bi(?: won'?t| will not| can'?t| cannot| am not able|'m not able|'m not available| am not available|'m keeping|'m not going to)\b|"
    r"\bdoesn'?t work for me\b|\bwe need\b|\bour rule is\b|\bi still can'?t\b|\b(?:needs|need) (?:fixing|to be)\b|"
    r"\b(?:is|are) (?:my|the) (?:deadline|rule)\b|\bdoesn'?t cover it\b|\bi want (?:the|my|it)\b",
    re.IGNORECASE)
ASK_WEAK = re.compile(
    r"\bit (?:would|might|'d) be (?:nice|great|good|better|helpful) if\b|\bi was wondering\b|\bis there any (?:way|chance)\b|"
    r"\bsomeone should\b|\bthings need to\b|\bsomething (?:has|needs) to\b|\btry to\b|\bi'?d (?:really )?appreciate it if\b|"
    r"\bi'?d rather\b|\bmaybe (?:you|we) (?:could|can|should)\b|\byou could (?:maybe|possibly)\b|\bcould be looked at\b|"
    r"\bi hope\b|\bif you keep\b|\blet'?s (?:figure|see|try)\b|\bmore notice\b|\bdo you think\b|\bmore consideration\b|"
    r"\bmight be good\b|\bi'?d prefer\b|\bi'?d kind of like\b", re.IGNORECASE)
NOT_A_REQUEST = re.compile(r"\bi(?:'m| am) not (?:asking you to never|accusing|here to)\b|\bi can'?t keep living\b|"
                           r"\bi won'?t need to\b|\bi(?:'m| am) not going to (?:relax|argue)\b|\bi can'?t help it\b|"
                           r"\bi don'?t (?:want|care)\b", re.IGNORECASE)


def assert_(sentence: str) -> Cue:
    strong = _found(ASK_STRONG, sentence)
    weak = _found(ASK_WEAK, sentence)
    if NOT_A_REQUEST.search(sentence) and not re.search(r"\bi(?:'m| am) asking\b", sentence, re.I):
        strong = [s for s in strong if not re.match(r"i(?: won| can|'m not| am not| don)", s, re.I)]
    hedged = _found(HEDGES, sentence) + _found(APOLOGY, sentence)
    if strong and not weak and not hedged:
        return Cue(2, tuple(strong), "clear")
    if strong or weak:
        return Cue(1, tuple(strong + weak + hedged), "hedged" if hedged else "indirect")
    return NONE

# -- Reinforce --

REWARD_STRONG = re.compile(
    r"\bif (?:you|we|it|this|the)\b.*\b(?:i'?ll|i will|we'?ll|you'?ll|you can|you won'?t|you wouldn'?t|i'?d|i won'?t)\b|"
    r"\bthat way (?:you|we|neither)\b|\bthen (?:you|we|i) (?:won'?t|can|will|'ll)\b|\bso (?:you|we) (?:can|won'?t|wouldn'?t|don'?t)\b|"
    r"\b(?:that|it|this) (?:would|will|'d|'ll) (?:save|free|let|give) (?:you|us)\b|\byou won'?t have to\b|"
    r"\byou (?:wouldn'?t|don'?t) have to\b|\bsaves? you\b|\bwe'?d both\b|\bneither of us\b|\bwe won'?t have\b|"
    r"\bi'?ll (?:stop|pay|sign|keep|leave|recommend|take over|happily|gladly|be sharper|be fresher)\b|"
    r"\bone less\b|\b(?:it|that)(?:'ll| will) take (?:only )?\w+ minutes\b|\bbe (?:able|sharper|fresher)\b|"
    r"\bi'?m happy to keep\b|\bworth your time\b|\bso you can see\b", re.IGNORECASE)
REWARD_WEAK = re.compile(
    r"\bi'?d (?:really )?appreciate\b|\bi'?d be (?:so |really )?(?:grateful|glad)\b|\bit (?:would|'d) (?:be nice|be great|help|mean a lot|make things)\b|"
    r"\bthat (?:would|'d) be (?:great|nice|good)\b|\bthanks in advance\b|\bdoing me a favou?r\b|\beveryone would\b|"
    r"\bor i'?ll (?:have to|just)\b|\botherwise\b|\bthings would be\b|\beasier all round\b|\bgood for everyone\b|"
    r"\bwould make (?:that|things|it) easier\b|\bwould help\b|\bfeel calm\b|\bi won'?t need to\b|\bwould really help\b",
    re.IGNORECASE)


def reinforce(sentence: str) -> Cue:
    return _graded(sentence, REWARD_STRONG, REWARD_WEAK, "benefit", "vague", width=50)

# -- Negotiate --

OFFER_STRONG = re.compile(
    r"\bhow about\b|\bwhat if\b|\binstead\b|\bwould you be (?:willing|open)\b|\bwould it help if\b|"
    r"\bcould we (?:try|meet|split|do|make|put|say)\b|\bmeet (?:in the middle|halfway)\b|\bsplit the difference\b|"
    r"\bi (?:could|can) (?:\w+ ){0,6}?(?:if|instead)\b|\bi'?ll [\w ,]{0,40}? if you\b|\bif you'?d rather\b|"
    r"\bif [\w ,']{0,30}(?:is hard|is impossible|doesn'?t (?:work|suit)|isn'?t possible|can'?t|won'?t)\b|\bor should i\b|"
    r"\bwhat (?:day|time)\b|\bwhat can you commit\b|\bwhat would you need\b|\bfor (?:a|two) (?:week|month|weeks)s? and then\b|"
    r"\bi'?d accept\b|\bin return\b|\bwhat i can do is\b|\bwe could also\b|\bgo halves\b|\bwe can agree a\b|"
    r"\bif it helps, i can\b|\bif there'?s\b.*\bwe can\b|\bi can (?:put|take|cover|find|do|stay|send)\b",
    re.IGNORECASE)
OFFER_WEAK = re.compile(
    r"\bi'?m (?:open|flexible)\b|\bwork something out\b|\bmiddle ground\b|\bcompromise\b|\bwhatever works\b|"
    r"\bfigure (?:it|this|something|the)\b|\blet me know your thoughts\b|\bother (?:options|ideas|way)\b|"
    r"\bsomewhere in between\b|\bi'?m willing to\b|\bbend\b|\bwhat'?s possible\b|\btalk about it more\b|"
    r"\bhappy to (?:talk|hear)\b|\bsome way\b|\bwhat would work\b|\bwhat would you suggest\b|\bsuggest\b",
    re.IGNORECASE)
CONCRETE = _rx(r"\d+", r"\$\d+", r"(?:mon|tues|wednes|thurs|fri|satur|sun)day", r"tomorrow", r"tonight",
               r"next (?:week|month)", r"weekends?", r"half", r"one|two|three|four|five|ten")


def negotiate(sentence: str) -> Cue:
    if OFFER_STRONG.search(sentence):
        return Cue(2, (OFFER_STRONG.search(sentence).group(0)[:40],), "offer")
    if OFFER_WEAK.search(sentence):
        found = OFFER_WEAK.search(sentence).group(0)
        if CONCRETE.search(sentence) and not re.search(r"\bsomewhere in between\b", sentence, re.I):
            return Cue(2, (found,), "offer")
        return Cue(1, (found,), "vague")
    return NONE


STRATEGY_CUES = {"describe": describe, "express": express, "assert": assert_, "reinforce": reinforce,
                 "negotiate": negotiate}

# -- Mindful and Confident (whole message) --

SIDETRACK = re.compile(
    r"\band another thing\b|\bat least i don'?t\b|\byou did the same\b|\bremember (?:the|when)\b|\blast year\b|"
    r"\bat christmas\b|\bspeaking of\b|^\s*anyway\b|\blook at yourself\b|\bhow dare\b|\bno wonder\b|\btypical\b|"
    r"\bwhat about you\b|\bnot perfect either\b|\beither\.?$|\byou twist\b|\bnothing to do with this\b|"
    r"\byou(?:'re| are) (?:such|so|the (?:most|worst|rudest)|a|seriously)\b|\bmaybe talk to him\b|\bworst\b|"
    r"\bcrooks?\b|\bgreedy\b|\bdon'?t you dare\b|\bi'?m not the one\b|\bwho knows what\b|\bi don'?t care what\b|"
    r"\buseless\b|\bflake\b|\bslob\b|\bliar\b|\bbad influence\b|\bwow\b|\breal compassionate\b|\bit'?s a lie\b|\bthat'?s a lie\b",
    re.IGNORECASE | re.MULTILINE)
GIVE_UP = re.compile(
    r"\bforget (?:it|i said|the)\b|\bnever ?mind\b|\bno worries\b|\bit'?s fine\b|\bno big deal\b|\bno rush\b|"
    r"\bi'?ll just wait\b|\bwhatever\b|\bi give up\b|\bdoesn'?t matter\b|\bdo what you want\b|\bmyself like always\b",
    re.IGNORECASE)
BACK_ON_TRACK = re.compile(
    r"\bstill\b|\bi'?m asking\b|\bget back to\b|\bcome back to\b|\bmy request\b|\bright now\b|\bseparate\b|"
    r"\bnot here to\b|\bnot going to argue\b|\bsomething else\b|\bthe issue\b|\bstay with\b|\bsay it again\b",
    re.IGNORECASE)


def hedge_words(text: str) -> list[str]:
    """The hedge and apology words of a message or sentence, in order of the two cue lists."""
    return [m.group(0) for m in _hedge_matches(text)]


def _hedge_matches(text: str) -> list[re.Match[str]]:
    return [m for rx in (APOLOGY, HEDGES) for m in rx.finditer(text)]


# "What kind of kitchen", "a sort of relief": a kind of thing, not a hedge. (Not after "this" or
# "that": "is that kind of okay?" hedges.)
_KIND_OF_A_NOUN = re.compile(r"\b(?:what|which|the|a|any|some|every|no|same|other)\s+((?:kind|sort)\s+of)\b",
                             re.IGNORECASE)


def kinds_of_things(text: str) -> set[int]:
    """Where a "kind of" or "sort of" that names a kind of thing starts."""
    return {m.start(1) for m in _KIND_OF_A_NOUN.finditer(text)}


def hedges_to_quote(text: str) -> list[str]:
    """The hedge and apology words feedback may quote back to the trainee: as hedge_words, without a
    "kind of" that names a kind of thing. (hedge_words, which the classifiers' features count, keeps
    them: changing those needs a retrain and a fresh batch to judge it.)"""
    kinds = kinds_of_things(text)
    return [m.group(0) for m in _hedge_matches(text) if m.start() not in kinds]
