"""The floors hold: import-linter's contracts (pyproject.toml, [tool.importlinter]) pass on the tree,
and a deliberate upward import or a process app importing another breaks them, naming both modules."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    # From the tree's root, which lint-imports puts first on sys.path: a copy is analysed, not the installed tree.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def copy_of_the_tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.html",
                                                                                          "static", "results"))
    return tmp_path


def test_the_floors_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_every_app_of_ours_is_on_a_floor():
    """A new app left out of the contracts would be free to import anything."""
    layered = {module.strip() for layer in CONFIG["contracts"][0]["layers"]
               for module in layer.replace("|", ":").split(":")}
    ours = {config.name.split(".")[0] for config in apps.get_app_configs()
            if Path(config.path).is_relative_to(ROOT) and not Path(config.path).relative_to(ROOT).parts[0].startswith(".")}
    assert {"core", "tickets", "incidents", "demo"} <= ours
    assert ours - layered == set()
    assert set(CONFIG["root_packages"]) == layered


@pytest.mark.parametrize(("module", "line", "message", "chain"), [
    ("tickets/models.py", "import sla", "tickets is not allowed to import sla", "tickets.models -> sla"),
    ("core/forms.py", "from tickets import services", "core is not allowed to import tickets",
     "core.forms -> tickets.services"),
    ("tenants/services.py", "from demo import data", "tenants is not allowed to import demo",
     "tenants.services -> demo.data"),
    ("accounts/services.py", "import bench.run", "accounts is not allowed to import bench",
     "accounts.services -> bench.run"),
], ids=["tickets-imports-sla", "core-imports-tickets", "tenants-imports-demo", "product-imports-bench"])
def test_an_upward_import_breaks_the_floors(tmp_path, module, line, message, chain):
    tree = copy_of_the_tree(tmp_path)
    with open(tree / module, "a") as source:
        source.write(f"\n{line}  # deliberate: points up\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "Floors: no import points up BROKEN" in result.stdout
    assert message in result.stdout
    assert chain in result.stdout


def test_a_process_app_importing_another_breaks_their_independence(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    with open(tree / "incidents/services.py", "a") as source:
        source.write("\nfrom problems import models as problem_models  # deliberate: a process importing another\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "Process apps do not import each other BROKEN" in result.stdout
    assert "incidents is not allowed to import problems" in result.stdout
    assert "incidents.services -> problems.models" in result.stdout
    assert "Floors: no import points up KEPT" in result.stdout
