// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libnfpunch's objects without a kernel: what a setter takes and refuses,
 * what a getter answers for an attribute it does not know (a program
 * built against a newer header), peers past any fixed size, deep clones,
 * reuse (reset, unset), and secrets in hex.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "libnfpunch.h"
#include "ktap.h"

static void flows(void)
{
	struct nfp_flow *f = nfp_flow_alloc(), *c;
	struct nfp_endpoint ep, local;
	unsigned int i;
	int ok;

	CHECK(f != NULL, "a flow is allocated");
	if (!f)
		return;
	CHECK(nfp_flow_get_endpoint(f, NFP_FLOW_LOCAL) == NULL &&
	      !nfp_flow_has(f, NFP_FLOW_LOCAL) && nfp_flow_get_peer_count(f) == 0,
	      "a new flow has no local endpoint and no peers");
	CHECK(nfp_flow_set_u32(f, NFP_FLOW_KEEPALIVE_MS, 5000) == 0 &&
	      nfp_flow_get_u32(f, NFP_FLOW_KEEPALIVE_MS) == 5000 &&
	      nfp_flow_has(f, NFP_FLOW_KEEPALIVE_MS),
	      "a settable attribute reads back and counts as set");
	CHECK(nfp_flow_set_u32(f, NFP_FLOW_RTT_US, 1) == -EINVAL &&
	      nfp_flow_set_u32(f, NFP_FLOW_DEAD_REASON, 1) == -EINVAL &&
	      !nfp_flow_has(f, NFP_FLOW_RTT_US),
	      "what only the kernel reports cannot be set");
	CHECK(nfp_flow_set_u32(f, NFP_FLOW_ROLE, 7) == -EINVAL &&
	      nfp_flow_set_u32(f, NFP_FLOW_STATE, 9) == -EINVAL,
	      "a role or state out of range is refused");
	CHECK(nfp_flow_set_u32(f, 4242, 1) == -EINVAL &&
	      nfp_flow_get_u32(f, 4242) == 0 && nfp_flow_get_u64(f, 4242) == 0 &&
	      nfp_flow_get_endpoint(f, 4242) == NULL && !nfp_flow_has(f, 4242) &&
	      nfp_flow_get_u32(f, -1) == 0 && !nfp_flow_has(f, 128) &&
	      !nfp_flow_has(f, -1),
	      "an unknown attribute: setters refuse, getters answer 0 or NULL");
	CHECK(nfp_flow_get_u64(f, NFP_FLOW_KEEPALIVE_MS) == 0 &&
	      nfp_flow_get_u32(f, NFP_FLOW_RX_BYTES) == 0,
	      "a getter of the wrong type answers 0");
	memset(&ep, 0, sizeof(ep));
	CHECK(nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &ep) == -EINVAL &&
	      nfp_flow_add_peer(f, &ep) == -EINVAL,
	      "an endpoint without a family is refused");
	nfp_endpoint_parse("192.0.2.1:4000", &local, 0);
	CHECK(nfp_flow_set_endpoint(f, NFP_FLOW_REMOTE, &local) == -EINVAL,
	      "the remote endpoint is the kernel's to report");
	CHECK(nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local) == 0 &&
	      nfp_flow_get_endpoint(f, NFP_FLOW_LOCAL)->port == 4000,
	      "the local endpoint reads back");
	ok = 1;
	for (i = 0; i < 100; i++) {
		nfp_endpoint_parse("198.51.100.7:5000", &ep, 0);
		ep.port = (uint16_t)(5000 + i);
		ok &= nfp_flow_add_peer(f, &ep) == 0;
	}
	CHECK(ok && nfp_flow_get_peer_count(f) == 100 &&
	      nfp_flow_get_peer(f, 99)->port == 5099 && nfp_flow_get_peer(f, 100) == NULL,
	      "100 peers (no fixed array: the kernel sets the limit)");
	CHECK(nfp_flow_set_secret(f, "0123456789abcdef", 16) == 0 &&
	      nfp_flow_set_secret(f, "", 0) == -EINVAL,
	      "a secret is taken, an empty one refused");
	CHECK(nfp_flow_unset(f, NFP_FLOW_MARK) == 0 &&
	      nfp_flow_set_u32(f, NFP_FLOW_MARK, 7) == 0 &&
	      nfp_flow_unset(f, NFP_FLOW_MARK) == 0 &&
	      !nfp_flow_has(f, NFP_FLOW_MARK) && nfp_flow_get_u32(f, NFP_FLOW_MARK) == 0 &&
	      nfp_flow_unset(f, 4242) == -EINVAL,
	      "unset forgets an attribute (and an unset one is no error)");
	CHECK(!nfp_flow_has(f, NFP_FLOW_APP_TAG) && nfp_flow_get_u32(f, NFP_FLOW_APP_TAG) == 0 &&
	      nfp_flow_set_u32(f, NFP_FLOW_APP_TAG, 0xfeedbeef) == 0 &&
	      nfp_flow_has(f, NFP_FLOW_APP_TAG) &&
	      nfp_flow_get_u32(f, NFP_FLOW_APP_TAG) == 0xfeedbeef,
	      "the app tag (1.1) is a settable u32, 0 until set");
	c = nfp_flow_clone(f);
	nfp_flow_reset(f);
	CHECK(nfp_flow_get_peer_count(f) == 0 && !nfp_flow_has(f, NFP_FLOW_LOCAL) &&
	      !nfp_flow_has(f, NFP_FLOW_KEEPALIVE_MS) &&
	      nfp_flow_add_peer(f, &local) == 0 && nfp_flow_get_peer_count(f) == 1,
	      "reset empties a flow for another use");
	nfp_flow_free(f);
	CHECK(c && nfp_flow_get_peer_count(c) == 100 &&
	      nfp_flow_get_peer(c, 42)->port == 5042 &&
	      nfp_flow_get_u32(c, NFP_FLOW_KEEPALIVE_MS) == 5000,
	      "a clone outlives the original, peers included");
	nfp_flow_free(c);
	nfp_flow_free(NULL);
}

