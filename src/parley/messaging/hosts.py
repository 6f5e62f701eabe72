"""Matching the ``X-Host`` a client presents against a connector's ``allowedHosts``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?")
MAX_HOST_LENGTH = 260


def normalise_host(raw: str) -> str | None:
    """``Example.COM``, ``https://example.com/`` and ``example.com.`` all mean ``example.com``.

    Browsers' widgets tend to send an origin rather than a bare host, so a scheme is tolerated.
    Anything that is not a host name (spaces, paths, user info, unicode) is None.
    """
    value = raw.strip().lower()
    if "://" in value:
        parts = urlsplit(value)
        if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
            return None
        value = parts.netloc
    value = value.removesuffix(".")
    if not value or len(value) > MAX_HOST_LENGTH or not _HOST.fullmatch(value):
        return None
    return value


def host_allowed(host: str, allowed_hosts: list[str]) -> bool:
    """True when ``host`` is an allowed host or a subdomain of one.

    An allowed entry without a port accepts any port; one with a port accepts only that port.
    Matching is by whole labels: ``badexample.com`` is not a subdomain of ``example.com``.
    """
    name, _, port = host.partition(":")
    for entry in allowed_hosts:
        allowed_name, _, allowed_port = entry.lower().partition(":")
        if allowed_port and allowed_port != port:
            continue
        if name == allowed_name or name.endswith("." + allowed_name):
            return True
    return False
