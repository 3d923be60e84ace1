"""The apps depend one way (README, "How the code is laid out"): import-linter checks the layers contract in
pyproject.toml — module-level and function-level imports alike — so a new cycle fails the suite, not only
`make check`."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_apps_import_only_the_layers_below_them():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout
