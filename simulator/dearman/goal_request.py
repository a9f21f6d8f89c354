"""The trainee's goal turned into the plain request the rewrite offers when the message asked for nothing
strongly: "Get Leo to tell me a day ahead if he needs to cancel." -> "I'm asking you to tell me a day ahead
if you need to cancel."

Goals are written about the other person in the third person; the request speaks to them. Only the
pronouns that can mean the person asked become "you": he / she when one person is asked, they when several
are, none when an organisation is (in "Get the school to let her wear her blazer" she is the child), and a
verb after a converted he / she drops its third-person -s ("he needs" -> "you need").
"""

from __future__ import annotations

import re

# Who is asked: a name, "the X", "my X", a pronoun; never "a"/"an", which start a thing ("Get a referral to
# a specialist" asks for a referral, it does not ask a referral to do something).
_WHO = r"(?P<who>(?!an?\s)[\w'\- ]{1,40}?)"
_ASK_TO = re.compile(r"^(?:get|ask|persuade|convince)\s+" + _WHO + r"\s+to\s+(?P<what>.*)$", re.I)
_AGREE_THAT = re.compile(r"^agree\s+(?:with\s+" + _WHO + r"\s+)?that\s+(?P<what>.*)$", re.I)
_AGREE_ON = re.compile(r"^agree\s+(?:with\s+" + _WHO + r"\s+)?on\s+(?P<what>.*)$", re.I)
# What is refused, without what the trainee also wants ("... while keeping a good relationship").
_SAY_NO = re.compile(r"^say no to\s+(?P<what>.*?)"
                     r"(?:,?\s+(?:while|without|unless|but|and (?:keep|stay|still|get|ask|offer|for))\b.*)?$", re.I)
# Goals written as a wish ("I want Dario to pay back the $300", "I want to say no to ...").
_I_WANT = re.compile(r"^i (?:want|need|would like|'d like)\s+(?P<what>.*)$", re.I)
_WHO_TO = re.compile(r"^" + _WHO + r"\s+to\s+(?P<what>.*)$", re.I)
_GET = re.compile(r"^(?:get|have)\s+(?P<what>.*)$", re.I)
# Goals written as what should happen ("Jess washes her dishes the same day", "She calls once in the
# evening"): a name, a pronoun or "the / my / your" and a noun, then a verb in -s.
_CLAUSE = re.compile(r"^(?:[A-Z][a-z]+|she|he|it|(?:the|my|your|our|his|her)\s+\w+(?:\s+\w+)?)\s+"
                     r"(?:is|has|was|does|[\w-]+(?<!s)s)\b", re.I)
# Goals written as an instruction to oneself ("Cancel the membership from May", "Be seen this week").
_VERBS = frozenset(
    "agree arrange ask be book borrow call cancel change charge come decline do drop end find finish fix get give go "
    "have join keep learn leave lend let limit make meet miss move not pay put raise reduce replace return see send set "
    "share skip speak spend split start stay stop swap take tell text try turn use visit work".split())

# Organisations: their staff are "you", but a he or she in the goal is someone else.
_ORGANISATION = re.compile(
    r"\b(?:school|council|bank|shop|store|practice|surgery|clinic|agency|gym|airline|insurer|company|hotel|garage|"
    r"university|college|restaurant|firm|office|provider|team|department|service|club|nursery)s?$", re.I)
# Several people: a plural pronoun or group word, or "the / my / our" and a noun in -s ("my in-laws"); a name
# ending in s ("Marcus") is one person.
_PLURAL = re.compile(r"(?:\b(?:they|them|parents|kids|children|family)|^(?:the|my|our)\s.*[^s]s)$", re.I)

_SINGULAR = [(r"\b(?:he|she)'s\b", "you're"), (r"\b(?:he|she) (?:is)\b", "you are"), (r"\b(?:he|she) was\b", "you were"),
             (r"\b(?:he|she) has\b", "you have"), (r"\b(?:he|she) does\b", "you do"), (r"\b(?:himself|herself)\b", "yourself"),
             (r"\bhis\b", "your"), (r"\bhers\b", "yours"), (r"\bhim\b", "you")]
_SEVERAL = [(r"\bthey're\b", "you're"), (r"\bthey've\b", "you've"), (r"\bthey'll\b", "you'll"), (r"\bthey\b", "you"),
            (r"\bthemselves\b", "yourselves"), (r"\btheirs\b", "yours"), (r"\btheir\b", "your"), (r"\bthem\b", "you")]
