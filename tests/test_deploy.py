"""The deployment guide ("Running it in a clinic" in the README), run as far as a test can:

- the files in deploy/ are the ones the README shows;
- the systemd units pass `systemd-analyze verify`, and the nightly job's commands run;
- the Caddyfile passes `caddy validate`; the nginx site passes `nginx -t`;
- two app processes started with the unit's own command line on one fresh database (migrating
  at the same moment), behind nginx and behind Caddy with TLS: health checks, a real Streamlit
  session over the proxied WebSocket, sticky cookies from Caddy, and `restore` refused while they run;
- two processes practising on one database lose no turn.

Tools not installed (nginx, caddy, systemd-analyze) skip their test, except in CI, which sets
PRACTICUM_REQUIRE_DEPLOY_TOOLS=1 and installs them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from simulator.core.settings import ROOT

DEPLOY = ROOT / "deploy"
HOST = "practicum.example.org"
REQUIRED = os.environ.get("PRACTICUM_REQUIRE_DEPLOY_TOOLS") == "1"
VENV = Path(sys.executable).parent.parent


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRED:
            pytest.fail(f"{name} is required here (PRACTICUM_REQUIRE_DEPLOY_TOOLS=1) but not installed")
        pytest.skip(f"{name} is not installed (apt-get install {name if name != 'systemd-analyze' else 'systemd'})")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def here(text: str) -> str:
    """A deploy file with its install paths pointed at this checkout and this virtualenv."""
    return text.replace("/opt/practicum/.venv", str(VENV)).replace("/opt/practicum", str(ROOT))


def env_file(db: Path) -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "practicum.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key] = value
    values["PRACTICUM_DB"] = str(db)
    return values


def exec_lines(unit: str, key: str) -> list[list[str]]:
    """The unit's Exec lines as argv lists, with systemd's %% and $$ escapes undone."""
    out = []
    for line in unit.splitlines():
        if line.startswith(f"{key}="):
            out.append(shlex.split(line.split("=", 1)[1].replace("%%", "%").replace("$$", "$")))
    return out


# -- the README shows the files as they are ----------------------------------------------------

def test_the_readme_shows_every_deploy_file_as_it_is():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Running it in a clinic"):]
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file():
            name = str(path.relative_to(ROOT))
            assert name in section, f"the guide does not name {name}"
            assert path.read_text().strip() in section, f"the guide's copy of {name} differs from the file"


# -- systemd -----------------------------------------------------------------------------------

def test_the_systemd_units_verify(tmp_path):
    analyze = tool("systemd-analyze")
    for path in (DEPLOY / "systemd").iterdir():
        name = path.name.replace("@.service", "@8501.service")
        (tmp_path / name).write_text(here(path.read_text()))
    units = sorted(str(p) for p in tmp_path.iterdir())
    out = subprocess.run([analyze, "verify", *units], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    problems = [line for line in out.stderr.splitlines() if str(tmp_path) in line or "practicum" in line]
    assert problems == [], problems


def test_the_nightly_jobs_commands_make_a_dated_backup_and_purge(tmp_path):
    unit = here((DEPLOY / "systemd" / "practicum-nightly.service").read_text())
    backups = tmp_path / "backups"
    backups.mkdir()
    db = tmp_path / "lib" / "practicum.db"
    env = {**os.environ, **env_file(db)}
    assert subprocess.run([sys.executable, "-m", "simulator", "migrate"], cwd=ROOT, env=env,
                          capture_output=True).returncode == 0
    stale = backups / "practicum-2020-01-01.db"
    stale.write_bytes(b"old")
    os.utime(stale, (time.time() - 30 * 86400,) * 2)
    commands = exec_lines(unit.replace("/var/backups/practicum", str(backups)), "ExecStart")
    assert len(commands) == 3
    for argv in commands:
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (argv, done.stderr)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert [p.name for p in backups.iterdir()] == [f"practicum-{today}.db"]  # the stale one went


# -- the proxies -------------------------------------------------------------------------------

def cert(tmp_path: Path) -> tuple[Path, Path]:
    key, crt = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    subprocess.run([tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "2", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}"],
                   check=True, capture_output=True, timeout=60)
    return key, crt


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """Two app processes on one fresh database, started as the systemd unit starts them."""
    tmp = tmp_path_factory.mktemp("apps")
    db = tmp / "lib" / "practicum.db"
    env = {**os.environ, **env_file(db), "HOME": str(tmp)}
    unit = here((DEPLOY / "systemd" / "practicum@.service").read_text())
    [pre], [start] = exec_lines(unit, "ExecStartPre"), exec_lines(unit, "ExecStart")
    # Both processes migrate at the same moment, as systemd starts them together.
    migrations = [subprocess.Popen(pre, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                  for _ in range(2)]
    outs = [m.communicate(timeout=120) for m in migrations]
    assert [m.returncode for m in migrations] == [0, 0], outs
    assert sorted("applied" in o for o, _ in outs) == [False, True]  # one migrated, the other found it done
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([a.replace("%i", str(port)) for a in start], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for port in ports]
    try:
        for port, proc in zip(ports, procs):
            deadline = time.monotonic() + 90
            while True:
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    pass
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "the app did not start"
                time.sleep(0.3)
        yield db, ports, procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def https(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname=HOST) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), v.strip())
    return int(lines[0].split()[1]), headers, body


def session_through(port: int, cookie: str | None = None) -> str:
    """Open a real Streamlit session over the proxied WebSocket and return the page's first heading."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    headers = {"Cookie": cookie} if cookie else None
    # A liveness bound, not a speed target: under the full suite on two cores the proxied handshake once
    # took over 20 s (2026-12-06); the page itself has 60 s below.
    with connect(f"wss://{HOST}:{port}/_stcore/stream", sock=sock, ssl=ctx, server_hostname=HOST,
                 origin=f"https://{HOST}:{port}", additional_headers=headers, open_timeout=60) as ws:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        rerun.rerun_script.page_script_hash = ""
        ws.send(rerun.SerializeToString())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=60))
            if msg.WhichOneof("type") == "delta" and msg.delta.new_element.HasField("heading"):
                return msg.delta.new_element.heading.body
    raise AssertionError("no page came back through the proxy")


