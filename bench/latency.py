"""Sequential request timing over loopback (one request in flight, a new connection each time)."""

from __future__ import annotations

import http.client
import math
import re
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode


@dataclass
class Timings:
    """Wall-clock milliseconds of each request, as the client saw them."""

    samples: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)

    def add(self, ms: float, status: int) -> None:
        self.samples.append(ms)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        rank = math.ceil(p / 100 * len(ordered))  # nearest-rank definition
        return ordered[max(0, min(len(ordered), rank) - 1)]

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def rate(self) -> float:
        """Requests per second one client achieves back to back."""
        return 1000 * len(self.samples) / sum(self.samples) if self.samples else 0.0


class Client:
    """A tiny HTTP client bound to one tenant host on a loopback port."""

    def __init__(self, port: int, host: str, headers: dict | None = None):
        self.port, self.host = port, host
        self.headers = dict(headers or {})
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        all_headers = {"Host": self.host, **self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        payload = response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response.status, payload, elapsed_ms

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def login(self, email: str, password: str, path: str = "/login/") -> None:
        """Sign in through the real login form (CSRF token from the form, session cookie back)."""
        status, page, _ = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"login form not found at {path} (HTTP {status})")
        form = urlencode({"csrfmiddlewaretoken": match.group(1).decode(), "username": email, "password": password})
        status, _, _ = self.request("POST", path, body=form.encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {email} failed (HTTP {status})")


def measure(client: Client, method: str, paths, count: int, *, body: bytes | None = None, headers=None,
            warmup: int = 10) -> Timings:
    """``count`` sequential requests; ``paths`` is one path or a list cycled through."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    for i in range(warmup):
        client.request(method, paths[i % len(paths)], body=body, headers=headers)
    timings = Timings()
    for i in range(count):
        status, _, ms = client.request(method, paths[i % len(paths)], body=body, headers=headers)
        timings.add(ms, status)
    return timings
