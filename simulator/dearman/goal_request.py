"""The trainee's goal turned into the plain request the rewrite offers when the message asked for nothing
strongly: "Get Leo to tell me a day ahead if he needs to cancel." -> "I'm asking you to tell me a day ahead
if you need to cancel."

Goals are written about the other person in the third person; the request speaks to them. Only pronouns that
can mean the person asked become "you": they when several are asked; he or she when one is (only the one that
fits when the words say which: "Mr", "my sister"); none when an organisation is (in "Get the school to let her
wear her blazer" she is the child). A verb after a converted he / she drops its third-person -s.
"""

from __future__ import annotations

import re

from simulator.core.text import lower_first

# Who is asked: a name, "the X", "my X", a pronoun; never "a"/"an", which start a thing ("Get a referral to
# a specialist" asks for a referral, it does not ask a referral to do something).
_WHO = r"(?P<who>(?!an?\s)[\w'\- ]{1,40}?)"
_WHO_TO_WHAT = _WHO + r"\s+to\s+(?P<what>.*)$"
_ASK_TO = re.compile(r"^(?:get|ask|persuade|convince)\s+" + _WHO_TO_WHAT, re.I)
_AGREE = re.compile(r"^agree\s+(?:with\s+" + _WHO + r"\s+)?(?P<link>that|on)\s+(?P<what>.*)$", re.I)
# What is refused, without what the trainee also wants ("... while keeping a good relationship").
_SAY_NO = re.compile(r"^say no to\s+(?P<what>.*?)"
                     r"(?:\s*[;:].*|,?\s+(?:while|without|unless|but|offering|"
                     r"and (?:keep|stay|still|get|ask|offer|for))\b.*)?$", re.I)
# Nouns in -ing, so that "Say no to evening shifts" is not read as "No, I won't be evening shifts".
_ING_NOUNS = frozenset("evening morning something anything nothing everything wedding meeting building ceiling "
                       "clothing funding housing parking training booking ring thing spring king".split())
# Goals written as a wish ("I want Dario to pay back the $300", "I'd like a refund").
_I_WANT = re.compile(r"^i(?:\s+(?:want|need|would like)|'d like)\s+(?P<what>.*)$", re.I)
_WHO_TO = re.compile(r"^" + _WHO_TO_WHAT, re.I)
_GET = re.compile(r"^(?:get|have)\s+(?P<what>.*)$", re.I)
# Verbs whose object is the thing wanted: "Request a refund" -> "I'd like a refund".
_ASKING_VERBS = frozenset({"request", "obtain", "receive", "secure"})
_PARTICIPLE = re.compile(r"(?:\w+ed|paid|told|seen|given|taken|shown|sent|heard|kept|brought|chosen|known)\b", re.I)
# Goals written as what should happen ("She calls once in the evening", "the teacher re-reads the essay"):
# a pronoun or "the / my / your" and a noun, then a verb in -s. A capitalised first word counts only when the
# situation names it ("Jess washes her dishes"), since goals capitalise every first word ("Regular updates").
_THIRD_PERSON_VERB = r"\s+(?:is|has|was|does|[\w-]+(?<!s)s)\b"
_CLAUSE = re.compile(r"^(?:she|he|it|(?:the|my|your|our|his|her)\s+\w+(?:\s+\w+)?)" + _THIRD_PERSON_VERB, re.I)
_NAMED_CLAUSE = re.compile(r"^\w+" + _THIRD_PERSON_VERB)
# Goals written as an instruction to oneself ("Cancel the membership from May", "Be seen this week").
_VERBS = frozenset(
    "agree arrange ask be book borrow call cancel change charge clean collect come confirm decline discuss do drop "
    "end ensure explain extend find finish fix get give go have join keep learn leave lend let limit make meet miss "
    "move negotiate not organise organize pay postpone put raise reduce renew repay replace "
    "reschedule return schedule see send set share skip speak spend split start stay stop swap take tell text try "
    "turn use visit work".split())

# Organisations: their staff are "you", but a he or she in the goal is someone else.
_ORGANISATION = re.compile(
    r"\b(?:school|council|bank|shop|store|practice|surgery|clinic|agency|gym|airline|insurer|company|hotel|garage|"
    r"university|college|restaurant|firm|office|provider|team|department|service|club|nursery)s?$", re.I)
