/* Reference UNIDIRECTIONAL_SEQUENCE_LSTM with an int16 cell state: int8 x int8, and int16 x int8.
 *
 * The sigmoid and tanh of an int16 value interpolate linearly in one table of sigmoid over
 * [0, 255/24] in unsigned Q0.16 (tanh(x) = 2 sigmoid(2x) - 1; both are symmetric, so the table
 * covers |x|). The table's entries are not a plain rounding of sigmoid: they are read off TFLite
 * Micro's int16 TANH at the grid points (tests/ops/test_unidirectional_sequence_lstm.py reads
 * them again and compares). */
#include "unidirectional_sequence_lstm.h"

#include <string.h>

#include "tg_common.h"

static const uint16_t tg_sigmoid_q16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535};

static int16_t saturate_i16(int32_t x) { return (int16_t)tg_clamp_i32(x, INT16_MIN, INT16_MAX); }

/* sigmoid of a Q3.12 value (scale 2^-12), in Q0.15: the table is indexed by 3x / 2^9. */
static int16_t sigmoid_q15(int16_t x) {
  const int32_t scaled = 3 * x;
  const uint32_t magnitude = (uint32_t)(scaled < 0 ? -scaled : scaled);
  const uint32_t index = magnitude >> 9;
  uint32_t value = 0x7FFFu << 10;
  if (index < 255) {
    const uint32_t low = tg_sigmoid_q16[index], high = tg_sigmoid_q16[index + 1];
    value = (low << 9) + (magnitude & 0x1FFu) * (high - low);
  }
  /* sigmoid(-x) = 1 - sigmoid(x); the constants round to nearest at the final shift. */
  value = scaled >= 0 ? value + (1u << 9) : (1u << 25) - value + (1u << 9) - 1u;
  return (int16_t)(value >> 10);
}

/* tanh of an int16 value already scaled to the table's grid (index = scaled / 2^8), in Q0.15. */
static int16_t tanh_q15_of_scaled(int32_t scaled) {
  const uint32_t magnitude = (uint32_t)(scaled < 0 ? -scaled : scaled);
  const uint32_t index = magnitude >> 8;
  int32_t value = (int32_t)(0xFFFFu << 8);
  if (index < 255) {
    const uint32_t low = tg_sigmoid_q16[index], high = tg_sigmoid_q16[index + 1];
    value = (int32_t)((low << 8) + (magnitude & 0xFFu) * (high - low));
  }
  value = scaled >= 0 ? value - (1 << 23) + (1 << 7) : -value + (1 << 23) + (1 << 7) - 1;
  return (int16_t)(value >> 8);
}

/* The tanh of a value with 2^-power scale: (x * multiplier + rounding) >> shift puts it on the grid. */
static int16_t tanh_q15(int16_t x, int32_t multiplier, int32_t shift) {
  const int32_t rounding = shift > 0 ? 1 << (shift - 1) : 0;
  return tanh_q15_of_scaled((x * multiplier + rounding) >> shift);
}

/* TFLM's MultiplyByQuantizedMultiplier for a 64-bit accumulator (the 16x8 LSTM's): the
 * multiplier rounded to 16 bits, then one rounding shift. */
