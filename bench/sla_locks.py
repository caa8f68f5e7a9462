"""How many locks one SLA tick transaction holds, by tenants per transaction (``scanner.GROUP_TENANTS``).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/sla_locks.py [--groups 1 4 8 16 32]

On the seeded bench database (bench/sla_tick.py seeds it): for each group size G, one due clock in
each of G tenants (the 75% notify rule), one tick with ``group_tenants=G``; just before the group's
public writes, and again at its end, it counts the backend's rows in ``pg_locks`` (relation locks,
and how many of them took the per-backend fast path rather than the shared lock table). With
``--per-ticket`` the clocks are routed through the per-ticket path (``scanner._fire_per_ticket``)
instead of the set-based one. See bench/README.md, section "SLA scanner".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", nargs="+", type=int, default=[1, 4, 8, 16, 32])
    parser.add_argument("--per-ticket", action="store_true", help="Route the clocks through the per-ticket path.")
    args = parser.parse_args()
    from bench.sla_tick import placements, setup_django

    setup_django()
    from django.db import connection

    from bench import sla_seeding
    from sla import burst, scanner

    counts: list[dict] = []
    real_flush = burst.Writes.flush

    def count(stage: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(*) FILTER (WHERE fastpath), count(*) FILTER (WHERE locktype = "
                           "'relation') FROM pg_locks WHERE pid = pg_backend_pid()")
            total, fastpath, relations = cursor.fetchone()
        counts.append({"stage": stage, "locks": total, "fast path": fastpath, "relation": relations})

    def flush(self, now):
        count("before public writes")
        real_flush(self, now)
        count("after")

    burst.Writes.flush = flush
    if args.per_ticket:
        burst.due_rules = lambda clock, fired, now: [SimpleNamespace(action="reassign")]
    sla_seeding.reset_due()
    sla_seeding.rebase()
    print("| tenants per transaction | locks held at the end (shared table / fast path) | per tenant |")
    print("| --- | --- | --- |")
    for size in args.groups:
        chosen = placements("per-tenant", size, size)
        sla_seeding.make_due(chosen)
        counts.clear()
        taken = scanner.tick(group_tenants=size)
        sla_seeding.reset_due(vacuum=False)
        end = max(counts, key=lambda c: c["locks"])
        print(f"| {size} | {end['locks']} ({end['locks'] - end['fast path']} / {end['fast path']}) | "
              f"{end['locks'] / size:.1f} | (taken {taken})", flush=True)
    sla_seeding.reset_due()


if __name__ == "__main__":
    main()
