"""Case authoring for supervisors: create, edit or clone a case; every save is a new version."""

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.case import RISK_ASPECTS, RISK_LEVELS, SITUATION_MODEL
from simulator.cbt.vocab import CORE_BELIEF_GROUPS, EMOTIONS, STYLES
from simulator.supervision.authoring import case_form_defaults, case_from_form
from views.common import (
    as_text,
    library,
    library_changed,
    save_authored,
    services,
)

st.title("Author cases")
lib = library()
cases = {c.id: c for c in lib}
mode = st.radio("What would you like to do?", ["Edit a case", "Clone a case", "New case"], horizontal=True)
base = None
if mode != "New case":
    chosen = st.selectbox("Case", list(cases), format_func=lambda i: f"{cases[i].name} ({i}, v{lib.version(i)})")
    base = cases[chosen]
    # The version this editor opened: a save refuses if someone saved a newer one meanwhile.
    opened = st.session_state.setdefault(f"opened-case-{chosen}", lib.version(chosen))
    with st.expander("Version history"):
        rows = services().authoring.history("case", chosen)
        st.write(rows or "Only the original file version (v1).")
default = case_form_defaults(base.model_dump(mode="json")) if base else {}
if mode == "Clone a case" and base:
    default["id"], default["name"] = f"{base.id}-copy", f"{base.name} (copy)"
n_situations = st.number_input("Situations", 1, 6, max(1, len(default.get("situations", [])) or 2))

# Keyed widgets keep what they hold across reruns: keyed per case (and mode), so choosing another
# case shows that case's text instead of the last one's.
form_id = f"{mode}-{base.id if base else 'new'}"
with st.form("case-form"):
    c1, c2, c3 = st.columns([2, 2, 1])
    data = {}
    data["id"] = c1.text_input("Id (lower-case, digits, hyphens)", default.get("id", ""),
                               disabled=mode == "Edit a case")
    data["name"] = c2.text_input("Display name", default.get("name", ""))
    data["age"] = c3.number_input("Age", 16, 100, default.get("age", 35))
    c1, c2, c3 = st.columns(3)
    data["pronouns"] = c1.text_input("Pronouns", default.get("pronouns", ""))
    data["occupation"] = c2.text_input("Occupation", default.get("occupation", ""))
    difficulties = ["beginner", "intermediate", "advanced"]
    data["difficulty"] = c3.selectbox("Difficulty", difficulties,
                                      index=difficulties.index(default.get("difficulty", "intermediate")))
    data["presenting_problem"] = st.text_input("Presenting problem (one line; trainees see it)",
                                               default.get("presenting_problem", ""))
    data["in_own_words"] = st.text_area(
        "What they say when asked what brings them (patient's words; optional)", default.get("in_own_words") or "",
        max_chars=400, height=90,
        help="How the patient first says why they came (both engines). Without it the offline patient "
             "says the presenting problem.") or None
    data["content_note"] = st.text_input("Content note shown before a session (optional)",
                                         default.get("content_note") or "") or None
    data["history"] = st.text_area("Relevant history (patient's voice)", default.get("history", ""))
    st.markdown("**Core beliefs**")
    beliefs = default.get("core_beliefs", {})
    # One full-width list per group: in three columns, two beliefs' chips no longer fitted and were cut.
    data["core_beliefs"] = {
        group: st.multiselect(group.capitalize(), options, beliefs.get(group, []))
        for group, options in CORE_BELIEF_GROUPS.items()
    }
    data["intermediate_beliefs"] = st.text_area("Rules, attitudes, assumptions", default.get("intermediate_beliefs", ""))
    data["intermediate_beliefs_depression"] = st.text_area(
        "During depression (optional)", default.get("intermediate_beliefs_depression") or "") or None
    data["coping_strategies"] = st.text_area("Coping strategies", default.get("coping_strategies", ""))
    data["goals"] = st.text_area("Goals for therapy (patient's words)", default.get("goals") or "") or None
    data["styles"] = st.multiselect("Allowed conversational styles", STYLES, default.get("styles", list(STYLES)))
    data["situations"] = []
    old = default.get("situations", [])
    for n in range(int(n_situations)):
        s = old[n] if n < len(old) else {}
        st.markdown(f"**Situation {n + 1}**")
        data["situations"].append({
            "situation": st.text_area("What happened", s.get("situation", ""), key=f"s{n}-{form_id}"),
            "automatic_thoughts": st.text_area("Automatic thoughts", s.get("automatic_thoughts", ""), key=f"t{n}-{form_id}"),
            "emotions": st.multiselect("Emotions", EMOTIONS, s.get("emotions", []), key=f"e{n}-{form_id}"),
            "behavior": st.text_area("Behaviour", s.get("behavior", ""), key=f"b{n}-{form_id}"),
            "body": st.text_area("Physical sensations", s.get("body") or "", key=f"y{n}-{form_id}") or None,
            "emotion_intensity": st.text_input("Intensity of each emotion, 0-100, in the order chosen "
                                               "(e.g. 80, 60)", s.get("emotion_intensity", ""), key=f"i{n}-{form_id}"),
            "belief_then": st.number_input("Belief in the thought then (0-100)", 0, 100,
                                           s.get("belief_then"), key=f"bt{n}-{form_id}"),
            "belief_now": st.number_input("Belief in the thought now (0-100)", 0, 100,
                                          s.get("belief_now"), key=f"bn{n}-{form_id}"),
            # A situation's own model (imported cases have them) is kept as it is.
            **{k: s[k] for k in SITUATION_MODEL if s.get(k) is not None},
        })
    st.markdown("**Risk** (means: what, and whether at hand; never how)")
    risk = default.get("risk", {"level": "unknown"})
    levels = list(RISK_LEVELS)
    data["risk"] = {"level": st.selectbox("Level", levels, levels.index(risk.get("level", "unknown")),
                                          format_func=RISK_LEVELS.get)}
    for aspect in RISK_ASPECTS:
        data["risk"][aspect] = st.text_area(aspect.replace("_", " ").capitalize() + " (patient's answer)",
                                            risk.get(aspect) or "", key=f"risk-{aspect}-{form_id}") or None
    data["risk"]["cues"] = st.text_area("Cues let slip before being asked (one per line)", risk.get("cues", ""))
    with st.expander("Indirect voicings (one per line)"):
        voicings = default.get("voicings", {})
        data["voicings"] = {
            "core_beliefs": st.text_area("Core beliefs: the belief on its own line, then '- ' and a hint per line",
                                         voicings.get("core_beliefs", "")),
            **{key: st.text_area(label, voicings.get(key, ""), key=f"v-{key}-{form_id}") for key, label in (
                ("intermediate_beliefs", "Rules, told as lived examples"),
                ("intermediate_beliefs_depression", "During depression"),
                ("coping_strategies", "Coping, told as what they did last week"),
                ("history", "History"))},
        }
    saved = st.form_submit_button("Save as a new version", type="primary")
