// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd's PCP MAP codec (RFC 6887): the request's bytes as the RFC lays
 * them out, and an answer taken only when it is the answer to that
 * request (nonce, protocol, internal port), well formed to its last
 * option; a NAT-PMP-only gateway's version 0 refusal is recognised.
 */
#include <string.h>

#include "../../helper/punchd/pcp.h"
#include "ktap.h"

static const uint8_t v4[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 1, 2 };
static const uint8_t pub[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 1 };

/* An answer to req: result, lifetime 7200, epoch 99, port 40000. */
static size_t answer(const struct pcp_map *req, uint8_t *buf, uint8_t result)
{
	pcp_map_build(req, buf);
	buf[1] = 0x81;
	buf[3] = result;
	buf[4] = 0, buf[5] = 0, buf[6] = 0x1c, buf[7] = 0x20;
	buf[8] = 0, buf[9] = 0, buf[10] = 0, buf[11] = 99;
	memset(buf + 12, 0, 12);
	buf[24 + 18] = 0x9c, buf[24 + 19] = 0x40;
	memcpy(buf + 24 + 20, pub, 16);
	return PCP_MAP_LEN;
}

int main(void)
{
	struct pcp_map req = { .protocol = 17, .internal_port = 51820, .lifetime = 7200 };
	uint8_t buf[PCP_MAX_LEN + 8], want[PCP_MAP_LEN] = { 0 };
	struct pcp_answer a;
	size_t n;

	memcpy(req.nonce, "0123456789ab", PCP_NONCE_LEN);
	memcpy(req.client, v4, 16);
	ktap_start();

	/* RFC 6887 7.1 and 11.1, byte by byte. */
	want[0] = 2, want[1] = 1, want[6] = 0x1c, want[7] = 0x20;
	memcpy(want + 8, v4, 16);
	memcpy(want + 24, "0123456789ab", 12);
	want[36] = 17, want[40] = 0xca, want[41] = 0x6c;
	CHECK(pcp_map_build(&req, buf) == PCP_MAP_LEN && !memcmp(buf, want, PCP_MAP_LEN),
	      "a MAP request is 60 bytes laid out as RFC 6887 says");

	n = answer(&req, buf, PCP_SUCCESS);
	CHECK(pcp_map_parse(&req, buf, n, &a) == 0 && a.version == 2 && a.result == 0 &&
	      a.lifetime == 7200 && a.epoch == 99 && a.external_port == 40000 &&
	      !memcmp(a.external, pub, 16),
	      "its answer gives the external endpoint, lifetime and epoch");

	n = answer(&req, buf, PCP_SUCCESS);
	buf[24] ^= 1;
	CHECK(pcp_map_parse(&req, buf, n, &a) == -1, "another nonce: not our answer");
	n = answer(&req, buf, PCP_SUCCESS);
	buf[36] = 6;
	CHECK(pcp_map_parse(&req, buf, n, &a) == -1, "another protocol: not our answer");
	n = answer(&req, buf, PCP_SUCCESS);
	buf[41] ^= 1;
	CHECK(pcp_map_parse(&req, buf, n, &a) == -1, "another internal port: not our answer");
	n = answer(&req, buf, PCP_SUCCESS);
	buf[1] = 0x01;
	CHECK(pcp_map_parse(&req, buf, n, &a) == -1, "a request (no R bit) is no answer");
	n = answer(&req, buf, PCP_SUCCESS);
	buf[42] = buf[43] = 0;
	CHECK(pcp_map_parse(&req, buf, n, &a) == -1, "success without a port is no mapping");

	n = answer(&req, buf, PCP_SUCCESS);
	CHECK(pcp_map_parse(&req, buf, n - 4, &a) == -1 && pcp_map_parse(&req, buf, n + 1, &a) == -1 &&
	      pcp_map_parse(&req, buf, 0, &a) == -1,
	      "a length that is short of the body or not a multiple of 4 is refused");

	n = answer(&req, buf, PCP_SUCCESS);
	memcpy(buf + n, "\x80\x00\x00\x04" "abcd", 8);	/* an option, 4 bytes of data */
	CHECK(pcp_map_parse(&req, buf, n + 8, &a) == 0, "a well-formed option after the body is skipped");
	memcpy(buf + n, "\x80\x00\x00\x09" "abcd", 8);	/* claims more than there is */
	CHECK(pcp_map_parse(&req, buf, n + 8, &a) == -1, "an option running past the end is refused");
	memset(buf + n, 0, PCP_MAX_LEN + 4 - n);
	CHECK(pcp_map_parse(&req, buf, PCP_MAX_LEN + 4, &a) == -1, "more than 1100 bytes is refused");

	n = answer(&req, buf, PCP_NO_RESOURCES);
	CHECK(pcp_map_parse(&req, buf, n, &a) == 0 && a.result == PCP_NO_RESOURCES &&
	      !strcmp(pcp_result_name(a.result), "no-resources"),
	      "an error answer with our nonce says which error");
	n = answer(&req, buf, PCP_NO_RESOURCES);
	CHECK(pcp_map_parse(&req, buf, 24, &a) == -1,
	      "an error that could name our request but does not show our nonce is refused");
	n = answer(&req, buf, PCP_UNSUPP_VERSION);
	CHECK(pcp_map_parse(&req, buf, 24, &a) == 0 && a.result == PCP_UNSUPP_VERSION,
	      "a header-only unsupported-version answer is taken");

	memcpy(buf, "\x00\x81\x00\x01" "\x00\x00\x00\x05", 8);
	CHECK(pcp_map_parse(&req, buf, 8, &a) == 0 && a.version == 0 &&
	      a.result == PCP_UNSUPP_VERSION,
	      "a NAT-PMP-only gateway's version 0 refusal is recognised");
	CHECK(!strcmp(pcp_result_name(200), "unknown"), "an unknown result has a name");

	{
		struct pcp_announce an;

		memset(buf, 0, 24);
		memcpy(buf, "\x02\x80\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x07", 12);
		CHECK(pcp_announce_parse(buf, 24, &an) == 0 && an.epoch == 7 && !an.has_address,
		      "a PCP ANNOUNCE answer gives the gateway's epoch");
		buf[3] = PCP_NO_RESOURCES;
		CHECK(pcp_announce_parse(buf, 24, &an) == -1, "an ANNOUNCE with an error is not one");
		buf[3] = 0;
		buf[1] = 0x81;
		CHECK(pcp_announce_parse(buf, 24, &an) == -1, "a MAP answer is not an announcement");
		buf[1] = 0x00;
		CHECK(pcp_announce_parse(buf, 24, &an) == -1,
		      "an ANNOUNCE request (no R bit) is not one");
		buf[1] = 0x80;
		CHECK(pcp_announce_parse(buf, 20, &an) == -1 &&
		      pcp_announce_parse(buf, 25, &an) == -1,
		      "an ANNOUNCE shorter than its header or not a multiple of 4 is refused");
		memcpy(buf + 24, "\x80\x00\x00\x09" "abcd", 8);
		CHECK(pcp_announce_parse(buf, 32, &an) == -1,
		      "an ANNOUNCE whose option runs past the end is refused");
		memcpy(buf, "\x00\x80\x00\x00" "\x00\x00\x01\x00" "\xc6\x33\x64\x01", 12);
		CHECK(pcp_announce_parse(buf, 12, &an) == 0 && an.epoch == 256 && an.has_address &&
		      !memcmp(an.address, "\xc6\x33\x64\x01", 4),
		      "a NAT-PMP public address announcement gives the epoch and the address");
		CHECK(pcp_announce_parse(buf, 11, &an) == -1 &&
		      pcp_announce_parse(buf, 16, &an) == -1,
		      "a NAT-PMP announcement is exactly 12 bytes");
		buf[3] = 3;
		CHECK(pcp_announce_parse(buf, 12, &an) == -1,
		      "a NAT-PMP announcement with an error is not one");
	}
	return ktap_finish();
}
