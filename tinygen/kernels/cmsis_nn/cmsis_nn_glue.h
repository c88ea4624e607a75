/* Glue to Arm's CMSIS-NN library (`--kernels cmsis-nn`): each tg_cmsis_* function takes
 * tinygen's `static const` parameters, fills the cmsis_nn_* structs CMSIS-NN expects (a few
 * stores per call) and calls its int8 kernel, whose arithmetic is TFLite Micro's.
 *
 * CMSIS-NN is not part of tinygen: the build adds its Include/ directory and the Source/ files
 * these functions need (tinygen.backends.cmsis_nn). It picks its DSP code when the compiler
 * defines __ARM_FEATURE_DSP (-mcpu=cortex-m4/m7) and portable C elsewhere.
 *
 * The arguments were checked at generation time against what each CMSIS-NN function accepts,
 * and the scratch buffers sized as its *_get_buffer_size function would: the status CMSIS-NN
 * returns is kept in tg_cmsis_nn_status (ARM_CMSIS_NN_SUCCESS, 0, unless something is wrong).
 *
 * CMSIS-NN takes padding as unsigned. A tile of patch-based inference whose windows start inside
 * its input (negative padding) is passed as the input from `input_skip` bytes on, with in_h
 * shortened by the rows skipped and the padding raised to 0 (in_w stays: it is the row stride).
 */
#ifndef TG_CMSIS_NN_GLUE_H
#define TG_CMSIS_NN_GLUE_H

#include <stdint.h>

#include "arm_nnfunctions.h"

/* The first status other than ARM_CMSIS_NN_SUCCESS a call returned since start-up. */
extern int32_t tg_cmsis_nn_status;

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, filter_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier, *shift; /* per output channel */
  const int8_t *weights;             /* [out_c][kernel_h][kernel_w][filter_c] */
  const int32_t *bias;               /* [out_c] */
  int32_t scratch_bytes;             /* arm_convolve_wrapper_s8_get_buffer_size */
  int32_t input_skip;                /* bytes before the first row and column read (see below) */
} tg_cmsis_conv_params;

/* CONV_2D through arm_convolve_wrapper_s8 (1x1, 1xN or im2col convolution). */
void tg_cmsis_conv_s8(const tg_cmsis_conv_params *p, const int8_t *input, int8_t *output, void *scratch);

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c, depth_multiplier;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  int32_t input_offset, output_offset, act_min, act_max;
  const int32_t *multiplier, *shift; /* per output channel */
  const int8_t *weights;             /* [1][kernel_h][kernel_w][out_c] */
  const int32_t *bias;               /* [out_c] or NULL */
  int32_t scratch_bytes;             /* arm_depthwise_conv_wrapper_s8_get_buffer_size */
  int32_t input_skip;
} tg_cmsis_depthwise_params;

/* DEPTHWISE_CONV_2D through arm_depthwise_conv_wrapper_s8. */
void tg_cmsis_depthwise_s8(const tg_cmsis_depthwise_params *p, const int8_t *input, int8_t *output, void *scratch);

typedef struct {
  int32_t batches, depth, units;
  int32_t input_offset, output_offset, act_min, act_max;
  int32_t per_channel;               /* 0: multiplier[0] and shift[0] apply to every unit */
  const int32_t *multiplier, *shift; /* per unit, or one */
  const int8_t *weights;             /* [units][depth] */
  const int32_t *bias;               /* [units] or NULL */
  const int32_t *kernel_sum;         /* Helium: [units] bias + input_offset * sum(weights) (arm_vector_sum_s8); else NULL */
} tg_cmsis_fully_connected_params;

/* FULLY_CONNECTED through arm_fully_connected_s8, or arm_fully_connected_per_channel_s8. */
void tg_cmsis_fully_connected_s8(const tg_cmsis_fully_connected_params *p, const int8_t *input, int8_t *output);

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
  int32_t act_min, act_max;
  int32_t scratch_bytes; /* arm_avgpool_s8_get_buffer_size (max pooling needs none) */
  int32_t input_skip;
} tg_cmsis_pool_params;

/* AVERAGE_POOL_2D through arm_avgpool_s8 and MAX_POOL_2D through arm_max_pool_s8. */
void tg_cmsis_avg_pool_s8(const tg_cmsis_pool_params *p, const int8_t *input, int8_t *output, void *scratch);
void tg_cmsis_max_pool_s8(const tg_cmsis_pool_params *p, const int8_t *input, int8_t *output);

typedef struct {
  int32_t rows, depth;
  int32_t input_multiplier, input_left_shift, diff_min;
} tg_cmsis_softmax_params;

/* SOFTMAX over the last axis through arm_softmax_s8 (output scale 1/256, zero point -128). */
void tg_cmsis_softmax_s8(const tg_cmsis_softmax_params *p, const int8_t *input, int8_t *output);
/* The same through arm_softmax_s8_s16 (int16 output, scale 1/65536, zero point -32768). */
void tg_cmsis_softmax_s8_s16(const tg_cmsis_softmax_params *p, const int8_t *input, int16_t *output);

typedef struct {
  int32_t size;
  int32_t a_offset, b_offset, output_offset, act_min, act_max;
  int32_t left_shift, a_multiplier, a_shift, b_multiplier, b_shift; /* ADD only */
  int32_t multiplier, shift;
} tg_cmsis_elementwise_params;

/* ADD and MUL of two int8 tensors of one shape (no broadcasting): arm_elementwise_add_s8 and
 * arm_elementwise_mul_s8. */
void tg_cmsis_add_s8(const tg_cmsis_elementwise_params *p, const int8_t *a, const int8_t *b, int8_t *output);
void tg_cmsis_mul_s8(const tg_cmsis_elementwise_params *p, const int8_t *a, const int8_t *b, int8_t *output);

typedef struct {
  int32_t batches, input_size, filters, units, rank, memory;
  int32_t input_zero_point, output_zero_point;
  int32_t feature_multiplier, feature_shift, output_multiplier, output_shift;
  const int8_t *weights_feature;
  const int16_t *weights_time;
  const int32_t *bias;
} tg_cmsis_svdf_params;

/* SVDF with an int16 state of zero point 0 through arm_svdf_state_s16_s8; the scratch holds its
 * two int32 buffers, batches x filters then batches x units. */
void tg_cmsis_svdf_s8_s16(const tg_cmsis_svdf_params *p, const int8_t *input, int16_t *state, int8_t *output,
                          void *scratch);

#endif
