// SPDX-License-Identifier: LGPL-2.1-or-later
/* Session secrets as people and config files write them: hex. */
#include <errno.h>
#include <string.h>

#include "hex.h"
#include "internal.h"

NFP_EXPORT int nfp_secret_parse(const char *hex, uint8_t *out, size_t size)
{
	uint8_t buf[NFP_SECRET_MAX];
	int n = hex_decode(hex, buf, sizeof(buf));

	if (n < NFP_SECRET_MIN)
		n = -EINVAL;
	else if ((size_t)n > size)
		n = -ENOSPC;
	else
		memcpy(out, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	return n;
}