# "her" is "your" before what is hers ("her section") and "you" otherwise ("let her know", "ask her").
_HER_AS_OBJECT = re.compile(r"\bher\b(?=\s*(?:$|[,.;!?])|\s+(?:to|a|an|the|know|in|on|at|by|for|and|or|if|when|"
                            r"that|this|what|back|up|off|out|about|again|first|now|today|tomorrow)\b)", re.I)


def _a_person(who: str) -> bool:
    """Whether the words before "to" name who is asked ("Dr Patel", "the landlord", "my in-laws") rather than
    what is wanted ("my name on the title slide and", "the fee refunded")."""
    words = who.split()
    linking = re.search(r"(?<![\w-])(?:and|or|on|in|at|for|with|of|by|from|back|up|off|out|down)(?![\w-])", who, re.I)
    participle = any(w.endswith("ed") and len(w) > 4 for w in words)
    return len(words) <= 4 and not linking and not participle and not re.search(r"\d", who)


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


def _to_you(text: str, who: str | None) -> str:
    """The other person's pronouns in `text` spoken to them, by who is asked (see the module docstring)."""
    if who is None or _ORGANISATION.search(who.strip()):
        return text
    if _PLURAL.search(who.strip()):
        for pattern, repl in _SEVERAL:
            text = re.sub(pattern, repl, text, flags=re.I)
        return text
    for pattern, repl in _SINGULAR:
        text = re.sub(pattern, repl, text, flags=re.I)
    text = re.sub(r"\b(?:he|she)\s+(\w+)", lambda m: "you " + _third_to_second(m.group(1)), text, flags=re.I)
    text = _HER_AS_OBJECT.sub("you", text)
    return re.sub(r"\bher\b", "your", text, flags=re.I)


def lower_first(text: str) -> str:
    """The first letter in lower case, unless the first word is "I" ("I'm", "I've") or an acronym ("UK", "NHS")."""
    first = re.split(r"[\s']", text, maxsplit=1)[0]
    keep = first == "I" or (len(first) > 1 and first.isupper())
    return text if keep else text[:1].lower() + text[1:]


def goal_as_request(goal: str, templates: dict, situation: str = "") -> str:
    """One plain sentence asking for the goal (templates: the rewrite's texts in data/dearman/feedback.json;
    the situation tells a name from an ordinary first word)."""
    goal = goal.strip().rstrip(".")
    if m := _I_WANT.match(goal):
        wish = m["what"]
        if wish.lower().startswith("to "):
            return goal_as_request(wish[3:], templates, situation)
        if wish.lower().startswith("us to "):
            return "I'd like " + wish.rstrip(".") + "."
        who = _WHO_TO.match(wish)
        if who and _a_person(who["who"]):
            return "I'm asking you to " + _to_you(who["what"], who["who"]).rstrip(".") + "."
        return "I'd like " + wish.rstrip(".") + "."
    if (m := _ASK_TO.match(goal)) and _a_person(m["who"]):
        ask = "I'm asking you to " + _to_you(m["what"], m["who"])
    elif m := _AGREE_THAT.match(goal):
        ask = "I'd like us to agree that " + _to_you(m["what"], m["who"])
    elif m := _AGREE_ON.match(goal):
        ask = "I'd like us to agree on " + _to_you(m["what"], m["who"])
    elif m := _SAY_NO.match(goal):
        what = m["what"]
        what = re.sub(r"^being\s+", "", what, flags=re.I)  # "being her guarantor" -> "I won't be her guarantor"
        ask = f"No, I won't be {what}" if re.match(r"\w+ing\b", m["what"]) else f"My answer to {what} is no"
    elif re.match(r"^say no\b", goal, re.I):
        ask = "My answer is no"
    elif m := _GET.match(goal):
        what = m["what"]
        if goal.lower().startswith("have "):
            what = "to have " + what
        elif re.match(r"\w+ed\b", what):  # "Get moved to day shifts"
            what = "to be " + what
        ask = "I'd like " + what
    elif goal.split()[0].lower() in _VERBS:
        ask = templates["assert_fallback"].format(goal="to " + lower_first(goal))
    elif _CLAUSE.match(goal):
        ask = templates["assert_fallback"].format(goal="that " + _first_word_lowered(goal, situation))
    else:
        ask = templates["assert_fallback"].format(goal=_first_word_lowered(goal, situation))
    return ask.rstrip(".") + "."


def _first_word_lowered(goal: str, situation: str) -> str:
    """The goal with its first word in lower case, unless that word is a name (capitalised in the situation too)."""
    first = goal.split()[0]
    named = len(first) > 1 and re.search(r"(?<![.!?]\s)(?<!^)\b" + re.escape(first) + r"\b", situation)
    return goal if named else lower_first(goal)
