/* opt_dwconv_s8_3x3: see opt_dwconv.h. */
#include "opt_dwconv.h"

OPT_DWCONV_VARIANT(opt_dwconv_s8_3x3, OPT_DWCONV_WINDOW(k, 3))
