"""How a DEAR MAN conversation's outcome reads in lists and tables (My sessions, My progress)."""

OUTCOME = {"agreed": "they agreed", "gave_up": "you ended it", "turn_limit": "turn limit reached"}

# A conversation with an outcome stays open until the trainee gives the closing ratings.
RATINGS_OWED = "over · rate how you feel now to finish it"
