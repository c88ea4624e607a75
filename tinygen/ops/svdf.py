"""SVDF: int8 input, feature weights and output, int32 bias, and an int16 (or int8) state with
time weights of the same type, the state a variable tensor kept across invokes.

Inputs: 0 input [batches, input_size], 1 weights_feature [filters, input_size], 2 weights_time
[filters, memory], 3 bias [units] (units = filters / rank), 4 activation state [batches,
filters * memory] (variable).
"""
from __future__ import annotations


from tinygen.errors import TinygenError
from tinygen.ir import Op, Tensor
from tinygen.ops import ACTIVATION, Call, Record, define
from tinygen.ops.quantize import per_tensor
from tinygen.quant import quantize_multiplier, require_int8

SVDF_PARAMS = Record("tg_svdf_params", """
    int32_t batches, input_size, filters, units, rank, memory, input_offset, state_zero_point,
        feature_multiplier, feature_shift, output_multiplier, output_shift, output_offset;
    const int8_t *weights_feature;
    const void *weights_time;
    const int32_t *bias;
""")

INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, BIAS, STATE = range(5)
STATE_TYPES = ("int16", "int8")


def _ratio(a, b, c) -> float:
    """a * b / c of float32 scales, in double: TFLM's Prepare writes the expression on floats, but
    TFLite Micro as built (the oracle) rounds it as a double, which decides the multiplier's last
    bit (a float32 quotient of exactly 0.25 gave outputs 1 LSB off in tests/ops/test_svdf.py)."""
    return float(a) * float(b) / float(c)


def _output_shape(op: Op):
    x, weights_feature = op.inputs[INPUT], op.inputs[WEIGHTS_FEATURE]
    rank = op.options.get("rank") or 1
    return x.shape[0], weights_feature.shape[0] // rank


def _check(op: Op) -> tuple[Tensor, ...]:
    if len(op.inputs) != 5:
        raise TinygenError(f"{op.describe()}: SVDF takes 5 inputs (input, feature and time weights, bias, state), "
                           f"not {len(op.inputs)}")
    x, wf, wt, bias, state = op.inputs
    out = op.outputs[0]
    if x is None or x.dtype == "float32" or (wf is not None and wf.dtype == "float32"):
        raise TinygenError(f"{op.describe()}: float SVDF is not supported (tinygen compiles the int8 SVDF)")
    require_int8(op, x, wf, out)
    if wt is None or wt.dtype not in STATE_TYPES or state is None or state.dtype != wt.dtype:
        raise TinygenError(f"{op.describe()}: the time weights and the state must both be int16 or both int8 "
                           f"(got {wt and wt.dtype} and {state and state.dtype})")
    if not state.is_variable:
        raise TinygenError(f"{op.describe()}: the activation state {state.describe()} must be a variable tensor")
    if not (wf.is_const and wt.is_const):
        raise TinygenError(f"{op.describe()}: the feature and time weights must be constant")
    if bias is None:
        raise TinygenError(f"{op.describe()}: SVDF without a bias is not supported (TFLite Micro's int8 SVDF "
                           "reads the bias scale)")
    if bias.dtype != "int32" or not bias.is_const:
        raise TinygenError(f"{op.describe()}: the bias must be a constant int32 tensor (got {bias.dtype})")
    for t in (x, wf, wt, state, out):
        per_tensor(op, t)
    if op.options.get("asymmetric_quantize_inputs"):
        raise TinygenError(f"{op.describe()}: hybrid SVDF (asymmetric_quantize_inputs) is not supported")
    rank = op.options.get("rank", 0)
    filters, input_size = wf.shape if len(wf.shape) == 2 else (0, 0)
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or input_size != x.shape[1]:
        raise TinygenError(f"{op.describe()}: input {list(x.shape)} and feature weights {list(wf.shape)} must be "
                           "[batches, input_size] and [filters, input_size]")
    if rank < 1 or filters % rank:
        raise TinygenError(f"{op.describe()}: rank {rank} must divide the {filters} filters")
    memory = wt.shape[1]
    if wt.shape[0] != filters or bias.shape != (filters // rank,) or state.size != x.shape[0] * filters * memory:
        raise TinygenError(f"{op.describe()}: time weights {list(wt.shape)}, bias {list(bias.shape)} or state "
                           f"{list(state.shape)} do not match {filters} filters of memory {memory}, rank {rank}")
    return x, wf, wt, bias, state, out


@define("SVDF", options=(("rank", "i", 0), ACTIVATION, ("asymmetric_quantize_inputs", "?", False)),
        output_shape=_output_shape, state_inputs=(STATE,))
def lower_svdf(op: Op) -> Call:
    x, wf, wt, bias, state, out = _check(op)
    batches, input_size = x.shape
    filters, memory, rank = wf.shape[0], wt.shape[1], op.options["rank"]
    feature_multiplier, feature_shift = quantize_multiplier(_ratio(x.quant.s, wf.quant.s, state.quant.s))
    output_multiplier, output_shift = quantize_multiplier(_ratio(state.quant.s, wt.quant.s, out.quant.s))
    params = SVDF_PARAMS({
        "batches": batches, "input_size": input_size, "filters": filters, "units": filters // rank, "rank": rank,
        "memory": memory, "input_offset": -x.quant.zp, "state_zero_point": state.quant.zp,
        "feature_multiplier": feature_multiplier, "feature_shift": feature_shift,
        "output_multiplier": output_multiplier, "output_shift": output_shift, "output_offset": out.quant.zp,
        "weights_feature": wf, "weights_time": wt, "bias": bias,
    })
    function = "tg_svdf_s8_s16" if state.dtype == "int16" else "tg_svdf_s8_s8"
    macs = batches * filters * (input_size + memory)
    return Call("svdf", function, [params, x, state, out], macs=macs)
