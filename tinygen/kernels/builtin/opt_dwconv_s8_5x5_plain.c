/* opt_dwconv_s8_5x5_plain: see opt_dwconv.h. */
#include "opt_dwconv.h"

OPT_DWCONV_VARIANT(opt_dwconv_s8_5x5_plain, (OPT_DWCONV_WINDOW(k, 5), OPT_DWCONV_PLAIN(k)))
