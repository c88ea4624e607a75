/* tinygen parameters to CMSIS-NN calls (see cmsis_nn_glue.h). */
#include "cmsis_nn_glue.h"

#include <stddef.h>

int32_t tg_cmsis_nn_status = ARM_CMSIS_NN_SUCCESS;

static void tg_cmsis_check(arm_cmsis_nn_status status) {
  if (status != ARM_CMSIS_NN_SUCCESS && tg_cmsis_nn_status == ARM_CMSIS_NN_SUCCESS) tg_cmsis_nn_status = status;
}

static cmsis_nn_dims tg_cmsis_dims(int32_t n, int32_t h, int32_t w, int32_t c) {
  cmsis_nn_dims d;
  d.n = n;
  d.h = h;
  d.w = w;
  d.c = c;
  return d;
}

static cmsis_nn_tile tg_cmsis_tile(int32_t h, int32_t w) {
  cmsis_nn_tile t;
  t.h = h;
  t.w = w;
  return t;
}

static cmsis_nn_activation tg_cmsis_activation(int32_t min, int32_t max) {
  cmsis_nn_activation a;
  a.min = min;
  a.max = max;
  return a;
}

/* A buffer of scratch_bytes, or none: CMSIS-NN takes a non-NULL buffer as a request to use it. */
static cmsis_nn_context tg_cmsis_context(void *scratch, int32_t scratch_bytes) {
  cmsis_nn_context ctx;
  ctx.buf = scratch_bytes > 0 ? scratch : NULL;
  ctx.size = scratch_bytes > 0 ? scratch_bytes : 0;
  return ctx;
}

void tg_cmsis_conv_s8(const tg_cmsis_conv_params *p, const int8_t *input, int8_t *output, void *scratch) {
  const cmsis_nn_context ctx = tg_cmsis_context(scratch, p->scratch_bytes);
  cmsis_nn_conv_params conv;
  cmsis_nn_per_channel_quant_params quant;
  const cmsis_nn_dims input_dims = tg_cmsis_dims(p->batches, p->in_h, p->in_w, p->in_c);
  const cmsis_nn_dims filter_dims = tg_cmsis_dims(p->out_c, p->kernel_h, p->kernel_w, p->filter_c);
  const cmsis_nn_dims bias_dims = tg_cmsis_dims(1, 1, 1, p->out_c);
  const cmsis_nn_dims output_dims = tg_cmsis_dims(p->batches, p->out_h, p->out_w, p->out_c);
  conv.input_offset = p->input_offset;
  conv.output_offset = p->output_offset;
  conv.stride = tg_cmsis_tile(p->stride_h, p->stride_w);
  conv.padding = tg_cmsis_tile(p->pad_top, p->pad_left);
  conv.dilation = tg_cmsis_tile(p->dilation_h, p->dilation_w);
  conv.activation = tg_cmsis_activation(p->act_min, p->act_max);
  quant.multiplier = (int32_t *)p->multiplier; /* CMSIS-NN only reads them */
  quant.shift = (int32_t *)p->shift;
  tg_cmsis_check(arm_convolve_wrapper_s8(&ctx, &conv, &quant, &input_dims, input + p->input_skip, &filter_dims,
                                         p->weights, &bias_dims, p->bias, &output_dims, output));
}

