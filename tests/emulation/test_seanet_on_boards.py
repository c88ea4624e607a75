"""TFLite Micro's int16 SEANet integration-test models on the emulated Cortex-M4 and M7: the first
model of every op folder, bit-exact with TFLite Micro under QEMU."""
import json
import shutil
import subprocess
import sys

import pytest

from helpers import SEANET_OPS, seanet_models_or_skip

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None,
                                reason="arm-none-eabi-gcc and qemu-system-arm are needed")


@pytest.mark.parametrize("board", ["qemu_mps2_an386", "qemu_mps2_an500"])
@pytest.mark.parametrize("op", SEANET_OPS)
def test_seanet_model_is_bit_exact_on_the_board(op, board):
    model = seanet_models_or_skip(op)[0]
    result = subprocess.run([sys.executable, "-m", "tinygen", "validate", str(model), "--board", board,
                             "--samples", "3", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or result.stdout
    report = json.loads(result.stdout)
    assert report["samples"] == 3 and report["max_abs_diff"] == 0
