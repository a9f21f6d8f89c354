"""Guided cognitive restructuring with a simulated patient (DESIGN.md section 5), by concern.

The trainee leads identification (automatic thought -> intermediate belief -> core belief) and
restructuring (evidence for, facts only -> evidence against -> verdict and a balanced alternative
thought), then moves on to the next distorted thought.

- `texts`: every cue, patient phrase and feedback sentence, read from data/traps/restructuring.json.
- `state`: the stages and the state of one dialogue (pydantic).
- `acts`: what the trainee is doing in one message.
- `belief`: how strongly the patient believes the thought, and what moves it.
- `patient`: the offline patient's wording, grounded only in the case.
- `dialogue`: the rules of the exercise (begin, respond, conclude), pure functions of the state.
- `feedback`: per-stage feedback when a dialogue ends.
- `llm_voice`: with an LLM configured, the model re-words the patient's answer.
- `store`: the tables; one append per exchange in a write transaction, no turn ever lost.
- `practice`: a stored dialogue as the service layer uses it (start, open, say, finish, list).
"""
