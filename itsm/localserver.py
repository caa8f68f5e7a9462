"""Start-up and shut-down of a local server subprocess, shared by the browser tests and bench/."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(port: int, process: subprocess.Popen, *, host: str = "localhost", timeout: float = 30.0) -> None:
    """Poll /healthz until it answers 200 (database and Redis reachable); fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": host})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not become healthy within {timeout:.0f} s")


def stop(process: subprocess.Popen, *, timeout: float = 15.0) -> None:
    """Terminate, then kill if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
