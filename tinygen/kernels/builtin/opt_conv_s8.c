/* opt_conv_s8: see opt_conv.h. */
#include "opt_conv.h"

OPT_CONV_VARIANT(opt_conv_s8, (void)0)
