// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for STUN over TCP on rendezvousd's signaling port: the
 * input is a byte stream, fed in pieces whose sizes the first byte picks
 * into a 1024-byte buffer as client.c does. Properties: a frame never
 * claims more than the buffer holds or the limit allows, the stream is
 * consumed or refused (never stuck with a full buffer), and an answer
 * fits, is at most five times its request and keeps its transaction id.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sockaddr.h"
#include "stun.h"
#include "stun_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP	1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage from, local;
	uint8_t buf[CAP], out[512];
	size_t len = 0, piece, off = 1, alen;
	const char *why;
	ssize_t m;

	if (size < 1)
		return 0;
	piece = (size_t)(data[0] % 64) + 1;
	sa_parse(&from, "198.51.100.1", 40000);
	sa_parse(&local, "192.0.2.1", 3478);
	rdv_stun_tcp_sniff(data[0]);
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;

		if (n > CAP - len)
			n = CAP - len;
		memcpy(buf + len, data + off, n);
		len += n;
		off += n;
		while ((m = rdv_stun_tcp_frame(buf, len, CAP)) > 0) {
			if ((size_t)m > len || (size_t)m < STUN_HDR_LEN)
				abort();
			alen = rdv_stun_tcp_answer(buf, (size_t)m, &from, &local,
						   out, sizeof(out), &why);
			if (alen > sizeof(out) || (alen && alen > 5 * (size_t)m + 100))
				abort();
			if (alen >= STUN_HDR_LEN && memcmp(out + 8, buf + 8, 12))
				abort();
			memmove(buf, buf + m, len - (size_t)m);
			len -= (size_t)m;
		}
		if (m < 0)
			return 0;	/* client.c closes the connection */
		if (len == CAP)
			abort();	/* a frame that can never complete */
	}
	return 0;
}
