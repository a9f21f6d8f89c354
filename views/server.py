"""The web server's own part, outside the pages: start-up, and the HTTP routes that set and clear
the sign-in cookie (served by `serve.py` through Streamlit's `st.App`).

A script run cannot set response headers, so the pages never write the cookie: after a sign-in
the page hands the browser a one-time code (simulator.accounts.signin.handoff) and a few lines of
script POST it to /auth/cookie, whose response sets the cookie HttpOnly (no script can read it),
SameSite=Strict, Secure under TLS, and with no expiry (it goes when the browser closes). Both
routes refuse requests from another origin.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from simulator.accounts.errors import AccountError
from simulator.core import logs
from simulator.core.settings import Settings, load_settings
from simulator.services import SignIn, prepare_database

log = logging.getLogger("simulator.views.server")

AUTH_COOKIE = "practicum_auth"
DEVICE_COOKIE = "practicum_device"
COOKIE_PATH = "/auth/cookie"
SIGNOUT_PATH = "/auth/signout"
DEVICE_MAX_AGE = 180 * 24 * 3600
MAX_BODY = 256


def startup(settings: Settings | None = None) -> None:
    """At server start: logging, the database, and the setup code while there is no account."""
    settings = settings or load_settings()
    logs.configure(settings.log_level)
    applied = prepare_database(settings)
    if applied:
        log.info("database %s: applied %s", settings.db_path, ", ".join(applied))
    SignIn.for_settings(settings).start()


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return bool(origin) and urlsplit(origin).netloc == request.headers.get("host")


def _secure(request: Request, settings: Settings) -> bool:
    return settings.secure_cookie == "always" or request.url.scheme == "https"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


async def set_cookie(request: Request) -> Response:
    """POST a hand-over code; the answer sets the sign-in cookie (and the browser's device cookie)."""
    if not _same_origin(request):
        return PlainTextResponse("Cross-origin request refused.", status_code=403)
    code = (await request.body())[:MAX_BODY].decode("utf-8", "replace").strip()
    settings = load_settings()
    try:
        token, device = await run_in_threadpool(
            SignIn.for_settings(settings).redeem, code, request.cookies.get(AUTH_COOKIE),
            request.cookies.get(DEVICE_COOKIE))
    except AccountError as err:
        log.warning("sign-in hand-over refused: %s", err)
        return _no_store(PlainTextResponse(str(err), status_code=400))
    secure = _secure(request, settings)
    response = Response(status_code=204)
    # No max_age or expires: a browser-session cookie, gone when the browser closes.
    response.set_cookie(AUTH_COOKIE, token, path="/", httponly=True, samesite="strict", secure=secure)
    if device:
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_MAX_AGE, path="/", httponly=True,
                            samesite="strict", secure=secure)
    return _no_store(response)


async def sign_out(request: Request) -> Response:
    """End the sign-in the cookie names (if any) and clear the cookie."""
    if not _same_origin(request):
        return PlainTextResponse("Cross-origin request refused.", status_code=403)
    settings = load_settings()
    await run_in_threadpool(SignIn.for_settings(settings).logout, request.cookies.get(AUTH_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(AUTH_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_secure(request, settings))
    return _no_store(response)


ROUTES = [Route(COOKIE_PATH, set_cookie, methods=["POST"]), Route(SIGNOUT_PATH, sign_out, methods=["POST"])]
