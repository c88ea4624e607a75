/* opt_dwconv_s8: see opt_dwconv.h. */
#include "opt_dwconv.h"

OPT_DWCONV_VARIANT(opt_dwconv_s8, (void)0)