static int32_t requantize_i64(int64_t x, int32_t multiplier, int32_t shift) {
  const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int32_t total_shift = 15 - shift;
  return (int32_t)((x * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

/* rows x [state_size] = vector . weights rows (+ bias), requantized to int16 and saturated: the
 * int8 activations accumulate in int32 with an int32 bias, the int16 ones in int64 with an int64
 * bias, as TFLM's two fully connected kernels do. */
#define TG_LSTM_PRODUCT(name, act_t, bias_t, acc_t, requantize)                                                 \
  static void name(const void *vector, int32_t offset, int32_t size, const int8_t *weights, const void *bias,  \
                   int32_t multiplier, int32_t shift, int32_t rows, int32_t state_size, int16_t *out) {          \
    for (int32_t r = 0; r < rows; ++r) {                                                                         \
      const act_t *v = (const act_t *)vector + r * size;                                                         \
      for (int32_t s = 0; s < state_size; ++s) {                                                                 \
        const int8_t *w = weights + s * size;                                                                    \
        acc_t acc = bias ? ((const bias_t *)bias)[s] : 0;                                                        \
        for (int32_t i = 0; i < size; ++i) acc += w[i] * (v[i] + offset);                                        \
        out[r * state_size + s] = saturate_i16(requantize(acc, multiplier, shift));                             \
      }                                                                                                          \
    }                                                                                                            \
  }
TG_LSTM_PRODUCT(product_s8, int8_t, int32_t, int32_t, tg_requantize)
TG_LSTM_PRODUCT(product_s16, int16_t, int64_t, int64_t, requantize_i64)

typedef void (*tg_lstm_product)(const void *vector, int32_t offset, int32_t size, const int8_t *weights,
                                const void *bias, int32_t multiplier, int32_t shift, int32_t rows, int32_t state_size,
                                int16_t *out);

/* What differs between int8 and int16 activations: the products and the hidden state's type. */
typedef struct {
  tg_lstm_product product;
  int32_t bytes; /* of one activation */
  int32_t min, max;
} tg_lstm_activations;

static const tg_lstm_activations TG_LSTM_S8 = {product_s8, 1, INT8_MIN, INT8_MAX};
static const tg_lstm_activations TG_LSTM_S16 = {product_s16, 2, INT16_MIN, INT16_MAX};

/* A gate's pre-activation: both products, added with saturation. */
static void gate_s16(const tg_lstm_params *p, const tg_lstm_activations *a, const tg_lstm_gate_params *g,
                     const void *x, const void *h, int32_t rows, int16_t *out, int16_t *recurrent) {
  a->product(x, p->input_offset, p->input_size, g->input_weights, g->bias, g->input_multiplier, g->input_shift, rows,
             p->state_size, out);
  a->product(h, p->hidden_offset, p->state_size, g->recurrent_weights, NULL, g->recurrent_multiplier,
             g->recurrent_shift, rows, p->state_size, recurrent);
  for (int32_t i = 0; i < rows * p->state_size; ++i) out[i] = saturate_i16(out[i] + recurrent[i]);
}

static void sigmoid_gate(const tg_lstm_params *p, const tg_lstm_activations *a, const tg_lstm_gate_params *g,
                         const void *x, const void *h, int32_t rows, int16_t *out, int16_t *recurrent) {
  gate_s16(p, a, g, x, h, rows, out, recurrent);
  for (int32_t i = 0; i < rows * p->state_size; ++i) out[i] = sigmoid_q15(out[i]);
}

/* One step over `rows` rows (all batches when time major, else one). */
static void lstm_step(const tg_lstm_params *p, const tg_lstm_activations *a, const void *x, void *h, int16_t *c,
                      void *out, int32_t rows) {
  const int32_t n = rows * p->state_size;
  int16_t *forget = p->scratch, *input = forget + n, *candidate = input + n, *recurrent = candidate + n;
  sigmoid_gate(p, a, p->forget, x, h, rows, forget, recurrent);
  sigmoid_gate(p, a, p->input, x, h, rows, input, recurrent);
  gate_s16(p, a, p->cell, x, h, rows, candidate, recurrent);
  for (int32_t i = 0; i < n; ++i) candidate[i] = tanh_q15_of_scaled(3 * candidate[i]); /* Q3.12 */
  for (int32_t i = 0; i < n; ++i) {
    const int16_t kept = saturate_i16(tg_requantize(forget[i] * c[i], p->forget_multiplier, p->forget_shift));
    const int16_t added = saturate_i16(tg_requantize(input[i] * candidate[i], p->update_multiplier, p->update_shift));
    int16_t updated = saturate_i16(kept + added);
    if (p->clip_cell) updated = (int16_t)tg_clamp_i32(updated, -p->cell_clip, p->cell_clip);
    c[i] = updated;
  }
  int16_t *output_gate = input; /* the input gate is spent */
  sigmoid_gate(p, a, p->output, x, h, rows, output_gate, recurrent);
  for (int32_t i = 0; i < n; ++i) {
    const int16_t activated = tanh_q15(c[i], p->cell_tanh_multiplier, p->cell_tanh_shift);
    const int32_t value = tg_clamp_i32(
        tg_requantize(activated * output_gate[i], p->hidden_multiplier, p->hidden_shift) + p->hidden_zero_point,
        a->min, a->max);
    if (a->bytes == 1) {
      ((int8_t *)h)[i] = (int8_t)value;
    } else {
      ((int16_t *)h)[i] = (int16_t)value;
    }
  }
  memcpy(out, h, (size_t)(n * a->bytes));
}

static void lstm(const tg_lstm_params *p, const tg_lstm_activations *a, const uint8_t *input, uint8_t *hidden,
                 int16_t *cell, uint8_t *output) {
  const int32_t in_row = p->input_size * a->bytes, out_row = p->state_size * a->bytes;
  if (p->time_major) {
    for (int32_t t = 0; t < p->steps; ++t) {
      lstm_step(p, a, input + t * p->batches * in_row, hidden, cell, output + t * p->batches * out_row, p->batches);
    }
    return;
  }
  for (int32_t b = 0; b < p->batches; ++b) {
    for (int32_t t = 0; t < p->steps; ++t) {
      const int32_t row = b * p->steps + t;
      lstm_step(p, a, input + row * in_row, hidden + b * out_row, cell + b * p->state_size, output + row * out_row, 1);
    }
  }
}

void tg_unidirectional_sequence_lstm_s8(const tg_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                                        int8_t *output) {
  lstm(p, &TG_LSTM_S8, (const uint8_t *)input, (uint8_t *)hidden, cell, (uint8_t *)output);
}

void tg_unidirectional_sequence_lstm_s16(const tg_lstm_params *p, const int16_t *input, int16_t *hidden,
                                         int16_t *cell, int16_t *output) {
  lstm(p, &TG_LSTM_S16, (const uint8_t *)input, (uint8_t *)hidden, cell, (uint8_t *)output);
}
