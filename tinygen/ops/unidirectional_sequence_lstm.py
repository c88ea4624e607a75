"""UNIDIRECTIONAL_SEQUENCE_LSTM: int8 weights, an int16 cell state, and an int8 input and hidden
state with int32 biases or an int16 input and hidden state with int64 biases (TFLM's 8x8 and
16x8 LSTMs), the hidden and cell states variable tensors kept across invokes; time major or not.

Inputs as TFLite numbers them: 0 input; 1-4 input-to-{input, forget, cell, output} weights;
5-8 recurrent-to-{...} weights; 9-11 peephole weights; 12-15 {input, forget, cell, output} gate
biases; 16-17 projection weights and bias; 18 hidden (output) state; 19 cell state; 20-23 layer
norm coefficients. TFLite Micro's kernel requires 1-8 and 12-15 and refuses peephole,
projection and layer norm, so tinygen does too (there is no reference to be exact with).
"""
from __future__ import annotations

import math

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import ACTIVATION, Call, Record, Scratch, define
from tinygen.ops.quantize import per_tensor
from tinygen.quant import quantize_multiplier

GATE_PARAMS = Record("tg_lstm_gate_params", """
    int32_t input_multiplier, input_shift, recurrent_multiplier, recurrent_shift;
    const int8_t *input_weights;
    const int8_t *recurrent_weights;
    const void *bias;
""")

LSTM_PARAMS = Record("tg_lstm_params", """
    int32_t batches, steps, input_size, state_size, time_major, input_offset, hidden_offset,
        forget_multiplier, forget_shift, update_multiplier, update_shift,
        hidden_multiplier, hidden_shift, hidden_zero_point, clip_cell, cell_clip,
        cell_tanh_multiplier, cell_tanh_shift;
    const tg_lstm_gate_params *forget;
    const tg_lstm_gate_params *input;
    const tg_lstm_gate_params *cell;
    const tg_lstm_gate_params *output;
    int16_t *scratch;
""")

INPUT, HIDDEN_STATE, CELL_STATE = 0, 18, 19
GATES = ("input", "forget", "cell", "output")  # TFLite's order of the weights and biases
INPUT_WEIGHTS, RECURRENT_WEIGHTS, BIASES = 1, 5, 12
UNSUPPORTED = {range(9, 12): "peephole weights", range(16, 18): "a projection",
               range(20, 24): "layer normalization"}
# input/hidden/output type -> the biases' type and the kernel
ACTIVATIONS = {"int8": ("int32", "tg_unidirectional_sequence_lstm_s8"),
               "int16": ("int64", "tg_unidirectional_sequence_lstm_s16")}
GATE_SCALE = float(np.float32(2.0 ** -12))  # the gates' pre-activations: Q3.12
ACTIVATED_SCALE = float(np.float32(2.0 ** -15))  # sigmoid and tanh outputs: Q0.15


def _output_shape(op: Op):
    x, hidden = op.inputs[INPUT], op.inputs[HIDDEN_STATE]
    if x is None or hidden is None or len(x.shape) != 3 or len(hidden.shape) != 2:
        return None
    return x.shape[0], x.shape[1], hidden.shape[1]


def _check_types(op: Op) -> None:
    x, hidden, cell, out = op.inputs[INPUT], op.inputs[HIDDEN_STATE], op.inputs[CELL_STATE], op.outputs[0]
    weights = [op.inputs[i] for i in range(INPUT_WEIGHTS, RECURRENT_WEIGHTS + 4)]
    if x.dtype == "float32" or any(w is not None and w.dtype == "float32" for w in weights):
        raise TinygenError(f"{op.describe()}: float LSTM is not supported (tinygen compiles the int8 LSTM)")
    if any(w is None for w in weights):
        raise TinygenError(f"{op.describe()}: an LSTM without input gate weights (CIFG) is not supported: TFLite "
                           "Micro's kernel needs all eight weight matrices")
    types = (x.dtype, hidden.dtype if hidden else None, cell.dtype if cell else None, out.dtype,
             "/".join(sorted({w.dtype for w in weights})))
    if types[0] not in ACTIVATIONS or types != (x.dtype, x.dtype, "int16", x.dtype, "int8"):
        raise TinygenError(f"{op.describe()}: input {x.dtype}, hidden state {types[1]}, cell state {types[2]}, "
                           f"output {out.dtype}, weights {types[4]} is not supported (supported: int8 or int16 "
                           "input, hidden state and output, int8 weights, an int16 cell state)")
    bias_dtype = ACTIVATIONS[x.dtype][0]
    for i in range(BIASES, BIASES + 4):
        bias = op.inputs[i]
        if bias is None or bias.dtype != bias_dtype or not bias.is_const:
            raise TinygenError(f"{op.describe()}: gate bias {i} must be a constant {bias_dtype} tensor with "
                               f"{x.dtype} activations")
    for t in (hidden, cell):
        if not t.is_variable:
            raise TinygenError(f"{op.describe()}: the state {t.describe()} must be a variable tensor")


