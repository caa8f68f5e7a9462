"""Throughput under concurrent load with wrk, driven by a generated Lua script."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok_rate(self) -> float:
        """Successful requests per second: errors do not count as throughput."""
        ok = self.requests - self.non_2xx - self.socket_errors
        return max(0, ok) / self.seconds if self.seconds else 0.0


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII text


def lua_script(*, host: str, headers: dict, method: str = "GET", paths: list[str], body: str | None = None,
               bodies: list[str] | None = None) -> str:
    """``bodies``: one of them, at random, per request (instead of the one ``body``); the ``done``
    hook then also prints how many responses had each status (``WRKSTATUS``)."""
    if bodies:
        return _lua_bodies_script(host=host, headers=headers, method=method, paths=paths, bodies=bodies)
    lines = [f"wrk.headers[{_lua_string('Host')}] = {_lua_string(host)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    lines.append(f"wrk.method = {_lua_string(method)}")
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    lines.append("local paths = {" + ", ".join(_lua_string(p) for p in paths) + "}")
    lines.append("request = function() return wrk.format(nil, paths[math.random(#paths)]) end")
    return "\n".join(lines) + "\n" + LUA_DONE


# Each wrk thread counts statuses in its own Lua state; ``done`` adds them up from the threads.
LUA_STATUSES = r"""
local threads = {}
setup = function(thread) table.insert(threads, thread) end
statuses = {}
response = function(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
local done_timing = done
done = function(summary, latency, requests)
  done_timing(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d": %d', status, n)) end
  io.write('WRKSTATUS {' .. table.concat(parts, ", ") .. '}\n')
end
"""


def _lua_bodies_script(*, host: str, headers: dict, method: str, paths: list[str], bodies: list[str]) -> str:
    lines = [f"wrk.headers[{_lua_string('Host')}] = {_lua_string(host)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    lines.append('wrk.headers["Content-Type"] = "application/json"')
    lines.append(f"wrk.method = {_lua_string(method)}")
    lines.append("local paths = {" + ", ".join(_lua_string(p) for p in paths) + "}")
    lines.append("local bodies = {" + ", ".join(_lua_string(b) for b in bodies) + "}")
    lines.append("request = function() return wrk.format(nil, paths[math.random(#paths)], nil, "
                 "bodies[math.random(#bodies)]) end")
    return "\n".join(lines) + "\n" + LUA_DONE + LUA_STATUSES


def statuses(output: str) -> dict[int, int]:
    """The ``WRKSTATUS`` line of a script made with ``bodies``: responses per HTTP status."""
    line = next((line for line in output.splitlines() if line.startswith("WRKSTATUS ")), None)
    return {int(k): v for k, v in json.loads(line.removeprefix("WRKSTATUS ")).items()} if line else {}


def available() -> bool:
    return shutil.which("wrk") is not None


def run(*, port: int, script: str, connections: int = 8, threads: int = 2, seconds: int = 15) -> tuple[LoadResult, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        done = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua.name,
             f"http://127.0.0.1:{port}/"],
            capture_output=True, text=True, check=True,
        )
    return parse(done.stdout), done.stdout


def parse(output: str) -> LoadResult:
    """Read the WRKJSON line our ``done`` hook prints (wrk's own summary has no p95)."""
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return LoadResult(
        requests=data["requests"], seconds=data["duration_us"] / 1e6, non_2xx=data["status"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        p50_ms=data["p50_us"] / 1000, p95_ms=data["p95_us"] / 1000, p99_ms=data["p99_us"] / 1000,
    )
