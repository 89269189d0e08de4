// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "punchd status": the server link, our NAT and every peer, as lines for
 * people or (status -j) as one JSON document for programs. The JSON keys
 * are a contract, documented in punchd(8) and checked by the tests: add
 * keys, never rename or drop one.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "punchd.h"

/* The priming TTL for flows from our punch address. */
static unsigned int prime_ttl(void)
{
	struct nfp_endpoint local;

	return pd_link_local(&local) ? 0 : pd_hops_prime_ttl(local.family);
}

static void peer_line(const struct pd_peer *p, void *arg)
{
	char ep[SIG_EP_STRLEN], local[NFP_ENDPOINT_STRLEN], nat[PD_NAT_STRLEN];
	int fd = *(int *)arg;

	pd_reply(fd, "peer %s state=%s mode=%s endpoint=%s flow=%u strategy=%s why=%s peer_nat=%s local=%s probes=%llu\n",
		 p->name, pd_state_name(p->state),
		 p->relayed ? "relay" : "direct",
		 p->state == PD_UP ? sig_ep_format(&p->remote, ep, sizeof(ep)) : "-",
		 pd_peer_path_flow(p), pd_strategy_name(p->strategy),
		 p->why ? p->why : "-",
		 pd_nat_format(&p->their_nat, nat, sizeof(nat)),
		 p->local.family ? nfp_endpoint_format(&p->local, local,
						       sizeof(local)) : "-",
		 (unsigned long long)pd_peer_probes(p));
}

void pd_status_nat(int fd)
{
	char nat[PD_NAT_STRLEN];
	unsigned int lo, hi;
	struct pd_nat mine;
	bool known = pd_nat_mine(&mine);

	pd_reply(fd, "nat %s mapping=%s filtering=%s allocation=%s delta=%d",
		 known ? pd_nat_format(&mine, nat, sizeof(nat)) :
		 pd_nat_busy() ? "discovering" : "unknown",
		 pd_nat_map_name(mine.map), pd_nat_filter_name(mine.filter),
		 pd_nat_alloc_name(mine.alloc), mine.delta);
	if (pd_nat_lifetime(&lo, &hi))
		pd_reply(fd, " lifetime=%u-%s", lo, hi ? "" : "inf");
	if (pd_nat_lifetime(&lo, &hi) && hi)
		pd_reply(fd, "%u", hi);
	pd_reply(fd, " keepalive_ms=%u prime_ttl=%u\n", pd_keepalive_ms(),
		 prime_ttl());
}