void tg_cmsis_depthwise_s8(const tg_cmsis_depthwise_params *p, const int8_t *input, int8_t *output, void *scratch) {
  const cmsis_nn_context ctx = tg_cmsis_context(scratch, p->scratch_bytes);
  cmsis_nn_dw_conv_params conv;
  cmsis_nn_per_channel_quant_params quant;
  const cmsis_nn_dims input_dims = tg_cmsis_dims(p->batches, p->in_h, p->in_w, p->in_c);
  const cmsis_nn_dims filter_dims = tg_cmsis_dims(1, p->kernel_h, p->kernel_w, p->out_c);
  const cmsis_nn_dims bias_dims = tg_cmsis_dims(1, 1, 1, p->out_c);
  const cmsis_nn_dims output_dims = tg_cmsis_dims(p->batches, p->out_h, p->out_w, p->out_c);
  conv.input_offset = p->input_offset;
  conv.output_offset = p->output_offset;
  conv.ch_mult = p->depth_multiplier;
  conv.stride = tg_cmsis_tile(p->stride_h, p->stride_w);
  conv.padding = tg_cmsis_tile(p->pad_top, p->pad_left);
  conv.dilation = tg_cmsis_tile(p->dilation_h, p->dilation_w);
  conv.activation = tg_cmsis_activation(p->act_min, p->act_max);
  quant.multiplier = (int32_t *)p->multiplier;
  quant.shift = (int32_t *)p->shift;
  tg_cmsis_check(arm_depthwise_conv_wrapper_s8(&ctx, &conv, &quant, &input_dims, input + p->input_skip,
                                               &filter_dims, p->weights, &bias_dims, p->bias, &output_dims, output));
}

void tg_cmsis_fully_connected_s8(const tg_cmsis_fully_connected_params *p, const int8_t *input, int8_t *output) {
  /* CMSIS-NN's Helium code reads the kernel sums from the context's buffer (constant here). */
  const cmsis_nn_context ctx = tg_cmsis_context((void *)(uintptr_t)p->kernel_sum, p->kernel_sum ? p->units * 4 : 0);
  cmsis_nn_fc_params fc;
  const cmsis_nn_dims input_dims = tg_cmsis_dims(p->batches, 1, 1, p->depth);
  const cmsis_nn_dims filter_dims = tg_cmsis_dims(p->depth, 1, 1, p->units);
  const cmsis_nn_dims bias_dims = tg_cmsis_dims(1, 1, 1, p->units);
  const cmsis_nn_dims output_dims = tg_cmsis_dims(p->batches, 1, 1, p->units);
  fc.input_offset = p->input_offset;
  fc.filter_offset = 0;
  fc.output_offset = p->output_offset;
  fc.activation = tg_cmsis_activation(p->act_min, p->act_max);
  if (p->per_channel) {
    cmsis_nn_per_channel_quant_params quant;
    quant.multiplier = (int32_t *)p->multiplier;
    quant.shift = (int32_t *)p->shift;
    tg_cmsis_check(arm_fully_connected_per_channel_s8(&ctx, &fc, &quant, &input_dims, input, &filter_dims,
                                                      p->weights, &bias_dims, p->bias, &output_dims, output));
  } else {
    cmsis_nn_per_tensor_quant_params quant;
    quant.multiplier = p->multiplier[0];
    quant.shift = p->shift[0];
    tg_cmsis_check(arm_fully_connected_s8(&ctx, &fc, &quant, &input_dims, input, &filter_dims, p->weights,
                                          &bias_dims, p->bias, &output_dims, output));
  }
}

static void tg_cmsis_pool(int average, const tg_cmsis_pool_params *p, const int8_t *input, int8_t *output,
                          void *scratch, int32_t scratch_bytes) {
  const cmsis_nn_context ctx = tg_cmsis_context(scratch, scratch_bytes);
  cmsis_nn_pool_params pool;
  pool.stride = tg_cmsis_tile(p->stride_h, p->stride_w);
  pool.padding = tg_cmsis_tile(p->pad_top, p->pad_left);
  pool.activation = tg_cmsis_activation(p->act_min, p->act_max);
  const cmsis_nn_dims input_dims = tg_cmsis_dims(p->batches, p->in_h, p->in_w, p->channels);
  const cmsis_nn_dims filter_dims = tg_cmsis_dims(1, p->filter_h, p->filter_w, 1);
  const cmsis_nn_dims output_dims = tg_cmsis_dims(p->batches, p->out_h, p->out_w, p->channels);
  input += p->input_skip;
  tg_cmsis_check(average ? arm_avgpool_s8(&ctx, &pool, &input_dims, input, &filter_dims, &output_dims, output)
                         : arm_max_pool_s8(&ctx, &pool, &input_dims, input, &filter_dims, &output_dims, output));
}