def restore_refused(db: Path, tmp: Path) -> subprocess.CompletedProcess:
    """`restore` of a fresh backup while the apps run (the backup itself is allowed)."""
    env = {**os.environ, "PRACTICUM_DB": str(db)}
    backup = tmp / f"b-{time.monotonic_ns()}.db"
    made = subprocess.run([sys.executable, "-m", "simulator", "backup", str(backup)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    return subprocess.run([sys.executable, "-m", "simulator", "restore", str(backup)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_unit_serves_the_sign_in_cookie_route(apps):
    # Without serve.py's routes a sign-in would last only as long as the browser tab.
    _, ports, _ = apps
    request = urllib.request.Request(f"http://127.0.0.1:{ports[0]}/auth/cookie", data=b"{}", method="POST",
                                     headers={"Origin": "https://elsewhere.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403  # the route exists and refuses another origin


def test_nginx_config_test_and_two_apps_behind_it(apps, tmp_path):
    nginx = tool("nginx")
    db, ports, procs = apps
    key, crt = cert(tmp_path)
    https_port, http_port = free_port(), free_port()
    site = (DEPLOY / "nginx" / "practicum.conf").read_text()
    site = (site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
            .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
            .replace("/etc/ssl/practicum/privkey.pem", str(key)).replace("/etc/ssl/practicum/fullchain.pem", str(crt))
            .replace("127.0.0.1:8501", f"127.0.0.1:{ports[0]}").replace("127.0.0.1:8502", f"127.0.0.1:{ports[1]}"))
    (tmp_path / "practicum.conf").write_text(site)
    temp = "".join(f"    {kind}_temp_path {tmp_path / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}    include {tmp_path / 'practicum.conf'};\n}}\n")
    check = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "test is successful" in check.stderr, check.stderr

    server = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, body = https(https_port, "/_stcore/health")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        assert (status, body) == (200, b"ok")
        with socket.create_connection(("127.0.0.1", http_port), timeout=10) as plain:
            plain.sendall(f"GET /x HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            assert plain.recv(4096).startswith(b"HTTP/1.1 301")  # plain HTTP goes to HTTPS
        assert session_through(https_port) == "Welcome to Practicum"  # no accounts yet: the first-admin page
        refused = restore_refused(db, tmp_path)
        assert refused.returncode == 3 and "in use by a running process" in refused.stderr
        assert "streamlit" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_caddy_validates_and_serves_two_apps_with_sticky_cookies(apps, tmp_path):
    caddy = tool("caddy")
    db, ports, procs = apps
    check = subprocess.run([caddy, "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(tmp_path)})
    assert check.returncode == 0 and "Valid configuration" in check.stdout + check.stderr, check.stderr

    https_port, http_port = free_port(), free_port()
    # The same site, with a local certificate authority instead of Let's Encrypt and test ports.
    site = ((DEPLOY / "Caddyfile").read_text().replace("127.0.0.1:8501", f"127.0.0.1:{ports[0]}")
            .replace("127.0.0.1:8502", f"127.0.0.1:{ports[1]}"))
    (tmp_path / "Caddyfile").write_text(
        f"{{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n\thttp_port {http_port}\n\thttps_port {https_port}\n}}\n\n"
        + site)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    server = subprocess.Popen([caddy, "run", "--adapter", "caddyfile", "--config", str(tmp_path / "Caddyfile")],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = https(https_port, "/_stcore/health")
                if status == 200:
                    break
            except (OSError, ssl.SSLError):
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()[-2000:]
            time.sleep(0.3)
        assert body == b"ok" and "strict-transport-security" in headers
        sticky = re.match(r"practicum_lb=[^;]+", headers.get("set-cookie", ""))
        assert sticky, headers
        assert session_through(https_port, cookie=sticky.group(0)) == "Welcome to Practicum"
        refused = restore_refused(db, tmp_path)
        assert refused.returncode == 3 and "in use by a running process" in refused.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


# -- several processes, one database -----------------------------------------------------------

def test_two_processes_one_database_no_lost_turn(store, tmp_path):
    from simulator.cbt.engine_offline import OfflineEngine
    from simulator.cbt.library import CaseLibrary
    from simulator.cbt.practice import Practice
    from simulator.core.settings import DATA_DIR

    p = Practice(store=store, library=CaseLibrary.load(DATA_DIR / "patients"), engine=OfflineEngine())
    ids = [p.start("tomas-herrera", "plain", situation_index=0, seed=i).id for i in range(5)]
    shared = ids[4]  # a trainee with two tabs on two processes: not what sticky sessions give, still safe
    stop = tmp_path / "stop"
    procs = [subprocess.Popen([sys.executable, "-m", "tests.db_worker", "talk", str(store.path), str(stop),
                               *mine, shared], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for mine in (ids[0:2], ids[2:4])]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    # Both write until each has stored plenty of turns (time-bounded, so a busy machine only waits longer).
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with sqlite3.connect(store.path) as conn:
            if all(conn.execute("select count(*) from turns where role = 'therapist' and text like ?",
                                [f"% from process {proc.pid}:%"]).fetchone()[0] >= 30 for proc in procs):
                break
        time.sleep(0.2)
    stop.touch()
    stored = [int(proc.communicate(timeout=60)[0].strip()) for proc in procs]
    assert all(n > 10 for n in stored), stored

    conn = sqlite3.connect(store.path)
    rows = conn.execute("select session_id, idx, role, text from turns order by session_id, idx").fetchall()
    conn.close()
    said = [r[3] for r in rows if r[2] == "therapist"]
    assert len(said) == len(set(said)) == sum(stored)  # every message each process stored, once
    for pid in {proc.pid for proc in procs}:
        numbers = sorted(int(t.split()[1]) for t in said if f"process {pid}:" in t)
        assert numbers == list(range(len(numbers)))  # none missing in between
    for sid in ids:
        idx = [r[1] for r in rows if r[0] == sid]
        assert idx == list(range(len(idx)))  # no gaps, no duplicates
    assert sum(1 for r in rows if r[0] == shared and r[2] == "therapist") > 0