# Several people: a plural pronoun or group word, two names ("Mum and Dad"), or "the / my / our" and a common noun
# in -s ("my in-laws"); a name ending in s ("Marcus", "my boyfriend James") is one person.
_PLURAL = re.compile(r"(?:\b(?:they|them|parents|kids|children|family)|\band\b.*"
                     r"|^(?:the|my|our)\s(?:.*\s)?[a-z][\w-]*[^s]s)$")
_HE = re.compile(r"\b(?:mr|he|him|his|dad|father|son|brother|husband|boyfriend|uncle|grandad|grandfather|grandson|"
                 r"nephew|landlord)\b", re.I)
_SHE = re.compile(r"\b(?:mrs|ms|miss|she|her|mum|mom|mother|daughter|sister|wife|girlfriend|aunt|gran|granny|"
                  r"grandmother|granddaughter|niece|landlady)\b", re.I)
_ADVERB = r"(?:always|sometimes|just|really|never|often|usually|still|also|only|actually|ever|even|already)"

_SEVERAL = [(r"\bthey're\b", "you're"), (r"\bthey've\b", "you've"), (r"\bthey'll\b", "you'll"), (r"\bthey'd\b", "you'd"),
            (r"\bthey\b", "you"), (r"\bthemselves\b", "yourselves"), (r"\btheirs\b", "yours"), (r"\btheir\b", "your"),
            (r"\bthem\b", "you")]
# "her" is "your" before what is hers ("her section") and "you" otherwise ("let her know", "ask her").
_HER_AS_OBJECT = re.compile(r"\bher\b(?=\s*(?:$|[,.;!?])|\s+(?:to|a|an|the|know|in|on|at|by|for|and|or|if|when|"
                            r"that|this|what|back|up|off|out|about|again|first|now|today|tomorrow|more|some)\b)", re.I)


def _a_person(who: str) -> bool:
    """Whether the words before "to" name who is asked ("Dr Patel", "the landlord", "Mum and Dad") rather than
    what is wanted ("my name on the title slide and", "the fee refunded")."""
    words = who.split()
    two_names = re.fullmatch(r"[A-Z][\w'-]*\s+and\s+[A-Z][\w'-]*", who.strip())
    linking = re.search(r"(?<![\w-])(?:and|or|on|in|at|for|with|of|by|from|back|up|off|out|down)(?![\w-])", who, re.I)
    participle = any(w.endswith("ed") and len(w) > 4 for w in words)
    return bool(two_names) or (len(words) <= 4 and not linking and not participle and not re.search(r"\d", who))


def _third_to_second(verb: str) -> str:
    """The form a verb takes after "you" where it took a third-person -s after he or she."""
    low = verb.lower()
    if re.search(r"[^aeiou]ies$", low):
        return verb[:-3] + "y"
    if re.search(r"(?:ch|sh|ss|x|z|o)es$", low):
        return verb[:-2]
    if low.endswith("s") and not low.endswith("ss"):
        return verb[:-1]
    return verb


def _one_person_to_you(text: str, pronoun: str) -> str:
    """`pronoun` ("he" or "she") and its forms in `text` spoken to."""
    obj, poss = ("him", "his") if pronoun == "he" else ("her", "her")
    for pattern, repl in [(rf"\b{pronoun}'s\b", "you're"), (rf"\b{pronoun}'ll\b", "you'll"), (rf"\b{pronoun}'d\b", "you'd"),
                          (rf"\b{pronoun} is\b", "you are"), (rf"\b{pronoun} was\b", "you were"),
                          (rf"\b{pronoun} has\b", "you have"), (rf"\b{pronoun} does\b", "you do"),
                          (rf"\b{obj}self\b", "yourself")]:
        text = re.sub(pattern, repl, text, flags=re.I)
    text = re.sub(rf"\b{pronoun}\s+({_ADVERB}\s+)?(\w+)",
                  lambda m: "you " + (m.group(1) or "") + _third_to_second(m.group(2)), text, flags=re.I)
    if pronoun == "he":
        text = re.sub(r"\bhis\b", "your", text, flags=re.I)
        return re.sub(r"\bhim\b", "you", text, flags=re.I)
    text = re.sub(r"\bhers\b", "yours", text, flags=re.I)
    text = _HER_AS_OBJECT.sub("you", text)
    return re.sub(rf"\b{poss}\b", "your", text, flags=re.I)


