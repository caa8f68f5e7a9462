"""The trust drills against a running `make run`: parallel creates, If-Match fights, wrk, a killed worker.

Run it from the repo root while `make run` is up (same checkout, so it finds `.data/` and
supervisord's socket):

    .venv/bin/python bench/trust.py                  # all four drills, about a minute
    .venv/bin/python bench/trust.py --only wrk       # one of: creates, fight, wrk, kill

It prints a markdown table with what each drill measured. Nothing is timed inside the product's
tests; these are the figures for bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


class Api:
    def __init__(self, base: str, host: str, key: str):
        self.base, self.host, self.key = base.rstrip("/"), host, key

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        request = urllib.request.Request(
            f"{self.base}{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Host": self.host, "Authorization": f"Token {self.key}", "Content-Type": "application/json",
                     **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")[:300]
            return exc.code, dict(exc.headers), payload
        except OSError as exc:
            return 0, {}, str(exc)


def manage(*args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}, check=True)
    return done.stdout.strip()


def supervised_pids() -> dict[str, int]:
    out = subprocess.run([str(BIN / "supervisorctl"), "-c", str(ROOT / "supervisord.conf"), "status"],
                         capture_output=True, text=True).stdout
    return {m[1]: int(m[2]) for m in re.finditer(r"(\w+)\s+RUNNING\s+pid (\d+)", out)}


def drill_creates(api: Api, n: int = 100) -> dict:
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(lambda i: api.call("POST", "/api/v1/incidents/",
                                                   {"title": f"Parallel create {i}", "description": "trust drill"}),
                                range(n)))
    numbers = [body["number"] for status, _, body in results if status == 201]
    return {"requests": n, "statuses": dict(Counter(status for status, _, _ in results)),
            "unique numbers": len(set(numbers))}


def drill_fight(api: Api, clients: int = 200, tries: int = 3) -> dict:
    """Every client tries (up to ``tries`` times) to update one incident, always read-then-write with If-Match.

    No update is lost when the version advanced by exactly the number of 200s: each accepted write
    was made against the version it had read, and every other writer got 412.
    """
    status, headers, body = api.call("POST", "/api/v1/incidents/", {"title": "Contended incident",
                                                                     "description": "fight"})
    assert status == 201, body
    number = body["number"]
    first_version = int(headers["ETag"].strip('"'))
    statuses, attempts = Counter(), Counter()
    lock = threading.Lock()

    def client(i: int):
        for attempt in range(tries):
            status, headers, _ = api.call("GET", f"/api/v1/incidents/{number}/")
            etag = headers.get("ETag")
            status, _, _ = api.call("PATCH", f"/api/v1/incidents/{number}/",
                                    {"title": f"Contended incident: client {i} attempt {attempt}"},
                                    {"If-Match": etag or '"0"'})
            with lock:
                statuses[status] += 1
                attempts[i] += 1
            if status == 200:
                return True
            if status != 412:
                return False
        return False

    with ThreadPoolExecutor(max_workers=clients) as pool:
        landed = sum(pool.map(client, range(clients)))
    _, headers, final = api.call("GET", f"/api/v1/incidents/{number}/")
    final_version = int(headers["ETag"].strip('"'))
    return {"clients": clients, "writes landed": landed, "PATCH statuses": dict(statuses),
            "version advanced by": final_version - first_version,
            "lost updates": statuses[200] - (final_version - first_version),
            "max attempts by one client": max(attempts.values())}


def drill_wrk(api: Api, seconds: int = 30, connections: int = 64) -> dict:
    script = ROOT / "bench" / "results" / "trust-wrk.lua"
    script.parent.mkdir(exist_ok=True)
    script.write_text(f'wrk.headers["Host"] = "{api.host}"\nwrk.headers["Authorization"] = "Token {api.key}"\n')
    out = subprocess.run(["wrk", f"-c{connections}", f"-d{seconds}s", "-t2", "--latency", "-s", str(script),
                          f"{api.base}/api/v1/incidents/?page_size=50"], capture_output=True, text=True).stdout
    found = lambda pattern: (re.search(pattern, out) or [None, None])[1]  # noqa: E731
    return {"connections": connections, "seconds": seconds, "requests/s": found(r"Requests/sec:\s+([\d.]+)"),
            "p50": found(r"50%\s+(\S+)"), "p99": found(r"99%\s+(\S+)"),
            "max": found(r"Latency\s+\S+\s+\S+\s+(\S+)"),
            "non-2xx": found(r"Non-2xx or 3xx responses: (\d+)") or "0",
            "socket errors": found(r"Socket errors: (.*)") or "none", "requests": found(r"(\d+) requests in")}


def drill_kill(api: Api, n: int = 100) -> dict:
    """Creates in 8 threads; the worker (main and children) is SIGKILLed when a fifth are done."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    os.environ.setdefault("DEBUG", "1")  # as `make run` (the settings refuse to load without a key otherwise)
    django.setup()
    from django_tenants.utils import schema_context

    from incidents.models import Incident
    from tickets.models import NotificationDelivery

    before = supervised_pids()
    done = Counter()
    marker = f"kill drill {int(time.time())}"

    def create(i):
        result = api.call("POST", "/api/v1/incidents/", {"title": f"{marker} #{i}", "description": "kill"})
        done["n"] += 1
        return result

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(create, i) for i in range(n)]
        while done["n"] < n // 5:
            time.sleep(0.01)
        os.killpg(before["worker"], signal.SIGKILL)
        killed_at = time.monotonic()
        results = [f.result() for f in futures]
    statuses = Counter(status for status, _, _ in results)
    with schema_context(api.host.split(".")[0]):
        ids = list(Incident.objects.filter(title__startswith=marker).values_list("pk", flat=True))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            sent = Counter(NotificationDelivery.objects.filter(ticket_type="incidents.incident", ticket_id__in=ids,
                                                               kind="created").values_list("ticket_id", flat=True))
            if len(sent) == len(ids):
                break
            time.sleep(0.5)
        recovered = time.monotonic() - killed_at
    after = supervised_pids()
    return {"creates": n, "statuses": dict(statuses), "incidents stored": len(ids),
            "received mails": len(sent), "duplicates": sum(1 for c in sent.values() if c > 1),
            "all mail out after kill (s)": round(recovered, 1),
            "worker restarted": after.get("worker") not in (None, before["worker"]),
            "web and beat untouched": (after.get("web"), after.get("beat")) == (before["web"], before["beat"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--tenant", default="acme")
    parser.add_argument("--only", choices=["creates", "fight", "wrk", "kill"])
    args = parser.parse_args()
    host = f"{args.tenant}.localhost"
    agent = Api(args.base, host, manage("api_token", args.tenant, f"agent@{args.tenant}.example", "--name", "bench"))
    drills = {"creates": drill_creates, "fight": drill_fight, "wrk": drill_wrk, "kill": drill_kill}
    print("| drill | result |\n| --- | --- |")
    for name, drill in drills.items():
        if args.only in (None, name):
            started = time.monotonic()
            result = drill(agent)
            print(f"| {name} ({time.monotonic() - started:.0f} s) | {json.dumps(result)} |", flush=True)


if __name__ == "__main__":
    main()
