"""Research: the de-identified export of consenting trainees' work, for study teams."""
