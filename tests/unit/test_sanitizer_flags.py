"""The sanitizer build's flags (tinygen.toolchain) still catch what the sanitizer tests are there
for: a read past an array and a signed overflow each end the run with the sanitizer's report."""
import shutil
import subprocess

import pytest

from tinygen.toolchain import SANITIZER_COMPILER, SANITIZER_FLAGS, runner_environment

PAST_THE_END = """
#include <stdlib.h>
int main(int argc, char **argv) {
  int *values = malloc(4 * sizeof(int));
  for (int i = 0; i < 4; ++i) values[i] = i;
  int sum = values[argc + 3]; /* argc is 1: values[4] */
  free(values);
  return sum == 12345;
}
"""

SIGNED_OVERFLOW = """
#include <limits.h>
int main(int argc, char **argv) {
  int x = INT_MAX - 1 + argc; /* INT_MAX */
  return x + argc < 0;
}
"""


@pytest.mark.parametrize("source, report", [(PAST_THE_END, "heap-buffer-overflow"),
                                            (SIGNED_OVERFLOW, "signed integer overflow")])
def test_the_sanitizer_build_reports_the_first_error(source, report, tmp_path):
    if shutil.which(SANITIZER_COMPILER) is None:
        pytest.skip(f"no {SANITIZER_COMPILER} on PATH")
    (tmp_path / "bad.c").write_text(source)
    subprocess.run([SANITIZER_COMPILER, *SANITIZER_FLAGS, "bad.c", "-o", "bad"], cwd=tmp_path, check=True)
    run = subprocess.run([str(tmp_path / "bad")], capture_output=True, text=True, env=runner_environment())
    assert run.returncode != 0
    assert report in run.stderr
