"""The closed lists of the cognitive model (DESIGN.md §2), exact strings.

Everything that names a core belief, an emotion or a conversational style takes it from here.
"""

from typing import Literal, get_args

HelplessBelief = Literal[
    "I am incompetent.",
    "I am helpless.",
    "I am powerless, weak, vulnerable.",
    "I am a victim.",
    "I am needy.",
    "I am trapped.",
    "I am out of control.",
    "I am a failure, loser.",
    "I am defective.",
]
UnlovableBelief = Literal[
    "I am unlovable.",
    "I am unattractive.",
    "I am undesirable, unwanted.",
    "I am bound to be rejected.",
    "I am bound to be abandoned.",
    "I am bound to be alone.",
]
WorthlessBelief = Literal[
    "I am worthless, waste.",
    "I am immoral.",
    "I am bad - dangerous, toxic, evil.",
    "I don't deserve to live.",
]
Emotion = Literal[
    "anxious, worried, fearful, scared, tense",
    "sad, down, lonely, unhappy",
    "angry, mad, irritated, annoyed",
    "ashamed, embarrassed, humiliated",
    "disappointed",
    "jealous, envious",
    "guilty",
    "hurt",
    "suspicious",
]
Style = Literal["plain", "upset", "verbose", "reserved", "tangent", "pleasing"]

CORE_BELIEF_GROUPS: dict[str, tuple[str, ...]] = {
    "helpless": get_args(HelplessBelief),
    "unlovable": get_args(UnlovableBelief),
    "worthless": get_args(WorthlessBelief),
}
CORE_BELIEFS: tuple[str, ...] = tuple(b for group in CORE_BELIEF_GROUPS.values() for b in group)
EMOTIONS: tuple[str, ...] = get_args(Emotion)
STYLES: tuple[str, ...] = get_args(Style)
