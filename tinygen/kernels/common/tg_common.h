/* Fixed-point helpers shared by the kernels: the requantization arithmetic of TFLite Micro's
 * reference kernels (saturating rounding doubling high multiply, then a rounding right shift). */
#ifndef TG_COMMON_H
#define TG_COMMON_H

#include <stdint.h>

static inline int32_t tg_min_i32(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tg_max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t tg_clamp_i32(int32_t x, int32_t lo, int32_t hi) { return tg_min_i32(tg_max_i32(x, lo), hi); }

/* High 32 bits of 2*a*b, rounded to nearest; the one overflowing case saturates. */
static inline int32_t tg_sat_doubling_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / (1LL << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero. */
static inline int32_t tg_rounding_divide_by_pot(int32_t x, int exponent) {
  int32_t mask = (int32_t)((1LL << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift with multiplier a Q31 significand: TFLM's MultiplyByQuantizedMultiplier. */
static inline int32_t tg_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  int left = shift > 0 ? shift : 0;
  int right = shift > 0 ? 0 : -shift;
  /* Shift through uint32 so that wrap-around matches the reference without signed overflow. */
  int32_t shifted = (int32_t)((uint32_t)x << left);
  return tg_rounding_divide_by_pot(tg_sat_doubling_high_mul(shifted, multiplier), right);
}

/* TFLM's MultiplyByQuantizedMultiplier for an int64 accumulator (its 16x8 kernels): the Q31
 * multiplier rounded to 16 bits, then one rounding shift -- not the int32 version's two
 * roundings. The result is narrowed to int32 as TFLM narrows it (through uint32: wrap-around). */
static inline int32_t tg_requantize_64(int64_t x, int32_t multiplier, int32_t shift) {
  const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int total_shift = 15 - shift;
  return (int32_t)(uint32_t)((x * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

/* An accumulator requantized to an int8 output: scaled, offset, clamped to the activation range. */
static inline int8_t tg_requantize_s8(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset,
                                      int32_t act_min, int32_t act_max) {
  return (int8_t)tg_clamp_i32(tg_requantize(acc, multiplier, shift) + output_offset, act_min, act_max);
}

/* Output channel c of a kernel with per-channel requantization (conv, depthwise, fully connected,
 * transpose conv): the accumulator plus the channel's bias (of the accumulator's type; a layer
 * may have none), scaled by `requantize`, offset and clamped to the activation range. */
#define TG_CHANNEL_OUTPUT(p, act_t, acc_t, requantize, c, acc)                                       \
  ((act_t)tg_clamp_i32(requantize((acc) + ((p)->bias ? ((const acc_t *)(p)->bias)[c] : 0),           \
                                  (p)->multiplier[c], (p)->shift[c]) +                               \
                           (p)->output_offset,                                                       \
                       (p)->act_min, (p)->act_max))

/* pixel(p, image, oy, ox, out) for every output pixel of every batch: in raster order, or
 * (p->reverse) back to front, so that an output overlapping its input from above is exact.
 * act_t is the activations' element type (int8_t, or int16_t for 16x8 kernels). */
#define TG_FOR_EACH_OUTPUT_PIXEL(p, act_t, input, output, pixel)                              \
  do {                                                                                        \
    const int32_t pixels_ = (p)->out_h * (p)->out_w;                                          \
    for (int32_t b_ = 0; b_ < (p)->batches; ++b_) {                                           \
      const act_t *image_ = (input) + b_ * (p)->in_h * (p)->in_w * (p)->in_c;                 \
      act_t *out_ = (output) + b_ * pixels_ * (p)->out_c;                                     \
      for (int32_t i_ = 0; i_ < pixels_; ++i_) {                                              \
        const int32_t k_ = (p)->reverse ? pixels_ - 1 - i_ : i_;                              \
        pixel((p), image_, k_ / (p)->out_w, k_ % (p)->out_w, out_ + k_ * (p)->out_c);         \
      }                                                                                       \
    }                                                                                         \
  } while (0)

#endif
