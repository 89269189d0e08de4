// SPDX-License-Identifier: GPL-2.0-or-later
/* Argument values shared by the commands: durations, numbers, secrets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "punchctl.h"

/* A u32 in base 10, or in any C base (0x hex) when base is 0. */
static int parse_u32_base(const char *s, int base, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	return parse_u32_base(s, 10, out);
}

/* A firewall mark as ip-rule(8) writes it: decimal or 0x hex. */
int parse_mark(const char *s, uint32_t *out)
{
	return parse_u32_base(s, 0, out);
}

/* An application tag: decimal or 0x hex, as a mark. */
int parse_tag(const char *s, uint32_t *out)
{
	return parse_u32_base(s, 0, out);
}

/* "25s", "500ms", "2m", "1h"; a bare number is seconds. Result in ms. */
int parse_duration(const char *s, uint32_t *ms)
{
	static const struct { const char *unit; unsigned long long mul; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			if (v > UINT32_MAX / units[i].mul)
				return -ERANGE;
			*ms = v * units[i].mul;
			return 0;
		}
	}
	return -EINVAL;
}

void format_duration(uint32_t ms, char *buf, size_t len)
{
	if (ms % 1000 || ms == 0)
		snprintf(buf, len, "%ums", ms);
	else
		snprintf(buf, len, "%us", ms / 1000);
}

int parse_secret_hex(const char *s, uint8_t *out, unsigned int *len)
{
	int n = nfp_secret_parse(s, out, NFP_SECRET_MAX);

	if (n < 0)
		return n;
	*len = n;
	return 0;
}

/*
 * A file holding the secret in hex on its first line, like "secret"
 * takes it; "-" is standard input, so the secret never shows in ps.
 */
int read_secret_file(const char *path, uint8_t *out, unsigned int *len)
{
	char buf[2 * NFP_SECRET_MAX + 8];
	int stdin_ = strcmp(path, "-") == 0, ret;
	size_t n;
	FILE *f;

	f = stdin_ ? stdin : fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	if (!stdin_)
		fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	ret = parse_secret_hex(buf, out, len);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}
