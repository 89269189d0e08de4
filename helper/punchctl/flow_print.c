// SPDX-License-Identifier: GPL-2.0-or-later
/* How flows and mapping results look, for people and for JSON readers. */
#include <stdio.h>
#include <string.h>

#include "punchctl.h"

struct json_object *endpoint_json(const struct nfp_endpoint *ep)
{
	char buf[NFP_ENDPOINT_STRLEN];

	if (!ep || !ep->family)
		return NULL;
	return json_object_new_string(nfp_endpoint_format(ep, buf, sizeof(buf)));
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* The counters, in the order people and JSON readers see them. */
static const struct {
	int attr;
	const char *key;
} counters[] = {
	{ NFP_FLOW_PROBES_SENT, "probes_sent" },
	{ NFP_FLOW_PROBES_ANSWERED, "probes_answered" },
	{ NFP_FLOW_PROBES_RECEIVED, "probes_received" },
	{ NFP_FLOW_AUTH_FAILURES, "auth_failures" },
	{ NFP_FLOW_KEEPALIVES, "keepalives" },
	{ NFP_FLOW_RX_PACKETS, "rx_packets" },
	{ NFP_FLOW_RX_BYTES, "rx_bytes" },
	{ NFP_FLOW_TX_PACKETS, "tx_packets" },
	{ NFP_FLOW_TX_BYTES, "tx_bytes" },
};

static struct json_object *endpoint_or_null(const struct nfp_endpoint *ep)
{
	return ep ? endpoint_json(ep) : NULL;
}

struct json_object *flow_json(const struct nfp_flow *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *peers = json_object_new_array();
	struct json_object *cnt = json_object_new_object();
	uint32_t state = nfp_flow_get_u32(f, NFP_FLOW_STATE);
	uint32_t role = nfp_flow_get_u32(f, NFP_FLOW_ROLE);
	uint32_t flags = nfp_flow_get_u32(f, NFP_FLOW_FLAGS);
	const struct nfp_endpoint *remote = nfp_flow_get_endpoint(f, NFP_FLOW_REMOTE);
	unsigned int i;

	add_u64(o, "id", nfp_flow_get_u32(f, NFP_FLOW_ID));
	json_object_object_add(o, "local",
			       endpoint_or_null(nfp_flow_get_endpoint(f, NFP_FLOW_LOCAL)));
	for (i = 0; i < nfp_flow_get_peer_count(f); i++)
		json_object_array_add(peers, endpoint_json(nfp_flow_get_peer(f, i)));
	json_object_object_add(o, "peers", peers);
	json_object_object_add(o, "state",
			       json_object_new_string(nfp_state_name(state)));
	if (nfp_role_name(role))
		json_object_object_add(o, "role",
				       json_object_new_string(nfp_role_name(role)));
	if (state == NFP_STATE_DEAD)
		json_object_object_add(o, "dead_reason", json_object_new_string(
			nfp_dead_reason_name(nfp_flow_get_u32(f, NFP_FLOW_DEAD_REASON))));
	json_object_object_add(o, "remote", endpoint_or_null(remote));
	add_u64(o, "mark", nfp_flow_get_u32(f, NFP_FLOW_MARK));
	add_u64(o, "tag", nfp_flow_get_u32(f, NFP_FLOW_APP_TAG));
	add_u64(o, "prime_ttl", nfp_flow_get_u32(f, NFP_FLOW_PRIME_TTL));
	add_u64(o, "prime_ms", nfp_flow_get_u32(f, NFP_FLOW_PRIME_MS));
	json_object_object_add(o, "owned",
			       json_object_new_boolean(flags & NFP_FLOW_F_OWNED));
	json_object_object_add(o, "passive",
			       json_object_new_boolean(flags & NFP_FLOW_F_PASSIVE));
	json_object_object_add(o, "candidate",
			       json_object_new_boolean(flags & NFP_FLOW_F_CANDIDATE));
	add_u64(o, "keepalive_ms", nfp_flow_get_u32(f, NFP_FLOW_KEEPALIVE_MS));
	add_u64(o, "timeout_ms", nfp_flow_get_u32(f, NFP_FLOW_TIMEOUT_MS));
	add_u64(o, "punch_timeout_ms", nfp_flow_get_u32(f, NFP_FLOW_PUNCH_TIMEOUT_MS));
	add_u64(o, "probe_interval_ms", nfp_flow_get_u32(f, NFP_FLOW_PROBE_INTERVAL_MS));
	add_u64(o, "age_ms", nfp_flow_get_u32(f, NFP_FLOW_AGE_MS));
	if (remote) {
		add_u64(o, "establish_ms", nfp_flow_get_u32(f, NFP_FLOW_ESTABLISH_MS));
		add_u64(o, "rtt_us", nfp_flow_get_u32(f, NFP_FLOW_RTT_US));
		add_u64(o, "last_rx_ms", nfp_flow_get_u32(f, NFP_FLOW_LAST_RX_MS));
	}
	add_u64(o, "last_tx_ms", nfp_flow_get_u32(f, NFP_FLOW_LAST_TX_MS));
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		add_u64(cnt, counters[i].key, nfp_flow_get_u64(f, counters[i].attr));
	json_object_object_add(o, "counters", cnt);
	return o;
}

static unsigned long long cnt(const struct nfp_flow *f, int attr)
{
	return (unsigned long long)nfp_flow_get_u64(f, attr);
}

void flow_print(const struct nfp_flow *f)
{
	const struct nfp_endpoint *local = nfp_flow_get_endpoint(f, NFP_FLOW_LOCAL);
	const struct nfp_endpoint *remote = nfp_flow_get_endpoint(f, NFP_FLOW_REMOTE);
	uint32_t state = nfp_flow_get_u32(f, NFP_FLOW_STATE);
	uint32_t flags = nfp_flow_get_u32(f, NFP_FLOW_FLAGS);
	uint32_t mark = nfp_flow_get_u32(f, NFP_FLOW_MARK);
	uint32_t tag = nfp_flow_get_u32(f, NFP_FLOW_APP_TAG);
	char ep[NFP_ENDPOINT_STRLEN], ka[16], to[16];
	unsigned int i;

	printf("flow %u local %s role %s state %s", nfp_flow_get_u32(f, NFP_FLOW_ID),
	       local ? nfp_endpoint_format(local, ep, sizeof(ep)) : "-",
	       nfp_role_name(nfp_flow_get_u32(f, NFP_FLOW_ROLE)) ?: "unknown",
	       nfp_state_name(state));
	if (state == NFP_STATE_DEAD)
		printf(" (%s)", nfp_dead_reason_name(nfp_flow_get_u32(f, NFP_FLOW_DEAD_REASON)));
	if (remote) {
		uint32_t rtt = nfp_flow_get_u32(f, NFP_FLOW_RTT_US);

		printf(" remote %s rtt %u.%03ums",
		       nfp_endpoint_format(remote, ep, sizeof(ep)),
		       rtt / 1000, rtt % 1000);
	}
	printf("\n    peers");
	for (i = 0; i < nfp_flow_get_peer_count(f); i++)
		printf(" %s", nfp_endpoint_format(nfp_flow_get_peer(f, i), ep, sizeof(ep)));
	format_duration(nfp_flow_get_u32(f, NFP_FLOW_KEEPALIVE_MS), ka, sizeof(ka));
	format_duration(nfp_flow_get_u32(f, NFP_FLOW_TIMEOUT_MS), to, sizeof(to));
	printf("\n    keepalive %s timeout %s", ka, to);
	if (mark)
		printf(" mark 0x%x", mark);
	if (tag)
		printf(" tag %u", tag);
	if (nfp_flow_get_u32(f, NFP_FLOW_PRIME_TTL))
		printf(" prime-ttl %u prime-time %ums",
		       nfp_flow_get_u32(f, NFP_FLOW_PRIME_TTL),
		       nfp_flow_get_u32(f, NFP_FLOW_PRIME_MS));
	printf("%s%s%s age %ums",
	       flags & NFP_FLOW_F_OWNED ? " owned" : "",
	       flags & NFP_FLOW_F_PASSIVE ? " passive" : "",
	       flags & NFP_FLOW_F_CANDIDATE ? " candidate" : "",
	       nfp_flow_get_u32(f, NFP_FLOW_AGE_MS));
	if (remote)
		printf(" established-after %ums last-rx %ums",
		       nfp_flow_get_u32(f, NFP_FLOW_ESTABLISH_MS),
		       nfp_flow_get_u32(f, NFP_FLOW_LAST_RX_MS));
	printf(" last-tx %ums\n", nfp_flow_get_u32(f, NFP_FLOW_LAST_TX_MS));
	printf("    probes sent %llu answered %llu received %llu auth-failures %llu keepalives %llu\n",
	       cnt(f, NFP_FLOW_PROBES_SENT), cnt(f, NFP_FLOW_PROBES_ANSWERED),
	       cnt(f, NFP_FLOW_PROBES_RECEIVED), cnt(f, NFP_FLOW_AUTH_FAILURES),
	       cnt(f, NFP_FLOW_KEEPALIVES));
	printf("    rx %llu packets %llu bytes tx %llu packets %llu bytes\n",
	       cnt(f, NFP_FLOW_RX_PACKETS), cnt(f, NFP_FLOW_RX_BYTES),
	       cnt(f, NFP_FLOW_TX_PACKETS), cnt(f, NFP_FLOW_TX_BYTES));
}

struct json_object *mapping_json(const struct nfp_mapping *m)
{
	struct json_object *o = json_object_new_object();
	uint32_t error = nfp_mapping_get_u32(m, NFP_MAPPING_ERROR);
	uint32_t stun_error = nfp_mapping_get_u32(m, NFP_MAPPING_STUN_ERROR);
	uint32_t rtt = nfp_mapping_get_u32(m, NFP_MAPPING_RTT_US);

