/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnfpunch - drive the nfpunch kernel module from a program.
 *
 * Errors: every function returning int returns 0 (or a count) on success and
 * a negative errno on failure; nfp_strerror() then gives the kernel's own
 * explanation (its extended ack message) when there was one.
 *
 * Threads and descriptors: a handle owns one netlink socket and is not
 * thread-safe; use one handle per thread. The handle acts in the network
 * namespace the calling thread was in when nfp_open() ran.
 *
 * No libnl type appears here, so callers do not depend on libnl.
 */
#ifndef LIBNFPUNCH_H
#define LIBNFPUNCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nfp_handle;

/* Connect to the module (the kernel loads it on demand when it can). */
int nfp_open(struct nfp_handle **hp);
void nfp_close(struct nfp_handle *h);

/*
 * Text for the last failure on this handle: the kernel's extended ack
 * message when it sent one, otherwise strerror() of the error.
 */
const char *nfp_strerror(const struct nfp_handle *h);

struct nfp_stats {
	char version[32];	/* module version */
	uint32_t flows;		/* flows alive in this namespace */
	uint32_t mappings;	/* mapping queries pending */
	uint64_t probes_sent;	/* STUN packets the module sent */
	uint64_t throttled;	/* sends deferred by the pps cap */
	uint64_t auth_failures;	/* STUN for a flow with a wrong key */
	uint64_t unknown_flow;	/* nfpunch STUN that matched no flow */
};

int nfp_stats_get(struct nfp_handle *h, struct nfp_stats *st);

/* An address (AF_INET or AF_INET6) with a port or a range of ports. */
struct nfp_endpoint {
	int family;		/* AF_INET, AF_INET6; 0 when absent */
	uint8_t addr[16];	/* network order; 4 bytes used for IPv4 */
	uint16_t port;		/* host order */
	uint16_t port_max;	/* last port of a range; 0 or == port: none */
};

#define NFP_MAX_PEERS	32
#define NFP_SECRET_MIN	16
#define NFP_SECRET_MAX	32

enum nfp_state {
	NFP_STATE_PUNCHING = 1,
	NFP_STATE_ESTABLISHED,
	NFP_STATE_DEAD,
};

enum nfp_dead_reason {
	NFP_DEAD_NONE,
	NFP_DEAD_PUNCH_TIMEOUT,
	NFP_DEAD_PEER_TIMEOUT,
};

/*
 * The two sides of a session hold opposite roles (the caller controls):
 * each direction's probes have their own key and tag, derived from the
 * secret, so nothing a flow sends can come back as its peer's.
 */
enum nfp_role {
	NFP_ROLE_CONTROLLING = 1,
	NFP_ROLE_CONTROLLED,
};

#define NFP_FLOW_OWNED	1u	/* dies with the handle that created it */
#define NFP_FLOW_PASSIVE 2u	/* never probes first; answers the peer's probes */

struct nfp_flow_counters {
	uint64_t probes_sent, probes_answered, probes_received;
	uint64_t auth_failures, keepalives;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

/*
 * A flow. To add one, fill local, peers, secret, role and optionally the
 * times (0: the namespace's default) and flags; the rest is what the
 * kernel reports.
 */
struct nfp_flow {
	uint32_t id;
	struct nfp_endpoint local;
	struct nfp_endpoint peers[NFP_MAX_PEERS];
	unsigned int n_peers;
	uint8_t secret[NFP_SECRET_MAX];
	unsigned int secret_len;
	uint32_t keepalive_ms, timeout_ms, punch_timeout_ms, probe_interval_ms;
	uint32_t flags;
	int role;			/* enum nfp_role; required */
	uint32_t mark;			/* fwmark of the module's packets; 0: none */

