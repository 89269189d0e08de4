// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the signaling codec. Properties: whatever parses
 * formats again, in at most SIG_LINE_MAX bytes, and the formatted line
 * parses to the very same message (so the two directions agree).
 */
#include <stdlib.h>
#include <string.h>

#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[SIG_LINE_MAX + 1];
	struct sig_msg m, again;
	int n;

	if (sig_parse(&m, (const char *)data, size) != SIG_OK)
		return 0;
	n = sig_format(&m, line, sizeof(line));
	if (n <= 0 || n > SIG_LINE_MAX || line[n - 1] != '\n')
		abort();
	if (sig_parse(&again, line, (size_t)n - 1) != SIG_OK ||
	    memcmp(&m, &again, sizeof(m)))
		abort();
	return 0;
}
