"""Scenario authoring for supervisors: create, edit or clone a DEAR MAN scenario, versioned."""

import streamlit as st

from views.common import as_text, save_authored, scenarios, services

st.title("Author DEAR MAN scenarios")
lib = scenarios()
items = {s.id: s for s in lib}
mode = st.radio("What would you like to do?", ["Edit a scenario", "Clone a scenario", "New scenario"],
                horizontal=True)
default: dict = {}
if mode != "New scenario":
    chosen = st.selectbox("Scenario", list(items), format_func=lambda i: f"{items[i].title} ({i})")
    default = items[chosen].model_dump(mode="json")
    opened = st.session_state.setdefault(f"opened-scenario-{chosen}",
                                         services().authoring.scenario_version(lib, chosen))
    with st.expander("Version history"):
        st.write(services().authoring.history("scenario", chosen) or "Only the original file version (v1).")
    if mode == "Clone a scenario":
        default["id"], default["title"] = f"{chosen}-copy", f"{default['title']} (copy)"
cp = default.get("counterpart", {})
categories = ["work", "family", "friends", "services"]

with st.form("scenario-form"):
    c1, c2 = st.columns(2)
    data: dict = {
        "id": c1.text_input("Id (lower-case, digits, hyphens)", default.get("id", ""),
                            disabled=mode == "Edit a scenario"),
        "title": c2.text_input("Title", default.get("title", "")),
    }
    c1, c2, c3 = st.columns(3)
    data["category"] = c1.selectbox("Category", categories, index=categories.index(default.get("category", "work")))
    data["difficulty"] = c2.slider("Difficulty", 1, 9, default.get("difficulty", 5))
    data["turn_limit"] = c3.number_input("Turn limit", 3, 30, default.get("turn_limit", 10))
    data["situation"] = st.text_area("Situation (what the trainee faces)", default.get("situation", ""))
    data["goal"] = st.text_area("Goal (what the trainee wants)", default.get("goal", ""))
    st.markdown("**The other person**")
    c1, c2 = st.columns(2)
    counterpart = {
        "name": c1.text_input("Name", cp.get("name", "")),
        "relationship": c2.text_input("Relationship to the trainee", cp.get("relationship", "")),
        "persona": st.text_area("Persona", cp.get("persona", "")),
        "opening": st.text_area("Opening line", cp.get("opening", "")),
        "objections": st.text_area("Objections (one per line, at least 3)", "\n".join(cp.get("objections", []))),
        "softening": st.text_area("Softening lines (one per line, at least 2)", "\n".join(cp.get("softening", []))),
        "agreement": st.text_area("Agreement line", cp.get("agreement", "")),
    }
    for key in ("objections", "softening"):
        counterpart[key] = [line.strip() for line in counterpart[key].splitlines() if line.strip()]
    data["counterpart"] = counterpart
    saved = st.form_submit_button("Save as a new version", type="primary")

if saved:
    if mode == "Edit a scenario":
        data["id"] = default["id"]
    saved = save_authored("scenario", lambda: services().authoring.save_scenario(
        data, lib, new=mode != "Edit a scenario",
        baseline=opened if mode == "Edit a scenario" else None))
    if saved:
        st.success(f"Saved {as_text(saved[0].title)} as version {saved[1]}. Sessions already run keep "
                   "the version they used.")
