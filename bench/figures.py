"""The figures bench/run.py guards: one row per ticket type x scenario, kept in bench/README.md.

The block between ``START`` and ``END`` in bench/README.md is a markdown table that this module
writes (``run.py --record``) and reads back. A run compares its figures with the block as last
committed (``git show HEAD:bench/README.md``; the working file when git cannot say) and prints
one ``REGRESSION`` line per figure that got worse beyond the noise thresholds in ``RULES``.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, fields
from pathlib import Path

START, END = "<!-- bench:figures:start -->", "<!-- bench:figures:end -->"
SCENARIOS = ("list", "detail", "create", "queue")

# Issue 9's targets (2 cores, 8 connections, 1,000,000 incidents), for every type.
TARGETS = {
    "list": {"rps": 300, "p95": 20, "queries": 4},
    "detail": {"rps": 250, "queries": 4},
    "create": {"rps": 200, "queries": 12},
    "queue": {"rps": 100, "p95": 60},
}


@dataclass
class Figure:
    type: str
    scenario: str
    rps: float | None = None  # wrk, successful responses per second
    p50: float | None = None  # sequential, ms
    p95: float | None = None
    app_cpu: float | None = None  # gunicorn workers, CPU ms per request under wrk
    db_cpu: float | None = None  # their PostgreSQL backends
    queries: int | None = None  # SQL queries per request (in-process)
    load: float | None = None  # 1-minute load average before the scenario's wrk run

    @property
    def key(self) -> tuple[str, str]:
        return self.type, self.scenario

    def misses(self) -> list[str]:
        """The targets this figure misses (figures not measured miss nothing)."""
        target = TARGETS.get(self.scenario, {})
        out = []
        if "rps" in target and self.rps is not None and self.rps < target["rps"]:
            out.append(f"{self.rps:.0f} < {target['rps']} req/s")
        if "p95" in target and self.p95 is not None and self.p95 > target["p95"]:
            out.append(f"p95 {self.p95:.1f} > {target['p95']} ms")
        if "queries" in target and self.queries is not None and self.queries > target["queries"]:
            out.append(f"{self.queries} > {target['queries']} queries")
        return out


def target_text(scenario: str) -> str:
    target = TARGETS.get(scenario, {})
    parts = []
    if "rps" in target:
        parts.append(f">= {target['rps']} req/s")
    if "p95" in target:
        parts.append(f"p95 <= {target['p95']} ms")
    if "queries" in target:
        parts.append(f"<= {target['queries']} queries")
    return ", ".join(parts) or "—"


# (header, attribute, decimals); the table's columns in order.
COLUMNS = [("type", "type", None), ("scenario", "scenario", None), ("req/s", "rps", 0),
           ("p50 ms", "p50", 1), ("p95 ms", "p95", 1), ("app CPU ms/req", "app_cpu", 1),
           ("DB CPU ms/req", "db_cpu", 1), ("queries", "queries", 0), ("load avg", "load", 2)]
_NUMERIC = {f.name for f in fields(Figure)} - {"type", "scenario"}


def _cell(value, decimals) -> str:
    if value is None:
        return "—"
    if decimals is None:
        return str(value)
    return f"{value:,.{decimals}f}"


def table(figures: list[Figure]) -> str:
    headers = [header for header, _, _ in COLUMNS] + ["target", "result"]
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    for figure in figures:
        cells = [_cell(getattr(figure, attr), decimals) for _, attr, decimals in COLUMNS]
        misses = figure.misses()
        cells += [target_text(figure.scenario), "missed: " + "; ".join(misses) if misses else "met"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def block(figures: list[Figure], note: str) -> str:
    return "\n".join([START, note, "", table(figures), END])


def _number(text: str):
    text = text.strip().replace(",", "")
    if text in ("", "—", "-"):
        return None
    try:
        return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
    except ValueError:
        return None


def parse(text: str) -> tuple[str, list[Figure]] | None:
    """The note and the figures of the block in ``text``; None when there is no block."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        return None
    inside = text[start + len(START):end].strip("\n").splitlines()
    rows = [line for line in inside if line.startswith("|")]
    note = "\n".join(line for line in inside if not line.startswith("|")).strip()
    if len(rows) < 2:
        return note, []
    headers = [cell.strip() for cell in rows[0].strip("|").split("|")]
    attributes = {header: attr for header, attr, _ in COLUMNS}
    figures = []
    for row in rows[2:]:
        cells = dict(zip(headers, (cell.strip() for cell in row.strip("|").split("|"))))
        values = {attributes[h]: cells[h] for h in headers if h in attributes}
        if not values.get("type") or not values.get("scenario"):
            continue
        figures.append(Figure(type=values["type"], scenario=values["scenario"],
                              **{attr: _number(value) for attr, value in values.items() if attr in _NUMERIC}))
    return note, figures


