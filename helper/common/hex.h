/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NFPUNCH_HEX_H
#define NFPUNCH_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode a string of hex digit pairs into at most max bytes. Returns the
 * number of bytes, or -EINVAL for an odd length, a non-hex character or
 * more than max bytes.
 */
int hex_decode(const char *s, uint8_t *out, size_t max);

/* Encode len bytes as 2 * len lowercase digits and a NUL into out. */
void hex_encode(char *out, const uint8_t *in, size_t len);

#endif /* NFPUNCH_HEX_H */
