"""`pip install .` must carry the templates, kernels and boards, not only an editable checkout."""
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_contains_templates_and_kernels(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(REPO)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("tinygen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    kernels = {f"tinygen/templates/kernels/{p.name}" for p in (REPO / "templates" / "kernels").iterdir()
               if p.suffix in (".c", ".h")}
    assert {"tinygen/templates/model.c.j2", "tinygen/templates/model.h.j2", "tinygen/templates/host/main.c.j2",
            "memory_planner/placement.py", "tinygen/cli.py"} <= names
    assert kernels and kernels <= names
