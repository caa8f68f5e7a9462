"""The published API contract holds: schemathesis against the real server, as each role.

The schema served at /api/schema/ is loaded from the running gunicorn server (the one
`make run` uses) and every operation is exercised with generated valid and invalid input,
with every check schemathesis has: no 5xx, only documented status codes, content types and
headers, bodies that match their schema, invalid input refused and valid input accepted
(tests/api/schemathesis.toml lists the few widenings, each with its reason).

The run is on globex, so what the fuzzer writes (tickets, comments, SLA policies) stays out of
the tenant the browser tests walk through. The three roles run side by side to keep the
whole contract within a couple of minutes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

TENANT = "globex"
# Each role runs where its answers differ, so the work is split rather than tripled: agents
# over incidents, tasks and tokens; tenant admins (agents who also configure SLAs) over the SLA API,
# problems, known errors and "my work";
# requesters over everything, with generated input only (their answers are mostly refusals).
ROLES = {
    "agent": (f"agent@{TENANT}.example", "examples,coverage,fuzzing", r"^/api/v1/(incidents|tasks|tokens)/"),
    "tenant_admin": (f"admin@{TENANT}.example", "examples,coverage,fuzzing", r"^/api/v1/(sla|problems|known-errors|my-work)/"),
    # Not the password login (/api/v1/auth/token/): its attempts are limited per client address,
    # shared with the sign-in page, so generated attempts from 127.0.0.1 would lock out the later
    # logins of this test session. tests/api/test_token_login.py covers it, limits included.
    "requester": (f"user@{TENANT}.example", "examples,fuzzing", r"^/api/v1/(?!auth/token/)"),
}
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = os.environ.get("CONTRACT_MAX_EXAMPLES", "6")
# Fixed by default so CI is repeatable; set CONTRACT_SEED to explore other inputs.
SEED = os.environ.get("CONTRACT_SEED", "20261202")


def call(server, method: str, path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Host": server.host(TENANT), "Authorization": f"Token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def contract_runs(gunicorn_server, live_database, tmp_path_factory):
    """One schemathesis process per role, started together; each test waits for its own."""
    workdir = tmp_path_factory.mktemp("contract")
    tokens = {role: live_database.manage("api_token", TENANT, email).strip() for role, (email, _, _) in ROLES.items()}
    schema = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{gunicorn_server.port}/api/schema/?format=json",
        headers={"Host": gunicorn_server.host(TENANT)}), timeout=30).read()
    (workdir / "schema.json").write_bytes(schema)
    # The requester's own incident: visible to all three roles, so {number} reaches real code.
    incident = call(gunicorn_server, "POST", "/api/v1/incidents/", tokens["requester"],
                    {"title": "Contract run", "description": "Created by tests/api/test_contract.py"})
    runs = {}
    for role, token in tokens.items():
        _, phases, paths = ROLES[role]
        output = open(workdir / f"{role}.txt", "w+")
        command = [str(SCHEMATHESIS), "--no-color", "--config-file", str(CONFIG), "run", str(workdir / "schema.json"),
                   "--url", f"http://127.0.0.1:{gunicorn_server.port}",
                   "-H", f"Host: {gunicorn_server.host(TENANT)}", "-H", f"Authorization: Token {token}",
                   "--checks", "all", "--phases", phases, "--include-path-regex", paths,
                   "--max-examples", MAX_EXAMPLES, "--seed", SEED, "--no-shrink",
                   # One worker: hypothesis parses lambda sources with `ast`, which is not thread-safe
                   # on CPython 3.11 ("AST constructor recursion depth mismatch").
                   "--workers", "1", "--request-timeout", "30"]
        environment = {**os.environ, "CONTRACT_INCIDENT": incident["number"]}
        # In the temporary directory: schemathesis keeps a cache (.schemathesis/) where it runs.
        runs[role] = (subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment, cwd=workdir),
                      output)
    yield runs
    for process, output in runs.values():
        if process.poll() is None:
            process.kill()
            process.wait()
        output.close()


@pytest.mark.parametrize("role", list(ROLES))
def test_api_keeps_its_contract(contract_runs, gunicorn_server, role):
    process, output = contract_runs[role]
    try:
        returncode = process.wait(timeout=420)
    except subprocess.TimeoutExpired:
        process.kill()
        returncode = None
    output.seek(0)
    report = output.read()
    tested = re.search(r"Tested: (\d+)", report)
    assert tested and int(tested.group(1)) > 0, report[-4000:]
    assert returncode == 0, f"schemathesis as {role} (exit {returncode}):\n{report[-12000:]}\n" \
                            f"server log:\n{gunicorn_server.log()}"
