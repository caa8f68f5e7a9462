"""Accessibility checks in the browser tests: axe-core run inside the page under test.

The script is evaluated through the DevTools protocol (Playwright's ``evaluate``), which the
product's strict Content-Security-Policy does not govern, so nothing is loosened for the check.
"""

from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# What a page under test must not have; "moderate" and "minor" findings are reported, not failed.
BLOCKING = ("critical", "serious")


def violations(page, *, impacts=BLOCKING) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA rules), of the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
    }""")
    return [v for v in result if v["impact"] in impacts]


def describe(found: list[dict]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']})\n" + "\n".join(
        f"    {n['target']}: {(n['summary'] or '').splitlines()[-1] if n['summary'] else ''}" for n in v["nodes"])
        for v in found)


def assert_accessible(page, what: str = "") -> None:
    found = violations(page)
    assert not found, f"axe-core found blocking accessibility violations{' on ' + what if what else ''}:\n{describe(found)}"
