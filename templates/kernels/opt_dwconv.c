/* The optimized depthwise convolution out of line, for call sites that run many times (the tiles
 * of a patch-based stage). Variants fix the fields that shape the inner loops (a copy of the
 * params with those fields set to constants, which the compiler folds), the rest stays run-time:
 *   _3x3, _5x5  the window size (undilated), so the taps unroll into fixed offsets
 *   _plain      fast requantization without sign fix and with the full int8 output range
 * tinygen picks the variant that matches the layer; the linker drops the others. */
#include "opt_dwconv.h"

#define OPT_DWCONV_PLAIN(k) ((k).exact = 0, (k).sign_fix = 0, (k).act_min = -128, (k).act_max = 127)
#define OPT_DWCONV_WINDOW(k, n) \
  ((k).batches = 1, (k).kernel_h = (n), (k).kernel_w = (n), (k).dilation_h = 1, (k).dilation_w = 1)

#define OPT_DWCONV_VARIANT(name, fix)                                                      \
  void name(const opt_dwconv_params *p, const int8_t *input, int8_t *output) {             \
    opt_dwconv_params k = *p;                                                              \
    fix;                                                                                   \
    opt_dwconv_s8_inline(&k, input, output);                                               \
  }

OPT_DWCONV_VARIANT(opt_dwconv_s8, (void)0)
OPT_DWCONV_VARIANT(opt_dwconv_s8_plain, OPT_DWCONV_PLAIN(k))
OPT_DWCONV_VARIANT(opt_dwconv_s8_3x3, OPT_DWCONV_WINDOW(k, 3))
OPT_DWCONV_VARIANT(opt_dwconv_s8_3x3_plain, (OPT_DWCONV_WINDOW(k, 3), OPT_DWCONV_PLAIN(k)))
OPT_DWCONV_VARIANT(opt_dwconv_s8_5x5, OPT_DWCONV_WINDOW(k, 5))
OPT_DWCONV_VARIANT(opt_dwconv_s8_5x5_plain, (OPT_DWCONV_WINDOW(k, 5), OPT_DWCONV_PLAIN(k)))