def _to_you(text: str, who: str | None) -> str:
    """The other person's pronouns in `text` spoken to them, by who is asked (see the module docstring)."""
    who = (who or "").strip()
    if not who or _ORGANISATION.search(who):
        return text
    if _PLURAL.search(who):
        for pattern, repl in _SEVERAL:
            text = re.sub(pattern, repl, text, flags=re.I)
        return text
    he, she = bool(_HE.search(who)), bool(_SHE.search(who))
    for pronoun, fits in (("he", he or not she), ("she", she or not he)):
        if fits:
            text = _one_person_to_you(text, pronoun)
    return text


def _named(word: str, situation: str) -> bool:
    """Whether the situation uses `word` ("Leo", "Leo's") as a name: capitalised, not only where a sentence starts."""
    word = re.sub(r"'s$", "", word)
    return len(word) > 1 and bool(re.search(r"(?<![.!?]\s)(?<!^)\b" + re.escape(word) + r"\b", situation))


# Words that start a goal and are lower case inside a sentence; any other capitalised first word may be a name
# ("Maureen completes the refresher"), so it keeps its capital unless the situation writes it in lower case.
_FUNCTION_WORDS = frozenset(
    "a an the at no one two three four five some any every each either neither both all more less my your our his "
    "her their its this that these those everyone everybody someone somebody nobody he she it they we to for only "
    "just".split())


# Endings of common nouns and adjectives that names rarely have ("Payment", "Deliveries", "Phone-free").
_COMMON_ENDING = re.compile(r"(?:ment|tion|sion|ies|ness|ity|free|ings?|ance|ence|ship|ful|less|ly)$")


def _as_written_inside(goal: str, situation: str) -> str:
    """The goal with its first word as it would be written inside a sentence."""
    first = goal.split()[0]
    lowered = first.lower()
    if _named(first, situation):
        return goal
    if (lowered in _FUNCTION_WORDS or _COMMON_ENDING.search(lowered)
            or re.search(r"\b" + re.escape(lowered) + r"\b", situation)):
        return lower_first(goal)
    return goal


def goal_as_request(goal: str, templates: dict, situation: str = "") -> str:
    """One plain sentence asking for the goal (templates: the rewrite's texts in data/dearman/feedback.json;
    the situation tells a name from an ordinary first word)."""
    goal = goal.replace("\u2019", "'").strip().rstrip(".").strip()
    if not re.search(r"\w", goal):  # a goal of punctuation only: nothing to ask for by name
        return templates["assert_plain"]
    first = goal.split()[0]
    if m := _I_WANT.match(goal):
        wish = m["what"]
        if wish.lower().startswith("to "):
            return goal_as_request(wish[3:], templates, situation)
        who = _WHO_TO.match(wish)
        if who and who["who"].lower() != "us" and _a_person(who["who"]):
            ask = "I'm asking you to " + _to_you(who["what"], who["who"])
        else:  # a thing wanted, or "us to ..."
            ask = "I'd like " + wish
    elif (m := _ASK_TO.match(goal)) and _a_person(m["who"]):
        ask = "I'm asking you to " + _to_you(m["what"], m["who"])
    elif m := _AGREE.match(goal):
        ask = f"I'd like us to agree {m['link'].lower()} " + _to_you(m["what"], m["who"])
    elif m := _SAY_NO.match(goal):
        gerund = re.match(r"(\w+ing)\b", m["what"])
        what = re.sub(r"^being\s+", "", m["what"], flags=re.I)  # "being her guarantor" -> "I won't be her guarantor"
        if gerund and gerund.group(1).lower() not in _ING_NOUNS:
            ask = f"No, I won't be {what}"
        else:
            ask = f"My answer to {what} is no"
    elif re.match(r"^say no\b", goal, re.I):
        ask = "My answer is no"
    elif m := _GET.match(goal):
        what = m["what"]
        if first.lower() == "have":
            what = "to have " + what
        elif _PARTICIPLE.match(what):  # "Get moved to day shifts", "Get paid for the overtime"
            what = "to be " + what
        ask = "I'd like " + what
    elif first.lower() in _ASKING_VERBS:
        rest = goal.split(maxsplit=1)[1:]
        ask = "I'd like " + rest[0] if rest else templates["assert_plain"]
    elif first.lower() in _VERBS:
        ask = templates["assert_fallback"].format(goal="to " + lower_first(goal))
    elif _CLAUSE.match(goal) or (_NAMED_CLAUSE.match(goal) and _named(first, situation)):
        ask = templates["assert_fallback"].format(goal="that " + _as_written_inside(goal, situation))
    else:
        ask = templates["assert_fallback"].format(goal=_as_written_inside(goal, situation))
    return ask.rstrip(".") + "."
