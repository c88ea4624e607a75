/* Geometry shared by the 2-D pooling kernels (average and max). */
#ifndef TG_POOL2D_H
#define TG_POOL2D_H

#include <stdint.h>

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
  int32_t act_min, act_max;
} tg_pool2d_params;

/* The part of one output's window that lies inside the input, as [y0, y1) x [x0, x1) in input
 * coordinates: pools ignore padded taps instead of reading a padding value. */
typedef struct {
  int32_t y0, y1, x0, x1;
} tg_pool2d_window;

static inline tg_pool2d_window tg_pool2d_clip(const tg_pool2d_params *p, int32_t out_y, int32_t out_x) {
  const int32_t top = out_y * p->stride_h - p->pad_top;
  const int32_t left = out_x * p->stride_w - p->pad_left;
  tg_pool2d_window w;
  w.y0 = top > 0 ? top : 0;
  w.y1 = top + p->filter_h < p->in_h ? top + p->filter_h : p->in_h;
  w.x0 = left > 0 ? left : 0;
  w.x1 = left + p->filter_w < p->in_w ? left + p->filter_w : p->in_w;
  return w;
}

/* output = reduce(p, image, window, channel) for every output value in order; elem_t is the
 * element type (int8_t, or int16_t for 16x8 models). */
#define TG_POOL2D_FOR_EACH_OUTPUT(p, elem_t, input, output, reduce)                                         \
  do {                                                                                                      \
    elem_t *out_ = (output);                                                                                \
    for (int32_t b_ = 0; b_ < (p)->batches; ++b_) {                                                         \
      const elem_t *image_ = (input) + b_ * (p)->in_h * (p)->in_w * (p)->channels;                          \
      for (int32_t oy_ = 0; oy_ < (p)->out_h; ++oy_) {                                                      \
        for (int32_t ox_ = 0; ox_ < (p)->out_w; ++ox_) {                                                    \
          const tg_pool2d_window w_ = tg_pool2d_clip((p), oy_, ox_);                                        \
          for (int32_t c_ = 0; c_ < (p)->channels; ++c_) *out_++ = reduce((p), image_, w_, c_);             \
        }                                                                                                   \
      }                                                                                                     \
    }                                                                                                       \
  } while (0)

#endif