void tg_cmsis_avg_pool_s8(const tg_cmsis_pool_params *p, const int8_t *input, int8_t *output, void *scratch) {
  tg_cmsis_pool(1, p, input, output, scratch, p->scratch_bytes);
}

void tg_cmsis_max_pool_s8(const tg_cmsis_pool_params *p, const int8_t *input, int8_t *output) {
  tg_cmsis_pool(0, p, input, output, NULL, 0);
}

void tg_cmsis_softmax_s8(const tg_cmsis_softmax_params *p, const int8_t *input, int8_t *output) {
  arm_softmax_s8(input, p->rows, p->depth, p->input_multiplier, p->input_left_shift, p->diff_min, output);
}

void tg_cmsis_softmax_s8_s16(const tg_cmsis_softmax_params *p, const int8_t *input, int16_t *output) {
  arm_softmax_s8_s16(input, p->rows, p->depth, p->input_multiplier, p->input_left_shift, p->diff_min, output);
}

void tg_cmsis_add_s8(const tg_cmsis_elementwise_params *p, const int8_t *a, const int8_t *b, int8_t *output) {
  tg_cmsis_check(arm_elementwise_add_s8(a, b, p->a_offset, p->a_multiplier, p->a_shift, p->b_offset, p->b_multiplier,
                                        p->b_shift, p->left_shift, output, p->output_offset, p->multiplier, p->shift,
                                        p->act_min, p->act_max, p->size));
}

void tg_cmsis_mul_s8(const tg_cmsis_elementwise_params *p, const int8_t *a, const int8_t *b, int8_t *output) {
  tg_cmsis_check(arm_elementwise_mul_s8(a, b, p->a_offset, p->b_offset, output, p->output_offset, p->multiplier,
                                        p->shift, p->act_min, p->act_max, p->size));
}

void tg_cmsis_svdf_s8_s16(const tg_cmsis_svdf_params *p, const int8_t *input, int16_t *state, int8_t *output,
                          void *scratch) {
  cmsis_nn_context products, sums;
  cmsis_nn_svdf_params svdf;
  cmsis_nn_per_tensor_quant_params feature, time;
  const cmsis_nn_dims input_dims = tg_cmsis_dims(p->batches, p->input_size, 1, 1);
  const cmsis_nn_dims state_dims = tg_cmsis_dims(p->batches, p->filters * p->memory, 1, 1);
  const cmsis_nn_dims feature_dims = tg_cmsis_dims(p->filters, p->input_size, 1, 1);
  const cmsis_nn_dims time_dims = tg_cmsis_dims(p->filters, p->memory, 1, 1);
  const cmsis_nn_dims bias_dims = tg_cmsis_dims(p->units, 1, 1, 1);
  const cmsis_nn_dims output_dims = tg_cmsis_dims(p->batches, p->units, 1, 1);
  products.buf = scratch;
  products.size = p->batches * p->filters * (int32_t)sizeof(int32_t);
  sums.buf = (int32_t *)scratch + p->batches * p->filters;
  sums.size = p->batches * p->units * (int32_t)sizeof(int32_t);
  svdf.rank = p->rank;
  svdf.input_offset = p->input_zero_point; /* arm_svdf_state_s16_s8 negates it itself */
  svdf.output_offset = p->output_zero_point;
  svdf.input_activation = tg_cmsis_activation(INT16_MIN, INT16_MAX);
  svdf.output_activation = tg_cmsis_activation(INT8_MIN, INT8_MAX);
  feature.multiplier = p->feature_multiplier;
  feature.shift = p->feature_shift;
  time.multiplier = p->output_multiplier;
  time.shift = p->output_shift;
  tg_cmsis_check(arm_svdf_state_s16_s8(&products, &sums, &svdf, &feature, &time, &input_dims, input, &state_dims,
                                       state, &feature_dims, p->weights_feature, &time_dims, p->weights_time,
                                       &bias_dims, p->bias, &output_dims, output));
}