static void secrets(void)
{
	uint8_t out[NFP_SECRET_MAX], small[16];

	CHECK(nfp_secret_parse("000102030405060708090a0b0c0d0e0f", out, sizeof(out)) == 16 &&
	      out[15] == 15, "a 16-byte secret in hex");
	CHECK(nfp_secret_parse("000102030405060708090a0b0c0d0e", out, sizeof(out)) == -EINVAL &&
	      nfp_secret_parse("zz0102030405060708090a0b0c0d0e0f", out, sizeof(out)) == -EINVAL,
	      "15 bytes, or a bad digit: refused");
	CHECK(nfp_secret_parse("000102030405060708090a0b0c0d0e0f1011", small, sizeof(small)) ==
	      -ENOSPC, "18 bytes into a 16-byte buffer: -ENOSPC, nothing written past it");
}

static void others(void)
{
	struct nfp_config *cfg = nfp_config_alloc();
	struct nfp_mapping *m = nfp_mapping_alloc();
	struct nfp_stats *st = nfp_stats_alloc();

	CHECK(cfg && m && st, "config, mapping and stats objects are allocated");
	if (!cfg || !m || !st)
		return;
	CHECK(nfp_config_set_u32(cfg, NFP_CONFIG_PPS, 200) == 0 &&
	      nfp_config_get_u32(cfg, NFP_CONFIG_PPS) == 200 &&
	      nfp_config_set_u32(cfg, 99, 1) == -EINVAL &&
	      nfp_config_get_u32(cfg, 99) == 0,
	      "config: a known key is set, an unknown one refused");
	CHECK(nfp_mapping_get_endpoint(m, NFP_MAPPING_MAPPED) == NULL &&
	      nfp_mapping_get_u32(m, NFP_MAPPING_ERROR) == 0 &&
	      nfp_mapping_get_u32(m, 99) == 0,
	      "an empty mapping result has no endpoints");
	{
		struct nfp_endpoint ep = { 0 };
		struct nfp_mapping *c;

		CHECK(nfp_endpoint_parse("192.0.2.1:3478", &ep, 0) == 0 &&
		      nfp_mapping_set_endpoint(m, NFP_MAPPING_SERVER, &ep) == 0 &&
		      nfp_mapping_set_endpoint(m, NFP_MAPPING_MAPPED, &ep) == -EINVAL &&
		      nfp_mapping_set_u32(m, NFP_MAPPING_MARK, 0xca6c) == 0 &&
		      nfp_mapping_set_u32(m, NFP_MAPPING_TIMEOUT_MS, 500) == 0 &&
		      nfp_mapping_set_u32(m, NFP_MAPPING_ERROR, 1) == -EINVAL &&
		      nfp_mapping_set_u32(m, 99, 1) == -EINVAL,
		      "a mapping query: its endpoints, mark and timeout are set, results are not");
		c = nfp_mapping_clone(m);
		CHECK(c && nfp_mapping_get_u32(c, NFP_MAPPING_MARK) == 0xca6c &&
		      nfp_mapping_get_u32(c, NFP_MAPPING_TIMEOUT_MS) == 500 &&
		      nfp_mapping_get_u32(c, NFP_MAPPING_ERROR) == 0 &&
		      nfp_mapping_get_endpoint(c, NFP_MAPPING_SERVER) &&
		      nfp_mapping_get_endpoint(c, NFP_MAPPING_SERVER)->port == 3478 &&
		      !nfp_mapping_get_endpoint(c, NFP_MAPPING_LOCAL) &&
		      !nfp_mapping_get_endpoint(c, NFP_MAPPING_MAPPED),
		      "a clone of the query reads back what was set, and only that");
		nfp_mapping_free(c);
	}
	CHECK(strcmp(nfp_stats_get_version(st), "") == 0 &&
	      nfp_stats_get_u64(st, NFP_STATS_FLOWS) == 0 &&
	      nfp_stats_get_u64(st, 99) == 0,
	      "empty statistics read as zero");
	CHECK(strcmp(nfp_event_name(NFP_EVENT_EXISTS), "exists") == 0 &&
	      strcmp(nfp_event_name(77), "unknown") == 0,
	      "event names, an unknown one included");
	nfp_config_free(cfg);
	nfp_mapping_free(m);
	nfp_stats_free(st);
}

int main(void)
{
	ktap_start();
	flows();
	secrets();
	others();
	return ktap_finish();
}
