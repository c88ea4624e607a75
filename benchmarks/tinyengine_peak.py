"""Peak SRAM of TinyEngine's own memory scheduler for one model (run with TinyEngine's Python).

    PYTHON tinyengine_peak.py TINYENGINE_CHECKOUT MODEL.tflite layer|PATCHES

Drives the public API of a TinyEngine checkout (its TfliteConvertor,
PatchBasedUtil and GeneralMemoryScheduler, as its examples/vww.py and vww_patchbased.py do) and
prints one JSON line: {"layer": bytes} for layer-based inference, or for PATCHES x PATCHES tiles
the best over the split points TinyEngine accepts, {"patch": bytes, "split": index,
"splits": {index: bytes}}. TinyEngine needs numpy < 2, so benchmarks/memory.py runs this in the
interpreter given by --tinyengine-python.
"""
import contextlib
import io
import json
import logging
import os
import sys
import tempfile

MAX_SPLIT = 30  # layers TinyEngine may put before the end of its patch stage


def peak(checkout: str, model: str, patches: int | None, split: int | None) -> int:
    from code_generator.GeneralMemoryScheduler import GeneralMemoryScheduler
    from code_generator.InputResizer import PatchResizer
    from code_generator.PatchBasedUtil import getPatchParams
    from code_generator.TfliteConvertor import TfliteConvertor

    convertor = TfliteConvertor(model)
    convertor.parseOperatorInfo()
    layers = convertor.layer
    if patches:
        params = getPatchParams(layers, split, patches)
        PatchResizer(layers).patchResize(params["layer_cnt"], params["grain_rf"], params["grain_rf_height"])
    scheduler = GeneralMemoryScheduler(layers, False, False, outputTables=[], inplace=True,
                                       mem_visual_path="lifecycle.png", VisaulizeTrainable=False)
    scheduler.USE_INPLACE = True
    scheduler.allocateMemory()
    return int(scheduler.buffers["input_output"])


def main() -> None:
    checkout, model, mode = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    sys.path.insert(0, checkout)
    logging.disable(logging.WARNING)
    os.chdir(tempfile.mkdtemp(prefix="tinyengine-"))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        if mode == "layer":
            result = {"layer": peak(checkout, model, None, None)}
        else:
            splits = {}
            for split in range(1, MAX_SPLIT + 1):
                try:
                    splits[split] = peak(checkout, model, int(mode), split)
                except Exception:  # noqa: BLE001 -- TinyEngine refuses split points it cannot tile
                    continue
            best = min(splits, key=splits.get) if splits else None
            result = {"patch": splits.get(best), "split": best, "splits": splits}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