	add_u64(o, "id", nfp_mapping_get_u32(m, NFP_MAPPING_ID));
	json_object_object_add(o, "local",
			       endpoint_or_null(nfp_mapping_get_endpoint(m, NFP_MAPPING_LOCAL)));
	json_object_object_add(o, "server",
			       endpoint_or_null(nfp_mapping_get_endpoint(m, NFP_MAPPING_SERVER)));
	json_object_object_add(o, "mapped",
			       endpoint_or_null(nfp_mapping_get_endpoint(m, NFP_MAPPING_MAPPED)));
	if (error)
		json_object_object_add(o, "error",
				       json_object_new_string(strerror(error)));
	if (stun_error)
		add_u64(o, "stun_error", stun_error);
	if ((!error || stun_error) && rtt)
		add_u64(o, "rtt_us", rtt);
	add_u64(o, "mark", nfp_mapping_get_u32(m, NFP_MAPPING_MARK));
	return o;
}

static const char *ep_text(const struct nfp_endpoint *ep, char *buf, size_t len)
{
	return ep ? nfp_endpoint_format(ep, buf, len) : "-";
}

void mapping_print(const struct nfp_mapping *m)
{
	char l[NFP_ENDPOINT_STRLEN], s[NFP_ENDPOINT_STRLEN], p[NFP_ENDPOINT_STRLEN];
	uint32_t error = nfp_mapping_get_u32(m, NFP_MAPPING_ERROR);
	uint32_t stun_error = nfp_mapping_get_u32(m, NFP_MAPPING_STUN_ERROR);
	uint32_t rtt = nfp_mapping_get_u32(m, NFP_MAPPING_RTT_US);

	printf("mapping %u local %s server %s ", nfp_mapping_get_u32(m, NFP_MAPPING_ID),
	       ep_text(nfp_mapping_get_endpoint(m, NFP_MAPPING_LOCAL), l, sizeof(l)),
	       ep_text(nfp_mapping_get_endpoint(m, NFP_MAPPING_SERVER), s, sizeof(s)));
	if (error)
		printf("error %s", strerror(error));
	else
		printf("mapped %s",
		       ep_text(nfp_mapping_get_endpoint(m, NFP_MAPPING_MAPPED), p, sizeof(p)));
	if (stun_error)
		printf(" stun-error %u", stun_error);
	if ((!error || stun_error) && rtt)
		printf(" rtt %u.%03ums", rtt / 1000, rtt % 1000);
	if (nfp_mapping_get_u32(m, NFP_MAPPING_MARK))
		printf(" mark 0x%x", nfp_mapping_get_u32(m, NFP_MAPPING_MARK));
	printf("\n");
}
