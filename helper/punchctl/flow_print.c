// SPDX-License-Identifier: GPL-2.0-or-later
/* How flows and mapping results look, for people and for JSON readers. */
#include <stdio.h>
#include <string.h>

#include "punchctl.h"

struct json_object *endpoint_json(const struct nfp_endpoint *ep)
{
	char buf[NFP_ENDPOINT_STRLEN];

	if (!ep->family)
		return NULL;
	return json_object_new_string(nfp_endpoint_format(ep, buf, sizeof(buf)));
}

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

struct json_object *flow_json(const struct nfp_flow *f)
{
	const struct nfp_flow_counters *c = &f->counters;
	struct json_object *o = json_object_new_object();
	struct json_object *peers = json_object_new_array();
	struct json_object *cnt = json_object_new_object();
	unsigned int i;

	add_u64(o, "id", f->id);
	json_object_object_add(o, "local", endpoint_json(&f->local));
	for (i = 0; i < f->n_peers; i++)
		json_object_array_add(peers, endpoint_json(&f->peers[i]));
	json_object_object_add(o, "peers", peers);
	json_object_object_add(o, "state",
			       json_object_new_string(nfp_state_name(f->state)));
	if (nfp_role_name(f->role))
		json_object_object_add(o, "role",
				       json_object_new_string(nfp_role_name(f->role)));
	if (f->state == NFP_STATE_DEAD)
		json_object_object_add(o, "dead_reason",
				       json_object_new_string(nfp_dead_reason_name(f->dead_reason)));
	json_object_object_add(o, "remote", endpoint_json(&f->remote));
	add_u64(o, "mark", f->mark);
	json_object_object_add(o, "owned",
			       json_object_new_boolean(f->flags & NFP_FLOW_OWNED));
	json_object_object_add(o, "passive",
			       json_object_new_boolean(f->flags & NFP_FLOW_PASSIVE));
	add_u64(o, "keepalive_ms", f->keepalive_ms);
	add_u64(o, "timeout_ms", f->timeout_ms);
	add_u64(o, "punch_timeout_ms", f->punch_timeout_ms);
	add_u64(o, "probe_interval_ms", f->probe_interval_ms);
	add_u64(o, "age_ms", f->age_ms);
	if (f->remote.family) {
		add_u64(o, "establish_ms", f->establish_ms);
		add_u64(o, "rtt_us", f->rtt_us);
		add_u64(o, "last_rx_ms", f->last_rx_ms);
	}
	add_u64(o, "last_tx_ms", f->last_tx_ms);
	add_u64(cnt, "probes_sent", c->probes_sent);
	add_u64(cnt, "probes_answered", c->probes_answered);
	add_u64(cnt, "probes_received", c->probes_received);
	add_u64(cnt, "auth_failures", c->auth_failures);
	add_u64(cnt, "keepalives", c->keepalives);
	add_u64(cnt, "rx_packets", c->rx_packets);
	add_u64(cnt, "rx_bytes", c->rx_bytes);
	add_u64(cnt, "tx_packets", c->tx_packets);
	add_u64(cnt, "tx_bytes", c->tx_bytes);
	json_object_object_add(o, "counters", cnt);
	return o;
}

void flow_print(const struct nfp_flow *f)
{
	const struct nfp_flow_counters *c = &f->counters;
	char ep[NFP_ENDPOINT_STRLEN], ka[16], to[16];
	unsigned int i;

	printf("flow %u local %s role %s state %s", f->id,
	       nfp_endpoint_format(&f->local, ep, sizeof(ep)),
	       nfp_role_name(f->role) ?: "unknown", nfp_state_name(f->state));
	if (f->state == NFP_STATE_DEAD)
		printf(" (%s)", nfp_dead_reason_name(f->dead_reason));
	if (f->remote.family)
		printf(" remote %s rtt %u.%03ums",
		       nfp_endpoint_format(&f->remote, ep, sizeof(ep)),
		       f->rtt_us / 1000, f->rtt_us % 1000);
	printf("\n    peers");
	for (i = 0; i < f->n_peers; i++)
		printf(" %s", nfp_endpoint_format(&f->peers[i], ep, sizeof(ep)));
	format_duration(f->keepalive_ms, ka, sizeof(ka));
	format_duration(f->timeout_ms, to, sizeof(to));
	printf("\n    keepalive %s timeout %s", ka, to);
	if (f->mark)
		printf(" mark 0x%x", f->mark);
	printf("%s%s age %ums",
	       f->flags & NFP_FLOW_OWNED ? " owned" : "",
	       f->flags & NFP_FLOW_PASSIVE ? " passive" : "", f->age_ms);
	if (f->remote.family)
		printf(" established-after %ums last-rx %ums", f->establish_ms,
		       f->last_rx_ms);
	printf(" last-tx %ums\n", f->last_tx_ms);
	printf("    probes sent %llu answered %llu received %llu auth-failures %llu keepalives %llu\n",
	       (unsigned long long)c->probes_sent,
	       (unsigned long long)c->probes_answered,
	       (unsigned long long)c->probes_received,
	       (unsigned long long)c->auth_failures,
	       (unsigned long long)c->keepalives);
	printf("    rx %llu packets %llu bytes tx %llu packets %llu bytes\n",
	       (unsigned long long)c->rx_packets, (unsigned long long)c->rx_bytes,
	       (unsigned long long)c->tx_packets, (unsigned long long)c->tx_bytes);
}

struct json_object *mapping_json(const struct nfp_mapping *m)
{
	struct json_object *o = json_object_new_object();

	add_u64(o, "id", m->id);
	json_object_object_add(o, "local", endpoint_json(&m->local));
	json_object_object_add(o, "server", endpoint_json(&m->server));
	json_object_object_add(o, "mapped", endpoint_json(&m->mapped));
	if (m->error)
		json_object_object_add(o, "error",
				       json_object_new_string(strerror(m->error)));
	if (m->stun_error)
		add_u64(o, "stun_error", m->stun_error);
	if ((!m->error || m->stun_error) && m->rtt_us)
		add_u64(o, "rtt_us", m->rtt_us);
	return o;
}

void mapping_print(const struct nfp_mapping *m)
{
	char l[NFP_ENDPOINT_STRLEN], s[NFP_ENDPOINT_STRLEN], p[NFP_ENDPOINT_STRLEN];

	printf("mapping %u local %s server %s ", m->id,
	       nfp_endpoint_format(&m->local, l, sizeof(l)),
	       nfp_endpoint_format(&m->server, s, sizeof(s)));
	if (m->error)
		printf("error %s", strerror(m->error));
	else
		printf("mapped %s", nfp_endpoint_format(&m->mapped, p, sizeof(p)));
	if (m->stun_error)
		printf(" stun-error %u", m->stun_error);
	if ((!m->error || m->stun_error) && m->rtt_us)
		printf(" rtt %u.%03ums", m->rtt_us / 1000, m->rtt_us % 1000);
	printf("\n");
}