void pd_status_text(int fd)
{
	struct pd_portmap_info pm;
	char ep[SIG_EP_STRLEN];

	pd_reply(fd, "server %s %s\n", pd_cfg.server,
		 pd_link_up() ? "registered" : "unreachable");
	pd_status_nat(fd);
	pd_portmap_info(&pm);
	if (pm.method)
		pd_reply(fd, "portmap %s method=%s external=%s lifetime_s=%u\n", pm.state,
			 pm.method, sig_ep_format(&pm.external, ep, sizeof(ep)),
			 pm.lifetime_s);
	else
		pd_reply(fd, "portmap %s\n", pm.state);
	pd_peers_each(peer_line, &fd);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *nat_json(void)
{
	json_object *o = json_object_new_object(), *life = NULL;
	char nat[PD_NAT_STRLEN];
	unsigned int lo, hi;
	struct pd_nat mine;
	bool known = pd_nat_mine(&mine);

	json_object_object_add(o, "type", known ?
			       json_object_new_string(pd_nat_format(&mine, nat, sizeof(nat))) :
			       NULL);
	json_object_object_add(o, "discovering", json_object_new_boolean(pd_nat_busy()));
	json_object_object_add(o, "mapping", json_object_new_string(pd_nat_map_name(mine.map)));
	json_object_object_add(o, "filtering",
			       json_object_new_string(pd_nat_filter_name(mine.filter)));
	json_object_object_add(o, "allocation",
			       json_object_new_string(pd_nat_alloc_name(mine.alloc)));
	json_object_object_add(o, "delta", json_object_new_int(mine.delta));
	/* Seconds a mapping outlived (min) and did not (max, null: every check). */
	if (pd_nat_lifetime(&lo, &hi)) {
		life = json_object_new_object();
		json_object_object_add(life, "min_s", json_object_new_int64(lo));
		json_object_object_add(life, "max_s", hi ? json_object_new_int64(hi) : NULL);
	}
	json_object_object_add(o, "lifetime", life);
	json_object_object_add(o, "keepalive_ms", json_object_new_int64(pd_keepalive_ms()));
	json_object_object_add(o, "prime_ttl",
			       json_object_new_int64(prime_ttl()));
	return o;
}

static json_object *portmap_json(void)
{
	json_object *o = json_object_new_object();
	struct pd_portmap_info pm;
	char ep[SIG_EP_STRLEN];

	pd_portmap_info(&pm);
	json_object_object_add(o, "state", json_object_new_string(pm.state));
	json_object_object_add(o, "method", str_or_null(pm.method));
	json_object_object_add(o, "external", pm.method ?
			       json_object_new_string(sig_ep_format(&pm.external, ep,
								    sizeof(ep))) : NULL);
	json_object_object_add(o, "lifetime_s", pm.method ?
			       json_object_new_int64(pm.lifetime_s) : NULL);
	return o;
}

/* What the module knows of the peer's path: rtt and traffic. */
static void flow_json(json_object *o, const struct pd_peer *p)
{
	uint32_t id = pd_peer_path_flow(p);
	struct nfp_flow *f = id ? nfp_flow_alloc() : NULL;
	bool have = f && nfp_flow_lookup(pd_nfp, id, f) == 0;
	const struct {
		const char *key;
		int attr;
	} c[] = {
		{ "rx_packets", NFP_FLOW_RX_PACKETS }, { "rx_bytes", NFP_FLOW_RX_BYTES },
		{ "tx_packets", NFP_FLOW_TX_PACKETS }, { "tx_bytes", NFP_FLOW_TX_BYTES },
	};
	unsigned int i;

	json_object_object_add(o, "rtt_us", have && nfp_flow_has(f, NFP_FLOW_RTT_US) ?
			       json_object_new_int64(nfp_flow_get_u32(f, NFP_FLOW_RTT_US)) :
			       NULL);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		json_object_object_add(o, c[i].key,
				       json_object_new_uint64(have ? nfp_flow_get_u64(f, c[i].attr) : 0));
	nfp_flow_free(f);
}

static void peer_json(const struct pd_peer *p, void *arg)
{
	char ep[SIG_EP_STRLEN] = "", relay[SIG_EP_STRLEN] = "";
	char local[NFP_ENDPOINT_STRLEN], nat[PD_NAT_STRLEN];
	json_object *o = json_object_new_object();
	bool up = p->state == PD_UP;
	bool via_relay = p->relayed && p->relay.family &&
			 (up || p->state == PD_RELAYING);

	if (p->remote.family)
		sig_ep_format(&p->remote, ep, sizeof(ep));
	if (via_relay)
		sig_ep_format(&p->relay, relay, sizeof(relay));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "state", json_object_new_string(pd_state_name(p->state)));
	json_object_object_add(o, "mode", json_object_new_string(p->relayed ? "relay" : "direct"));
	json_object_object_add(o, "endpoint", up && p->remote.family ?
			       json_object_new_string(ep) : NULL);
	/* The relay's port for us, while the path goes through it. */
	json_object_object_add(o, "relay", via_relay ? json_object_new_string(relay) : NULL);
	json_object_object_add(o, "local", p->local.family ?
			       json_object_new_string(nfp_endpoint_format(&p->local, local,
									  sizeof(local))) :
			       NULL);
	json_object_object_add(o, "flow", pd_peer_path_flow(p) ?
			       json_object_new_int64(pd_peer_path_flow(p)) : NULL);
	/* Chosen once both NATs are known: with its reason. */
	json_object_object_add(o, "strategy", p->why ?
			       json_object_new_string(pd_strategy_name(p->strategy)) : NULL);
	json_object_object_add(o, "why", str_or_null(p->why));
	json_object_object_add(o, "peer_nat",
			       json_object_new_string(pd_nat_format(&p->their_nat, nat,
								    sizeof(nat))));
	json_object_object_add(o, "since_ms", json_object_new_uint64(pd_now_ms() - p->since));
	/* Not measured for a path found again after a restart. */
	json_object_object_add(o, "up_ms", up && p->up_ms ?
			       json_object_new_int64(p->up_ms) : NULL);
	json_object_object_add(o, "attempts", json_object_new_int64(p->attempts));
	/* Relay first: agreed for this session; when direct is tried again. */
	json_object_object_add(o, "relay_first", json_object_new_boolean(p->relay_first));
	json_object_object_add(o, "upgrade_in_ms", p->upgrade_at ?
			       json_object_new_int64(p->upgrade_at > pd_now_ms() ?
						     (int64_t)(p->upgrade_at - pd_now_ms()) : 0) :
			       NULL);
	json_object_object_add(o, "probes", json_object_new_uint64(pd_peer_probes(p)));
	flow_json(o, p);
	json_object_array_add(arg, o);
}

void pd_status_json(int fd)
{
	json_object *doc = json_object_new_object(), *server = json_object_new_object();
	json_object *peers = json_object_new_array();
	const char *text;
	char *line;

	json_object_object_add(server, "address", json_object_new_string(pd_cfg.server));
	json_object_object_add(server, "registered", json_object_new_boolean(pd_link_up()));
	json_object_object_add(doc, "id", json_object_new_string(pd_cfg.id));
	json_object_object_add(doc, "tag", json_object_new_int64(pd_cfg.tag));
	json_object_object_add(doc, "server", server);
	json_object_object_add(doc, "nat", nat_json());
	json_object_object_add(doc, "portmap", portmap_json());
	pd_peers_each(peer_json, peers);
	json_object_object_add(doc, "peers", peers);
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	line = text ? malloc(strlen(text) + 2) : NULL;
	if (line) {
		sprintf(line, "%s\n", text);
		pd_reply_all(fd, line, strlen(line));
	} else {
		pd_reply(fd, "error reason=out-of-memory\n");
	}
	free(line);
	json_object_put(doc);
}
