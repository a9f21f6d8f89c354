"""Research export: de-identified JSONL or CSV of consenting trainees, as one zip download."""

from datetime import date

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.research import export
from views.common import services

st.title("Research export")
st.write("Sessions, turns, scores, ratings and reviews of trainees who consented. Every export is logged.")
st.markdown(
    "**Always removed:** usernames, emails and account ids. Each trainee appears as a stable pseudonym "
    "and each session or attempt as a keyed hash, neither of which matches anything in the app or its "
    "links. Times are kept only as the date a session started and seconds since that start.\n\n"
    "**Free text** (messages, replies, comments, notes, formulations, reframes, and the wording inside "
    "feedback) is left out unless you tick the box below. If you tick it, person names, emails, phone "
    "numbers, street addresses and every account's username and email are replaced by placeholders "
    "such as [name].\n\n"
    "**What may remain in free text:** names the detector misses (no detector finds every name; the "
    "README gives its measured recall), nicknames and unusual spellings, towns, workplaces, dates, ages, "
    "and details of someone's story that could identify them to someone who knows them. Read free text "
    "before sharing it. Without free text, the files hold only scores, ratings, labels, case and "
    "scenario ids, the library's own exercise text, and timings."
)
research = services().research
with st.form("export"):
    fmt = st.radio("Format", ["jsonl", "csv"], horizontal=True)
    c1, c2, c3 = st.columns(3)
    since = c1.date_input("Sessions since", value=None)
    cohort_names = ["(all)"] + research.cohort_names()
    cohort = c2.selectbox("Cohort", cohort_names)
    case = c3.text_input("Case id (optional)")
    free_text = st.checkbox("Include free text (scrubbed)", value=False)
    go = st.form_submit_button("Prepare export", type="primary")

if go:
    filters = export.Filters(since=since if isinstance(since, date) else None,
                             cohort=None if cohort == "(all)" else cohort, case_id=case.strip() or None)
    try:
        data = research.collect(filters, free_text=free_text)
    except (export.ExportError, AccessDenied) as err:
        st.error(str(err))
        st.stop()
    st.dataframe([{"file": export.file_name(name, fmt), "rows": len(rows)} for name, rows in data.items()],
                 hide_index=True)
    st.caption(f"The zip also holds {export.DICTIONARY_FILE}: one line per column of every file, saying what it holds.")
    st.download_button("Download zip", export.zip_bytes(data, fmt), file_name=f"practicum-export-{date.today()}-{fmt}.zip",
                       mime="application/zip")
