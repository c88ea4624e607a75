/* opt_dwconv_s8_5x5: see opt_dwconv.h. */
#include "opt_dwconv.h"

OPT_DWCONV_VARIANT(opt_dwconv_s8_5x5, OPT_DWCONV_WINDOW(k, 5))
