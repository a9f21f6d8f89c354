"""Research export: de-identified JSONL or CSV of consenting trainees, as one zip download."""

import io
import zipfile
from datetime import date

import streamlit as st

from simulator.accounts.policy import AccessDenied
from simulator.research import export
from views.common import services

st.title("Research export")
st.write(
    "Sessions, turns, scores, ratings and reviews of trainees who consented, each trainee under a "
    "stable pseudonym. No usernames, emails or names are exported. Every export is logged."
)
research = services().research
with st.form("export"):
    fmt = st.radio("Format", ["jsonl", "csv"], horizontal=True)
    c1, c2, c3 = st.columns(3)
    since = c1.date_input("Sessions since", value=None)
    cohort_names = ["(all)"] + research.cohort_names()
    cohort = c2.selectbox("Cohort", cohort_names)
    case = c3.text_input("Case id (optional)")
    go = st.form_submit_button("Prepare export", type="primary")

if go:
    filters = export.Filters(since=since if isinstance(since, date) else None,
                             cohort=None if cohort == "(all)" else cohort, case_id=case.strip() or None)
    try:
        data = research.collect(filters)
    except (export.ExportError, AccessDenied) as err:
        st.error(str(err))
        st.stop()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in export.TABLES:
            zf.writestr(f"{export.FILES_PREFIX}_{table.name}.{fmt}",
                        export.render(data.get(table.name, []), table.columns, fmt))
    st.write({name: len(rows) for name, rows in data.items()})
    st.download_button("Download zip", buf.getvalue(), file_name=f"practicum-export-{date.today()}.zip",
                       mime="application/zip")
