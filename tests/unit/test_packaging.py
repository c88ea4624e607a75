"""`pip install .` must carry the templates, kernels and boards, not only an editable checkout."""
import subprocess
import sys
import zipfile
from helpers import REPO



def test_wheel_contains_templates_and_kernels(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(REPO)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("tinygen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    kernels = {f"tinygen/kernels/{p.parent.name}/{p.name}" for p in (REPO / "tinygen" / "kernels").glob("*/*.[ch]")}
    assert {"tinygen/templates/model.c.j2", "tinygen/templates/model.h.j2", "tinygen/templates/host/main.c.j2",
            "tinygen/memory/placement.py", "tinygen/cli/app.py"} <= names
    assert kernels and kernels <= names

