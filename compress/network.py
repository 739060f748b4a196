"""Whether a download can start: a quick connection test before any download code runs.

Offline, the download libraries retry for tens of seconds and print pages of warnings before
failing; checking the host first lets the toolkit give its one-line error at once.
"""

from __future__ import annotations

import socket
from urllib.parse import urlparse


def reachable(url: str, timeout: float = 5.0) -> bool:
    """Whether the host of ``url`` resolves and accepts a TCP connection on its port."""
    parsed = urlparse(url)
    host = parsed.hostname
    if not host:
        return False
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
