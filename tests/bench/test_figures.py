"""bench/figures.py: the figures block round-trips through bench/README.md and regressions are flagged."""

import pytest

from bench import figures
from bench.figures import Figure


def _figure(scenario="list", **values):
    return Figure(type="incidents", scenario=scenario, **values)


def test_a_block_reads_back_what_it_wrote():
    written = [_figure(rps=312.4, p50=3.1, p95=5.26, app_cpu=6.0, db_cpu=1.4, queries=3, load=0.41),
               Figure(type="problems", scenario="create", rps=205.0, queries=8)]
    text = "# Bench\n\nbefore\n" + figures.block(written, "Recorded 2026-12-04 on abc123.") + "\nafter\n"
    note, read = figures.parse(text)
    assert note == "Recorded 2026-12-04 on abc123."
    assert [f.key for f in read] == [("incidents", "list"), ("problems", "create")]
    assert read[0].rps == 312 and read[0].p95 == 5.3  # req/s without decimals, latency with one
    assert read[0].queries == 3 and read[0].load == 0.41
    assert read[1].p50 is None and read[1].db_cpu is None  # "—" cells read back as not measured
    assert "| met |" in text  # both meet their targets


def test_replace_block_keeps_the_text_around_it_and_refuses_a_file_without_one():
    text = "intro\n" + figures.block([_figure(rps=1.0)], "old") + "\noutro\n"
    replaced = figures.replace_block(text, figures.block([_figure(rps=2.0)], "new"))
    assert replaced.startswith("intro\n") and replaced.endswith("\noutro\n")
    assert figures.parse(replaced)[0] == "new"
    with pytest.raises(ValueError):
        figures.replace_block("no block here", "x")
    assert figures.parse("no block here") is None


def test_misses_name_each_target_missed_and_ignore_what_was_not_measured():
    assert _figure(rps=75, p95=30.0, queries=5).misses() == ["75 < 300 req/s", "p95 30.0 > 20 ms", "5 > 4 queries"]
    assert _figure(rps=None, p95=None, queries=None).misses() == []
    assert _figure("queue", rps=120, p95=40.0).misses() == []
    assert figures.target_text("create") == ">= 200 req/s, <= 12 queries"


def test_merge_replaces_measured_rows_and_keeps_the_other_types():
    old = [_figure(rps=1.0), Figure(type="problems", scenario="list", rps=2.0)]
    new = [_figure(rps=10.0), _figure("queue", rps=11.0)]
    merged = figures.merge(old, new, order=["incidents", "problems"])
    assert [(f.type, f.scenario, f.rps) for f in merged] == [
        ("incidents", "list", 10.0), ("incidents", "queue", 11.0), ("problems", "list", 2.0)]


def test_regressions_flag_worse_figures_beyond_the_noise_only():
    old = [_figure(rps=300.0, p95=10.0, app_cpu=5.0, queries=3, load=0.2)]
    within_noise = [_figure(rps=270.0, p95=10.9, app_cpu=5.2, queries=3, load=0.3)]
    assert figures.regressions(old, within_noise) == ([], 4)
    worse = [_figure(rps=200.0, p95=15.0, app_cpu=5.2, queries=4, load=1.5)]
    lines, compared = figures.regressions(old, worse)
    assert compared == 4
    assert lines == [
        "REGRESSION incidents list: 300 -> 200 req/s (-33%; load 1.50 now, 0.20 recorded)",
        "REGRESSION incidents list: p95 10.0 -> 15.0 ms (+50%; load 1.50 now, 0.20 recorded)",
        "REGRESSION incidents list: 3 -> 4 queries (+1)",
    ]
    assert figures.regressions(old, [Figure(type="problems", scenario="list", rps=1.0)]) == ([], 0)
