"""Case authoring for supervisors: create, edit or clone a case; every save is a new version."""

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.cbt.vocab import CORE_BELIEF_GROUPS, EMOTIONS, STYLES
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
default = base.model_dump(mode="json") if base else {}
if mode == "Clone a case" and base:
    default["id"], default["name"] = f"{base.id}-copy", f"{base.name} (copy)"
n_situations = st.number_input("Situations", 1, 6, max(1, len(default.get("situations", [])) or 2))

with st.form("case-form"):
    c1, c2, c3 = st.columns([2, 2, 1])
    data = {"schema_version": 1}
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
    data["content_note"] = st.text_input("Content note shown before a session (optional)",
                                         default.get("content_note") or "") or None
    data["history"] = st.text_area("Relevant history (patient's voice)", default.get("history", ""))
    st.markdown("**Core beliefs**")
    beliefs = default.get("core_beliefs", {})
    cols = st.columns(3)
    data["core_beliefs"] = {
        group: cols[i].multiselect(group.capitalize(), options, beliefs.get(group, []))
        for i, (group, options) in enumerate(CORE_BELIEF_GROUPS.items())
    }
    data["intermediate_beliefs"] = st.text_area("Rules, attitudes, assumptions", default.get("intermediate_beliefs", ""))
    data["intermediate_beliefs_depression"] = st.text_area(
        "During depression (optional)", default.get("intermediate_beliefs_depression") or "") or None
    data["coping_strategies"] = st.text_area("Coping strategies", default.get("coping_strategies", ""))
    data["styles"] = st.multiselect("Allowed conversational styles", STYLES, default.get("styles", list(STYLES)))
    data["situations"] = []
    old = default.get("situations", [])
    for n in range(int(n_situations)):
        s = old[n] if n < len(old) else {}
        st.markdown(f"**Situation {n + 1}**")
        data["situations"].append({
            "situation": st.text_area("What happened", s.get("situation", ""), key=f"s{n}"),
            "automatic_thoughts": st.text_area("Automatic thoughts", s.get("automatic_thoughts", ""), key=f"t{n}"),
            "emotions": st.multiselect("Emotions", EMOTIONS, s.get("emotions", []), key=f"e{n}"),
            "behavior": st.text_area("Behaviour", s.get("behavior", ""), key=f"b{n}"),
        })
    saved = st.form_submit_button("Save as a new version", type="primary")

if saved:
    if mode == "Edit a case":
        data["id"] = base.id
    saved = save_authored("case", lambda: services().authoring.save_case(
        data, lib, new=mode != "Edit a case",
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