	int state;			/* enum nfp_state */
	int dead_reason;		/* enum nfp_dead_reason */
	struct nfp_endpoint remote;	/* family 0 until established */
	uint32_t rtt_us;
	uint32_t age_ms, establish_ms, last_rx_ms, last_tx_ms;
	struct nfp_flow_counters counters;
};

const char *nfp_state_name(int state);
/* "controlling", "controlled", or NULL; and back (-EINVAL if unknown). */
const char *nfp_role_name(int role);
int nfp_role_parse(const char *name);
const char *nfp_dead_reason_name(int reason);

/* Add a flow; on success out (may be NULL) receives the kernel's view. */
int nfp_flow_add(struct nfp_handle *h, const struct nfp_flow *flow,
		 struct nfp_flow *out);
int nfp_flow_del(struct nfp_handle *h, uint32_t id);
/* Delete every flow of a local endpoint. */
int nfp_flow_del_local(struct nfp_handle *h, const struct nfp_endpoint *local);
int nfp_flow_get(struct nfp_handle *h, uint32_t id, struct nfp_flow *out);

/* Change a flow: 0 leaves a time as it is; repunch restarts punching. */
int nfp_flow_set(struct nfp_handle *h, uint32_t id, uint32_t keepalive_ms,
		 uint32_t timeout_ms, int repunch, struct nfp_flow *out);

struct nfp_flow_filter {
	struct nfp_endpoint local;	/* family 0: any */
	int state;			/* 0: any */
};

/*
 * Call fn for each flow (filter may be NULL). Returns the number of
 * flows, a negative errno, or what fn returned when it was negative.
 * -EINTR means the flow set changed during the dump: dump again.
 */
int nfp_flow_dump(struct nfp_handle *h, const struct nfp_flow_filter *filter,
		  int (*fn)(const struct nfp_flow *flow, void *arg), void *arg);

struct nfp_config {
	uint32_t max_flows, pps;
	uint32_t keepalive_ms, timeout_ms, punch_timeout_ms, probe_interval_ms;
};

int nfp_config_get(struct nfp_handle *h, struct nfp_config *cfg);
/* Fields left 0 are not changed; cfg receives the resulting config. */
int nfp_config_set(struct nfp_handle *h, struct nfp_config *cfg);

struct nfp_mapping {
	uint32_t id;
	struct nfp_endpoint local, server;
	struct nfp_endpoint mapped;	/* family 0 on error */
	int error;			/* 0 or a positive errno */
	uint16_t stun_error;		/* the server's STUN error code */
	uint32_t rtt_us;		/* 0: unknown (the request was resent) */
};

/*
 * Ask server which public endpoint local maps to; the module sends the
 * request from the local port. The asynchronous form returns the query
 * id (>0); the result arrives as an NFP_EVENT_MAPPING. The blocking form
 * waits for it (at most timeout_ms, default 3000) and returns 0 with
 * result filled, error included.
 */
int nfp_mapping_start(struct nfp_handle *h, const struct nfp_endpoint *local,
		      const struct nfp_endpoint *server, uint32_t timeout_ms);
int nfp_mapping_query(struct nfp_handle *h, const struct nfp_endpoint *local,
		      const struct nfp_endpoint *server, uint32_t timeout_ms,
		      struct nfp_mapping *result);

enum nfp_event_type {
	NFP_EVENT_ESTABLISHED = 1,
	NFP_EVENT_REMOTE_CHANGED,
	NFP_EVENT_DEAD,
	NFP_EVENT_DELETED,
	NFP_EVENT_MAPPING = 100,
};

struct nfp_event {
	int type;			/* enum nfp_event_type */
	struct nfp_flow flow;		/* flow events */
	struct nfp_mapping mapping;	/* NFP_EVENT_MAPPING */
};

const char *nfp_event_name(int type);

/*
 * Events of this namespace. nfp_events_fd() is pollable; each call of
 * nfp_events_read() reads what is queued (blocking only if nothing is)
 * and calls fn per event. -ENOBUFS: events were lost, resync by dumping.
 * The fd belongs to ev: poll it, never close it; nfp_events_close() does.
 * Like a handle, an events object is for one thread at a time.
 */
struct nfp_events;
int nfp_events_open(struct nfp_events **evp);
void nfp_events_close(struct nfp_events *ev);
int nfp_events_fd(const struct nfp_events *ev);
int nfp_events_read(struct nfp_events *ev,
		    int (*fn)(const struct nfp_event *e, void *arg), void *arg);

/* "192.0.2.1:4000", "[2001:db8::1]:4000", with "-4010" for a range. */
int nfp_endpoint_parse(const char *s, struct nfp_endpoint *ep, int range_ok);
/* Writes at most len bytes; returns buf. */
char *nfp_endpoint_format(const struct nfp_endpoint *ep, char *buf, size_t len);
#define NFP_ENDPOINT_STRLEN	64

/* A secret in hex, 16 to 32 bytes; returns its length or -EINVAL. */
int nfp_secret_parse(const char *hex, uint8_t out[NFP_SECRET_MAX]);

#ifdef __cplusplus
}
#endif
#endif /* LIBNFPUNCH_H */
