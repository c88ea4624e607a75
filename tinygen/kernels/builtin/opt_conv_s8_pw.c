/* opt_conv_s8_pw: see opt_conv.h. */
#include "opt_conv.h"

OPT_CONV_VARIANT(opt_conv_s8_pw, OPT_CONV_POINTWISE(k))