def _check(op: Op) -> None:
    if len(op.inputs) != 24:
        raise TinygenError(f"{op.describe()}: takes 24 inputs (TFLite Micro's integer LSTM), not {len(op.inputs)}")
    for positions, what in UNSUPPORTED.items():
        if any(op.inputs[i] is not None for i in positions):
            raise TinygenError(f"{op.describe()}: an LSTM with {what} is not supported (TFLite Micro's LSTM "
                               "kernel refuses it too)")
    _check_types(op)
    for t in [op.inputs[i] for i in (INPUT, HIDDEN_STATE, CELL_STATE)] + [op.outputs[0]] + _weights(op):
        per_tensor(op, t)
    if any(w.quant.zp != 0 for w in _weights(op)):
        raise TinygenError(f"{op.describe()}: the weights must be quantized symmetrically (zero point 0)")
    if op.inputs[CELL_STATE].quant.zp != 0:
        raise TinygenError(f"{op.describe()}: the int16 cell state must have zero point 0")
    if op.options.get("activation") != "TANH":
        raise TinygenError(f"{op.describe()}: cell activation {op.options.get('activation')} is not supported "
                           "(TFLite Micro's integer LSTM computes the cell gate with TANH)")
    if op.options.get("asymmetric_quantize_inputs"):
        raise TinygenError(f"{op.describe()}: hybrid LSTM (asymmetric_quantize_inputs) is not supported")
    _check_shapes(op)


def _weights(op: Op) -> list[Tensor]:
    return [op.inputs[i] for i in range(INPUT_WEIGHTS, RECURRENT_WEIGHTS + 4)]


def _check_shapes(op: Op) -> None:
    x, hidden, cell, out = op.inputs[INPUT], op.inputs[HIDDEN_STATE], op.inputs[CELL_STATE], op.outputs[0]
    if len(x.shape) != 3:
        raise TinygenError(f"{op.describe()}: the input must be 3-D (batch, time, features), not {list(x.shape)}")
    batches, steps = _batches_and_steps(op)
    state = hidden.shape[-1]
    expected = {**{i: (state, x.shape[2]) for i in range(INPUT_WEIGHTS, INPUT_WEIGHTS + 4)},
                **{i: (state, state) for i in range(RECURRENT_WEIGHTS, RECURRENT_WEIGHTS + 4)},
                **{i: (state,) for i in range(BIASES, BIASES + 4)}}
    for i, shape in expected.items():
        if tuple(op.inputs[i].shape) != shape:
            raise TinygenError(f"{op.describe()}: input {i} {op.inputs[i].describe()} has shape "
                               f"{list(op.inputs[i].shape)}, expected {list(shape)}")
    if hidden.size != batches * state or cell.size != batches * state or tuple(out.shape) != (*x.shape[:2], state):
        raise TinygenError(f"{op.describe()}: hidden state {list(hidden.shape)}, cell state {list(cell.shape)} or "
                           f"output {list(out.shape)} do not match {batches} batches of {state} units")


def _batches_and_steps(op: Op) -> tuple[int, int]:
    first, second = op.inputs[INPUT].shape[:2]
    return (second, first) if op.options.get("time_major") else (first, second)


def _multiplier(*scales: float, over: float) -> tuple[int, int]:
    """QuantizeMultiplier of the product of the scales over `over`, in double as TFLM's Prepare."""
    return quantize_multiplier(math.prod(float(s) for s in scales) / float(over))


