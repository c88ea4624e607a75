"""What a model holds, layer by layer: shapes, MACs, parameters, activation bytes, support."""
from __future__ import annotations

from pathlib import Path

from tinygen.errors import TinygenError
from tinygen.frontend import load_model
from tinygen.ops import Call, lower
from tinygen.passes import run_passes


def _shape(t) -> list[int]:
    return list(t.shape)


def inspect_model(path: str | Path) -> dict:
    graph = load_model(path)
    try:
        run_passes(graph)
    except TinygenError as e:
        raise TinygenError(f"{path}: {e}") from None
    layers = []
    for op in graph.ops:
        try:
            lowered = lower(op)
            macs, problem = (lowered.macs if isinstance(lowered, Call) else 0), None
        except TinygenError as e:
            macs, problem = 0, str(e)
        consts = [t for t in op.inputs if t is not None and t.is_const]
        activations = [t for t in op.inputs + op.outputs if t is not None and not t.is_const]
        layers.append({
            "index": op.index, "op": op.kind, "output": op.outputs[0].name if op.outputs else "",
            "inputs": [_shape(t) for t in op.inputs if t is not None and not t.is_const],
            "output_shape": _shape(op.outputs[0]) if op.outputs else [],
            "macs": macs, "parameters": sum(t.size for t in consts),
            "parameter_bytes": sum(t.nbytes for t in consts),
            "activation_bytes": sum(t.nbytes for t in activations),
            "supported": problem is None, **({"problem": problem} if problem else {}),
        })
    io = lambda ts: [{"name": t.name, "shape": _shape(t), "dtype": t.dtype,  # noqa: E731
                      "scale": float(t.quant.s) if t.quant else None,
                      "zero_point": t.quant.zp if t.quant else None} for t in ts]
    return {
        "model": str(path), "inputs": io(graph.inputs), "outputs": io(graph.outputs), "layers": layers,
        "total_macs": sum(layer["macs"] for layer in layers),
        "total_parameters": sum(layer["parameters"] for layer in layers),
        "total_parameter_bytes": sum(layer["parameter_bytes"] for layer in layers),
        "largest_layer_activation_bytes": max((layer["activation_bytes"] for layer in layers), default=0),
        "supported": all(layer["supported"] for layer in layers),
    }
