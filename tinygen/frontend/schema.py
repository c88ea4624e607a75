"""What tinygen needs of the TFLite flatbuffer schema: field indices, enums and option tables.

Option tables are described as (name, struct format, default) in field order, so reading an
op's options is a loop over its description rather than hand-written accessors.
"""

# Field indices of the tables we read.
MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS, MODEL_BUFFERS = 1, 2, 4
OPCODE_DEPRECATED_BUILTIN, OPCODE_CUSTOM, OPCODE_BUILTIN = 0, 1, 3
SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS, SUBGRAPH_OPERATORS, SUBGRAPH_NAME = 0, 1, 2, 3, 4
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME, TENSOR_QUANT = 0, 1, 2, 3, 4
TENSOR_IS_VARIABLE, TENSOR_SPARSITY, TENSOR_SHAPE_SIGNATURE = 5, 6, 7
QUANT_SCALE, QUANT_ZERO_POINT, QUANT_AXIS = 2, 3, 6
OPERATOR_OPCODE, OPERATOR_INPUTS, OPERATOR_OUTPUTS, OPERATOR_OPTIONS = 0, 1, 2, 4
BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE = 0, 1, 2

# TensorType -> numpy dtype name (None: not representable here).
TENSOR_TYPES = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: None, 6: "bool",
    7: "int16", 8: None, 9: "int8", 10: "float64", 11: None, 12: "uint64", 13: None,
    14: None, 15: "uint32", 16: "uint16", 17: None,
}

PADDING = {0: "SAME", 1: "VALID"}
ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}

BUILTIN_OPS = [
    'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D',
    'DEPTHWISE_CONV_2D', 'DEPTH_TO_SPACE', 'DEQUANTIZE', 'EMBEDDING_LOOKUP',
    'FLOOR', 'FULLY_CONNECTED', 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION',
    'L2_POOL_2D', 'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC', 'LSH_PROJECTION',
    'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU',
    'RELU_N1_TO_1', 'RELU6', 'RESHAPE', 'RESIZE_BILINEAR',
    'RNN', 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF',
    'TANH', 'CONCAT_EMBEDDINGS', 'SKIP_GRAM', 'CALL',
    'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD', 'UNIDIRECTIONAL_SEQUENCE_RNN',
    'GATHER', 'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE',
    'MEAN', 'SUB', 'DIV', 'SQUEEZE',
    'UNIDIRECTIONAL_SEQUENCE_LSTM', 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP',
    'TOPK_V2', 'SPLIT', 'LOG_SOFTMAX', 'DELEGATE',
    'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU', 'MAXIMUM',
    'ARG_MAX', 'MINIMUM', 'LESS', 'NEG',
    'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL',
    'SELECT', 'SLICE', 'SIN', 'TRANSPOSE_CONV',
    'SPARSE_TO_DENSE', 'TILE', 'EXPAND_DIMS', 'EQUAL',
    'NOT_EQUAL', 'LOG', 'SUM', 'SQRT',
    'RSQRT', 'SHAPE', 'POW', 'ARG_MIN',
    'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK',
    'LOGICAL_OR', 'ONE_HOT', 'LOGICAL_AND', 'LOGICAL_NOT',
    'UNPACK', 'REDUCE_MIN', 'FLOOR_DIV', 'REDUCE_ANY',
    'SQUARE', 'ZEROS_LIKE', 'FILL', 'FLOOR_MOD',
    'RANGE', 'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE',
    'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE',
    'CEIL', 'REVERSE_V2', 'ADD_N', 'GATHER_ND',
    'COS', 'WHERE', 'RANK', 'ELU',
    'REVERSE_SEQUENCE', 'MATRIX_DIAG', 'QUANTIZE', 'MATRIX_SET_DIAG',
    'ROUND', 'HARD_SWISH', 'IF', 'WHILE',
    'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5', 'SCATTER_ND', 'SELECT_V2',
    'DENSIFY', 'SEGMENT_SUM', 'BATCH_MATMUL', 'PLACEHOLDER_FOR_GREATER_OP_CODES',
    'CUMSUM', 'CALL_ONCE', 'BROADCAST_TO', 'RFFT2D',
    'CONV_3D', 'BUILTIN_133', 'BUILTIN_134', 'BUILTIN_135',
    'HASHTABLE', 'HASHTABLE_FIND', 'HASHTABLE_IMPORT', 'HASHTABLE_SIZE',
    'REDUCE_ALL', 'CONV_3D_TRANSPOSE', 'VAR_HANDLE', 'READ_VARIABLE',
    'ASSIGN_VARIABLE', 'BROADCAST_ARGS', 'RANDOM_STANDARD_NORMAL', 'BUCKETIZE',
    'RANDOM_UNIFORM', 'MULTINOMIAL', 'GELU', 'DYNAMIC_UPDATE_SLICE',
    'RELU_0_TO_1', 'UNSORTED_SEGMENT_PROD', 'UNSORTED_SEGMENT_MAX', 'UNSORTED_SEGMENT_SUM',
    'ATAN2', 'UNSORTED_SEGMENT_MIN', 'SIGN', 'BITCAST',
    'BITWISE_XOR',
]

