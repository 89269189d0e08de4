// SPDX-License-Identifier: LGPL-2.1-or-later
/* Session secrets as people and config files write them: hex. */
#include <errno.h>

#include "hex.h"
#include "internal.h"

NFP_EXPORT int nfp_secret_parse(const char *hex, uint8_t out[NFP_SECRET_MAX])
{
	int n = hex_decode(hex, out, NFP_SECRET_MAX);

	return n >= NFP_SECRET_MIN ? n : -EINVAL;
}