if mode == "Edit a case" and base and base.imported_from:
    data["imported_from"] = default["imported_from"]  # an edited import is still one; a clone is not

if saved:
    if mode == "Edit a case":
        data["id"] = base.id
    saved = save_authored("case", lambda: services().authoring.save_case(
        case_from_form(data), lib, new=mode != "Edit a case",
        baseline=opened if mode == "Edit a case" else None))
    if saved:
        st.success(f"Saved {as_text(saved[0].name)} as version {saved[1]}. New sessions use it; "
                   "earlier sessions keep the version they ran on.")

st.divider()
st.subheader("Import cases from a file")
st.caption("PATIENT-Ψ records or Practicum's own case format (JSON). A file with any problem adds nothing.")
upload = st.file_uploader("Case file", type=["json"])
if upload is not None and st.button("Import"):
    import tempfile
    from pathlib import Path

    from simulator.cbt.importer import CaseImportError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.json"  # the uploaded name is never used as a path
        path.write_bytes(upload.getvalue())
        try:
            imported, notes = services().authoring.import_cases(path, library())
        except CaseImportError as err:
            st.error("Nothing was imported:\n\n" + "\n".join(f"- {as_text(str(p))}" for p in err.problems))
        except (ValueError, AccessDenied) as err:
            st.error(str(err))
        else:
            library_changed()
            st.success("Imported " + ", ".join(as_text(c.name) for c in imported) + ".")
            for note in notes:
                st.caption(as_text(note))
