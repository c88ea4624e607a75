/* opt_conv_s8_plain: see opt_conv.h. */
#include "opt_conv.h"

OPT_CONV_VARIANT(opt_conv_s8_plain, OPT_CONV_PLAIN(k))
