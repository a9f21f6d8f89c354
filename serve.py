"""Serve Practicum: `streamlit run serve.py` (what `make run` does), or any ASGI server
(`uvicorn serve:app`). The pages are app.py; this adds the start-up step and the routes that set
the HttpOnly sign-in cookie (views/server.py), through Streamlit's st.App.
"""

from contextlib import asynccontextmanager

import streamlit as st

from views.server import ROUTES, startup


@asynccontextmanager
async def lifespan(_app):
    startup()  # migrate, and write the first-admin setup code to the log while there is no account
    yield


app = st.App("app.py", routes=ROUTES, lifespan=lifespan)
