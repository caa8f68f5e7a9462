"""The results table (markdown), targets next to what was measured."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass


@dataclass
class Row:
    measure: str
    target: str
    measured: str
    ok: bool | None = None  # None: no target, or not measured

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "—"}[self.ok]


def table(rows: list[Row]) -> str:
    lines = ["| Measure | Target | Measured | Result |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.measure} | {r.target} | {r.measured} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout
    total = re.search(r"Mem:\s+(\S+)", memory)
    return {"cores (nproc)": os.cpu_count(), "cpu": cpu, "memory": total.group(1) if total else "unknown",
            "python": platform.python_version(), "kernel": platform.release()}


def ms(value: float) -> str:
    return f"{value:.1f} ms"