_ACT = ("activation", "b", 0)
_POOL = [("padding", "b", 0), ("stride_w", "i", 1), ("stride_h", "i", 1),
         ("filter_width", "i", 1), ("filter_height", "i", 1), _ACT]

# op -> option table fields in schema order. Array fields use format "[i".
OPTIONS = {
    "CONV_2D": [("padding", "b", 0), ("stride_w", "i", 1), ("stride_h", "i", 1), _ACT,
                ("dilation_w", "i", 1), ("dilation_h", "i", 1)],
    "DEPTHWISE_CONV_2D": [("padding", "b", 0), ("stride_w", "i", 1), ("stride_h", "i", 1),
                          ("depth_multiplier", "i", 1), _ACT,
                          ("dilation_w", "i", 1), ("dilation_h", "i", 1)],
    "AVERAGE_POOL_2D": _POOL,
    "MAX_POOL_2D": _POOL,
    "FULLY_CONNECTED": [_ACT, ("weights_format", "b", 0), ("keep_num_dims", "?", False)],
    "SOFTMAX": [("beta", "f", 1.0)],
    "CONCATENATION": [("axis", "i", 0), _ACT],
    "ADD": [_ACT],
    "SUB": [_ACT],
    "MUL": [_ACT],
    "RESHAPE": [("new_shape", "[i", None)],
    "MEAN": [("keep_dims", "?", False)],
    "SUM": [("keep_dims", "?", False)],
    "REDUCE_MAX": [("keep_dims", "?", False)],
    "SQUEEZE": [("squeeze_dims", "[i", None)],
    "STRIDED_SLICE": [("begin_mask", "i", 0), ("end_mask", "i", 0), ("ellipsis_mask", "i", 0),
                      ("new_axis_mask", "i", 0), ("shrink_axis_mask", "i", 0), ("offset", "?", False)],
    "LEAKY_RELU": [("alpha", "f", 0.0)],
    "RESIZE_NEAREST_NEIGHBOR": [("align_corners", "?", False), ("half_pixel_centers", "?", False)],
    "PACK": [("values_count", "i", 0), ("axis", "i", 0)],
    "GATHER": [("axis", "i", 0), ("batch_dims", "i", 0)],
    "UNPACK": [("num", "i", 0), ("axis", "i", 0)],
    "MIRROR_PAD": [("mode", "b", 0)],  # 0 REFLECT, 1 SYMMETRIC
    "RESIZE_BILINEAR": [("new_height", "i", 0), ("new_width", "i", 0), ("align_corners", "?", False),
                        ("half_pixel_centers", "?", False)],
    "TRANSPOSE_CONV": [("padding", "b", 0), ("stride_w", "i", 0), ("stride_h", "i", 0), _ACT,
                       ("quantized_bias_type", "b", 0)],
    "BATCH_MATMUL": [("adj_x", "?", False), ("adj_y", "?", False), ("asymmetric_quantize_inputs", "?", False)],
    "L2_NORMALIZATION": [_ACT],
}
