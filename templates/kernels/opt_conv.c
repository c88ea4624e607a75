/* The optimized convolution out of line, for call sites that run many times (the tiles of a
 * patch-based stage). Variants fix the fields that shape the inner loops (a copy of the params
 * with those fields set to constants, which the compiler folds), the rest stays run-time:
 *   _pw     a 1x1 window without padding (columns straight from the input pixels)
 *   _plain  fast requantization without sign fix, the full int8 output range, doubled columns
 * All of them run four-pixel groups. tinygen picks the variant that matches the layer; the linker
 * drops the others. */
#include "opt_conv.h"

#define OPT_CONV_PLAIN(k) ((k).exact = 0, (k).sign_fix = 0, (k).act_min = -128, (k).act_max = 127, (k).doubled = 1)
#define OPT_CONV_POINTWISE(k) \
  ((k).pointwise = 1, (k).batches = 1, (k).kernel_h = 1, (k).kernel_w = 1, (k).dilation_h = 1, (k).dilation_w = 1)

#define OPT_CONV_VARIANT(name, fix)                                                                 \
  void name(const opt_conv_params *p, const int8_t *input, int8_t *output, void *scratch) {         \
    opt_conv_params k = *p;                                                                         \
    k.group = 4;                                                                                    \
    fix;                                                                                            \
    opt_conv_s8_inline(&k, input, output, scratch);                                                 \
  }

OPT_CONV_VARIANT(opt_conv_s8, (void)0)
OPT_CONV_VARIANT(opt_conv_s8_plain, OPT_CONV_PLAIN(k))
OPT_CONV_VARIANT(opt_conv_s8_pw, OPT_CONV_POINTWISE(k))
OPT_CONV_VARIANT(opt_conv_s8_pw_plain, (OPT_CONV_POINTWISE(k), OPT_CONV_PLAIN(k)))
