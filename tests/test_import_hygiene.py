"""The engine must stay importable without any UI (harlequin's import-hygiene test)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_loop_core_never_imports_streamlit_or_the_ui_package() -> None:
    modules = sorted(
        f"loop_core.{p.stem}" for p in (ROOT / "loop_core").glob("*.py") if p.stem != "__main__"
    )
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'ui'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert len(modules) > 5
    assert out.stdout.strip() == ""
