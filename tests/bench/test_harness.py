"""The benchmark harness's own arithmetic and reporting (the HTTP parts run only in bench/run.py)."""

import argparse

from bench import cpu, latency, loadgen, querycount, report
from bench.run import build_rows

WRK_OUTPUT = """Running 15s test @ http://127.0.0.1:8000/
  2 threads and 8 connections
Requests/sec:    300.00
WRKJSON {"requests": 4500, "duration_us": 15000000, "connect": 0, "read": 2, "write": 0, "status": 3, "timeout": 1, "p50_us": 20000, "p95_us": 41000, "p99_us": 60000, "max_us": 90000}
"""


def test_percentiles_use_the_nearest_rank():
    timings = latency.Timings()
    for ms in range(1, 101):
        timings.add(float(ms), 200)

    assert (timings.p50, timings.p95, timings.percentile(100)) == (50.0, 95.0, 100.0)
    assert timings.statuses == {200: 100}


def test_wrk_summary_counts_errors_out_of_the_throughput():
    result = loadgen.parse(WRK_OUTPUT)

    assert (result.requests, result.non_2xx, result.socket_errors) == (4500, 3, 3)
    assert result.rate == 300.0
    assert result.ok_rate == (4500 - 6) / 15
    assert (result.p50_ms, result.p95_ms) == (20.0, 41.0)


def test_lua_script_sends_host_token_and_json_body():
    script = loadgen.lua_script(host="acme.localhost", headers={"Authorization": "Token k\"ey"}, method="POST",
                                paths=["/api/v1/incidents/"], body='{"title": "VPN"}')

    assert 'wrk.headers["Host"] = "acme.localhost"' in script
    assert 'wrk.headers["Authorization"] = "Token k\\"ey"' in script
    assert 'wrk.method = "POST"' in script
    assert 'wrk.body = "{\\"title\\": \\"VPN\\"}"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script
    assert "done = function(summary, latency, requests)" in script


def test_query_counts_leave_out_search_path_statements():
    counted = querycount.Counted(200, ['SET search_path = "acme","public"', "SELECT 1", 'SET search_path = "acme"', "SELECT 2"])

    assert (counted.queries, counted.total) == (2, 4)


def test_cpu_use_counts_only_what_was_spent_between_snapshots():
    before = cpu.Snapshot(app={1: 1.0, 2: 5.0}, database={10: 2.0})
    after = cpu.Snapshot(app={1: 1.5, 2: 6.0, 3: 0.5}, database={10: 3.0, 11: 1.0})

    use = cpu.used(before, after)

    assert (use.app_seconds, use.database_seconds) == (2.0, 2.0)
    assert use.per_request_ms(100) == (20.0, 20.0)


def _verdicts(list_counts, detail_counts):
    args = argparse.Namespace(incidents=1_000_000, connections=8)
    queries = {f"list page_size={size}": querycount.Counted(200, ["SELECT"] * n) for size, n in zip((10, 50, 100), list_counts)}
    queries |= {f"detail {i}": querycount.Counted(200, ["SELECT"] * n) for i, n in enumerate(detail_counts)}
    queries |= {"create": querycount.Counted(201, ["INSERT"]), "queue page": querycount.Counted(200, ["SELECT"])}
    rows = build_rows(args, {"seconds": 40.0, "inserted": 1_000_000, "this_run": True}, {}, {}, queries, {})
    return {row.measure.split(" (")[0]: row.ok for row in rows}


def test_query_budgets_require_constant_list_counts_within_limits():
    assert _verdicts([4, 4, 4], [4, 4])["SQL queries per list request"] is True
    assert _verdicts([4, 5, 4], [4, 4])["SQL queries per list request"] is False
    assert _verdicts([11, 11, 11], [4, 4])["SQL queries per list request"] is False
    assert _verdicts([4, 4, 4], [16, 4])["SQL queries per detail request"] is False


def test_seeding_row_compares_against_two_minutes():
    verdicts = _verdicts([4, 4, 4], [4, 4])

    assert verdicts["Seeding 1,000,000 incidents"] is True


def test_markdown_table_marks_misses():
    text = report.table([report.Row("List p95", "<= 40 ms", "52.0 ms", False), report.Row("Detail p95", "—", "9 ms")])

    assert "| List p95 | <= 40 ms | 52.0 ms | **missed** |" in text
    assert "| Detail p95 | — | 9 ms | — |" in text


def test_worker_rss_is_read_from_proc_and_judged_against_the_target():
    import os

    from bench import cpu, run

    own = cpu.rss_mb(os.getpid())
    assert own is not None and 5 < own < 4096
    assert cpu.rss_mb(2**22 + 12345) is None  # no such process
    assert run.rss_text([140.4, 98.0]) == "Web worker RSS after the benchmark: 140 / 98 MB (target <= 150 MB: met)."
    assert run.rss_text([151.0]).endswith("(target <= 150 MB: missed).")
    assert "not measured" in run.rss_text([])