def _log2_rounded(scale: float) -> int:
    """TFLM's CheckedLog2: the nearest power of two (it does not refuse any other scale)."""
    return int(round(math.log(float(scale)) * (1.0 / math.log(2.0))))


def _cell_tanh(cell_scale: float) -> tuple[int, int]:
    """(multiplier, right shift) that put a cell state of scale 2^power on the tanh table's grid,
    (x * multiplier + rounding) >> shift, as TFLM's LSTM calls its int16 tanh."""
    left_shift = 15 + _log2_rounded(cell_scale) - 3
    return (3, -left_shift) if left_shift < 0 else (3 << left_shift, 0)


def _quantized_clip(cell_clip: float, cell_scale: float) -> int:
    """The clip in cell state units, truncated to int16 as TFLM does."""
    return int(min(max(float(np.float32(cell_clip)) / float(cell_scale), -32768.0), 32767.0))


def _gate(op: Op, gate: int):
    x, hidden = op.inputs[INPUT], op.inputs[HIDDEN_STATE]
    w, rw = op.inputs[INPUT_WEIGHTS + gate], op.inputs[RECURRENT_WEIGHTS + gate]
    input_multiplier, input_shift = _multiplier(x.quant.s, w.quant.s, over=GATE_SCALE)
    recurrent_multiplier, recurrent_shift = _multiplier(hidden.quant.s, rw.quant.s, over=GATE_SCALE)
    return GATE_PARAMS({"input_multiplier": input_multiplier, "input_shift": input_shift,
                        "recurrent_multiplier": recurrent_multiplier, "recurrent_shift": recurrent_shift,
                        "input_weights": w, "recurrent_weights": rw, "bias": op.inputs[BIASES + gate]})


@define("UNIDIRECTIONAL_SEQUENCE_LSTM",
        options=(ACTIVATION, ("cell_clip", "f", 0.0), ("proj_clip", "f", 0.0),
                 ("time_major", "?", False), ("asymmetric_quantize_inputs", "?", False),
                 ("diagonal_recurrent_tensors", "?", False)),
        output_shape=_output_shape, state_inputs=(HIDDEN_STATE, CELL_STATE))
def lower_unidirectional_sequence_lstm(op: Op) -> Call:
    _check(op)
    x, hidden, cell, out = op.inputs[INPUT], op.inputs[HIDDEN_STATE], op.inputs[CELL_STATE], op.outputs[0]
    batches, steps = _batches_and_steps(op)
    state, time_major = hidden.shape[-1], bool(op.options.get("time_major"))
    rows = batches if time_major else 1
    forget_multiplier, forget_shift = _multiplier(ACTIVATED_SCALE, cell.quant.s, over=cell.quant.s)
    update_multiplier, update_shift = _multiplier(ACTIVATED_SCALE, ACTIVATED_SCALE, over=cell.quant.s)
    hidden_multiplier, hidden_shift = _multiplier(ACTIVATED_SCALE, ACTIVATED_SCALE, over=hidden.quant.s)
    cell_clip = float(op.options.get("cell_clip", 0.0))
    tanh_multiplier, tanh_shift = _cell_tanh(cell.quant.s)
    gates = {name: _gate(op, i) for i, name in enumerate(GATES)}
    params = LSTM_PARAMS({
        "batches": batches, "steps": steps, "input_size": x.shape[2], "state_size": state,
        "time_major": int(time_major), "input_offset": -x.quant.zp, "hidden_offset": -hidden.quant.zp,
        "forget_multiplier": forget_multiplier, "forget_shift": forget_shift,
        "update_multiplier": update_multiplier, "update_shift": update_shift,
        "hidden_multiplier": hidden_multiplier, "hidden_shift": hidden_shift, "hidden_zero_point": hidden.quant.zp,
        "clip_cell": int(cell_clip > 0), "cell_clip": _quantized_clip(cell_clip, cell.quant.s) if cell_clip > 0 else 0,
        "cell_tanh_multiplier": tanh_multiplier, "cell_tanh_shift": tanh_shift,
        **gates, "scratch": Scratch(4 * rows * state * 2),
    })
    macs = batches * steps * 4 * state * (x.shape[2] + state)
    return Call("unidirectional_sequence_lstm", ACTIVATIONS[x.dtype][1], [params, x, hidden, cell, out], macs=macs)
