// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for punchd's PCP answers: a gateway, or anyone on the
 * LAN who can send to our port, chooses every byte. Properties: nothing
 * is read past the end, and an answer taken as success has the nonce,
 * protocol and internal port of the request and a port. The same bytes
 * as an announcement: nothing read past the end, and one taken is a PCP
 * ANNOUNCE answer or a 12-byte NAT-PMP address.
 */
#include <stdlib.h>
#include <string.h>

#include "../../helper/punchd/pcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcp_map req = { .protocol = 17, .internal_port = 51820, .lifetime = 7200 };
	uint8_t *copy = malloc(size ? size : 1);
	struct pcp_answer a;
	struct pcp_announce an;

	if (!copy)
		return 0;
	/* Exactly size bytes: ASan sees any read past them. */
	memcpy(copy, data, size);
	memcpy(req.nonce, "0123456789ab", PCP_NONCE_LEN);
	if (pcp_map_parse(&req, copy, size, &a) == 0 && a.version == 2 &&
	    a.result == PCP_SUCCESS &&
	    (size < PCP_MAP_LEN || memcmp(copy + 24, req.nonce, PCP_NONCE_LEN) ||
	     copy[36] != 17 || !a.external_port))
		abort();
	if (pcp_announce_parse(copy, size, &an) == 0 &&
	    !(size >= 24 && copy[0] == 2 && copy[1] == 0x80) &&
	    !(size == 12 && copy[0] == 0 && copy[1] == 128))
		abort();
	free(copy);
	return 0;
}
