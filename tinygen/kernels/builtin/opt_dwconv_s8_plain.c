/* opt_dwconv_s8_plain: see opt_dwconv.h. */
#include "opt_dwconv.h"

OPT_DWCONV_VARIANT(opt_dwconv_s8_plain, OPT_DWCONV_PLAIN(k))
