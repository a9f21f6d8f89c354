"""Where a trainee's text goes when an exercise uses the model: this machine, or another one.

`is_on_this_machine` decides from the endpoint's host: loopback and unspecified addresses,
`localhost`, and any name or address that resolves only to addresses of this machine's own network
interfaces (checked by binding a socket to each, which the kernel allows for local addresses
only). Anything else, a name that does not resolve included, counts as another machine, so a
trainee is told rather than not. The wording a trainee reads is in data/llm/notices.json.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import logging
import socket
from functools import lru_cache
from string import Template
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from simulator.core.datafiles import DataFileError, parse_json, validate_file_data
from simulator.core.settings import DATA_DIR, LLMSettings

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
NOTICES_FILE = DATA_DIR / "llm" / "notices.json"


class Provider(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str  # a host name, or a pattern like *.openai.azure.com
    who: str


class Notices(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exercises: dict[str, str]
    providers: list[Provider]
    unknown_provider: str
    this_server: str
    on_this_machine: str
    destination: str
    needs_acknowledgement: str
    exercise_offline: str
    daily_cap: str


@lru_cache(maxsize=1)
def notices() -> Notices:
    text = NOTICES_FILE.read_text(encoding="utf-8")
    return validate_file_data(Notices, parse_json(text, NOTICES_FILE.name), NOTICES_FILE.name, DataFileError,
                              "notices file")


def fill(template: str, **values: object) -> str:
    return Template(template).substitute({k: str(v) for k, v in values.items()})


class Destination(BaseModel):
    """Where the text goes, for the notice a trainee reads before their first message with a model."""

    endpoint: str  # the key an acknowledgement is stored under: scheme://host[:port]
    host: str
    local: bool
    who: str  # who runs it, in plain words
    notice: str  # the whole notice


def endpoint_key(settings: LLMSettings) -> str:
    """scheme://host[:port] of the endpoint: an acknowledgement holds until this changes."""
    parts = urlsplit(settings.base_url or OPENAI_URL)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{(parts.scheme or 'http').lower()}://{host}{port}"


def endpoint_host(settings: LLMSettings) -> str:
    return (urlsplit(settings.base_url or OPENAI_URL).hostname or "").lower()


def _bindable(address: str) -> bool:
    """True if `address` belongs to one of this machine's network interfaces."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_loopback or ip.is_unspecified:
        return True
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False


@lru_cache(maxsize=32)
def is_host_on_this_machine(host: str) -> bool:
    host = host.strip("[]").lower()
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return _bindable(host)
    except ValueError:
        pass  # a name, not an address: resolve it
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as err:
        log.info("the model host %r does not resolve (%s); treating it as another machine", host, err)
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(_bindable(a) for a in addresses)


def is_on_this_machine(settings: LLMSettings) -> bool:
    """Whether the configured endpoint runs on this machine (no notice needed)."""
    return is_host_on_this_machine(endpoint_host(settings))


def who_runs(host: str) -> str:
    for provider in notices().providers:
        if fnmatch.fnmatch(host, provider.host.lower()):
            return provider.who
    return notices().unknown_provider


def destination(settings: LLMSettings) -> Destination:
    host = endpoint_host(settings)
    local = is_host_on_this_machine(host)
    text = notices()
    who = text.this_server if local else who_runs(host)
    notice = text.on_this_machine if local else fill(text.destination, host=host, who=who)
    return Destination(endpoint=endpoint_key(settings), host=host, local=local, who=who, notice=notice)