def replace_block(text: str, new_block: str) -> str:
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {START} ... {END} block")
    return text[:start] + new_block + text[end + len(END):]


def merge(old: list[Figure], new: list[Figure], order: list[str]) -> list[Figure]:
    """``new`` replaces the rows it has; rows of other types stay. Sorted by type order, then scenario."""
    by_key = {f.key: f for f in old} | {f.key: f for f in new}
    rank = {t: i for i, t in enumerate(order)}
    return sorted(by_key.values(), key=lambda f: (rank.get(f.type, len(rank)), f.type,
                                                  SCENARIOS.index(f.scenario) if f.scenario in SCENARIOS else 99))


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def describe(root: Path) -> str:
    """The code measured: the commit, ``-dirty`` when files differ from it."""
    return (_git(root, "describe", "--always", "--dirty") or "unknown").strip()


def baseline(root: Path, readme: Path) -> tuple[str, str, list[Figure]] | None:
    """(where from, the block's note, figures) of the last committed record, else of the working file."""
    relative = readme.relative_to(root).as_posix()
    committed = _git(root, "show", f"HEAD:{relative}")
    parsed = parse(committed) if committed else None
    if parsed and parsed[1]:
        # The commit that wrote this record (its note is unique: it holds the time), not merely the README's last.
        commit = ((parsed[0] and _git(root, "log", "-1", "--format=%h", f"-S{parsed[0]}", "HEAD", "--", relative))
                  or _git(root, "log", "-1", "--format=%h", "HEAD", "--", relative) or "HEAD").strip()
        return f"commit {commit}", *parsed
    if readme.exists():
        parsed = parse(readme.read_text())
        if parsed and parsed[1]:
            return f"the uncommitted {relative}", *parsed
    return None


@dataclass(frozen=True)
class Rule:
    attr: str
    label: str  # "" for throughput and queries, whose unit says what they are
    unit: str
    higher_is_worse: bool
    relative: float  # worse by more than this share of the recorded value ...
    absolute: float  # ... and by more than this much (noise on small figures)


RULES = (
    Rule("rps", "", "req/s", False, 0.15, 0.0),
    Rule("p95", "p95 ", "ms", True, 0.25, 1.0),
    Rule("app_cpu", "app CPU ", "ms/req", True, 0.15, 0.3),
    Rule("db_cpu", "DB CPU ", "ms/req", True, 0.15, 0.3),
    Rule("queries", "", "queries", True, 0.0, 0.0),
)


def _fmt(value, attr) -> str:
    decimals = next(d for _, a, d in COLUMNS if a == attr)
    return _cell(value, decimals)


def regressions(old: list[Figure], new: list[Figure]) -> tuple[list[str], int]:
    """One line per figure of ``new`` that is worse than in ``old``; and how many figures were compared."""
    recorded = {f.key: f for f in old}
    lines, compared = [], 0
    for figure in new:
        before = recorded.get(figure.key)
        if before is None:
            continue
        for rule in RULES:
            was, now = getattr(before, rule.attr), getattr(figure, rule.attr)
            if was is None or now is None:
                continue
            compared += 1
            change = (now - was) if rule.higher_is_worse else (was - now)
            if change <= rule.absolute or (was and change <= rule.relative * abs(was)):
                continue
            if rule.attr == "queries":
                delta = f"{now - was:+d}"
            else:
                delta = f"{(now - was) / was:+.0%}" if was else "new"
            load = ""
            if rule.attr != "queries" and (before.load is not None or figure.load is not None):
                load = f"; load {_cell(figure.load, 2)} now, {_cell(before.load, 2)} recorded"
            lines.append(f"REGRESSION {figure.type} {figure.scenario}: {rule.label}{_fmt(was, rule.attr)} -> "
                         f"{_fmt(now, rule.attr)} {rule.unit} ({delta}{load})")
    return lines, compared


def thresholds() -> str:
    parts = []
    for rule in RULES:
        if rule.attr == "queries":
            parts.append("queries: any increase")
        else:
            name = rule.label.strip() or rule.unit
            floor = f" and > {rule.absolute:g} {rule.unit}" if rule.absolute else ""
            parts.append(f"{name}: {rule.relative:.0%} worse{floor}")
    return "; ".join(parts)
