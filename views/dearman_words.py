"""How a DEAR MAN conversation's outcome reads: in lists and tables (My sessions, My progress), and as
the sentence the conversation page ends with."""

OUTCOME = {"agreed": "they agreed", "gave_up": "you ended it", "turn_limit": "turn limit reached"}
OUTCOME_SAID = {"agreed": "They agreed.", "gave_up": "You ended the conversation.",
                "turn_limit": "You reached the turn limit without an agreement."}

# A conversation with an outcome stays open until the trainee gives the closing ratings.
RATINGS_OWED = "over · rate how you feel now to finish it"
