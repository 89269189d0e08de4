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

/*
 * ABI rules (soname libnfpunch.so.1; symbols versioned LIBNFPUNCH_1.0,
 * and LIBNFPUNCH_1.1, _1.4, _1.5 and _1.6 for what those releases added;
 * libnfpunch.so.0 was the unversioned library of caller-allocated structs):
 * - Flows, configs, statistics, mapping queries (and results) and events
 *   are opaque objects the library allocates; fields are read and written
 *   through accessors keyed by an attribute number. A new field is a new
 *   attribute, never a change of layout.
 * - Attribute and enum values are never renumbered or reused; a getter
 *   given an attribute it does not know (or of another type) returns 0
 *   or NULL, a setter -EINVAL, so a program built against a newer header
 *   fails cleanly on an older library.
 * - struct nfp_endpoint is the one caller-allocated struct. Like
 *   sockaddr_in6 it holds a complete value and its layout is frozen.
 * - A symbol is added in a new version node and never removed or changed
 *   within soname 1.
 * - What the library passes to a callback (a flow, a mapping result, an
 *   event) lives until the callback returns; nfp_flow_clone() keeps one.
 */

/* An address (AF_INET or AF_INET6) with a port or a range of ports. */
struct nfp_endpoint {
	int family;		/* AF_INET, AF_INET6; 0 when absent */
	uint8_t addr[16];	/* network order; 4 bytes used for IPv4 */
	uint16_t port;		/* host order */
	uint16_t port_max;	/* last port of a range; 0 or == port: none */
	uint32_t scope_id;	/* IPv6 link-local interface; 0 (none) for now */
	uint8_t reserved[12];	/* zero */
};

/* "192.0.2.1:4000", "[2001:db8::1]:4000", with "-4010" for a range. */
int nfp_endpoint_parse(const char *s, struct nfp_endpoint *ep, int range_ok);
/* Writes at most len bytes; returns buf. */
char *nfp_endpoint_format(const struct nfp_endpoint *ep, char *buf, size_t len);
#define NFP_ENDPOINT_STRLEN	64

/* The module's limits on a secret (bytes) today. */
#define NFP_SECRET_MIN	16
#define NFP_SECRET_MAX	32

/*
 * A secret in hex, NFP_SECRET_MIN to NFP_SECRET_MAX bytes, into out (size
 * bytes); returns its length, or -EINVAL (-ENOSPC: size is too small).
 */
int nfp_secret_parse(const char *hex, uint8_t *out, size_t size);

/* --- Statistics: the module's version and this namespace's counters. */
struct nfp_stats;

enum nfp_stats_attr {
	NFP_STATS_FLOWS = 1,		/* flows alive in this namespace */
	NFP_STATS_MAPPINGS = 2,		/* mapping queries pending */
	NFP_STATS_PROBES_SENT = 3,	/* STUN packets the module sent */
	NFP_STATS_THROTTLED = 4,	/* sends deferred by the pps cap */
	NFP_STATS_AUTH_FAILURES = 5,	/* STUN for a flow with a wrong key */
	NFP_STATS_UNKNOWN_FLOW = 6,	/* nfpunch STUN that matched no flow */
	NFP_STATS_TCP_PRIMES = 7,	/* TCP primes alive (since 1.7) */
	NFP_STATS_TCP_PRIME_SYNS = 8,	/* SYNs sent at a prime's TTL (1.7) */
	NFP_STATS_TCP_PRIME_ICMP = 9,	/* their time exceeded errors dropped */
};

struct nfp_stats *nfp_stats_alloc(void);
void nfp_stats_free(struct nfp_stats *st);
int nfp_stats_fetch(struct nfp_handle *h, struct nfp_stats *st);
uint64_t nfp_stats_get_u64(const struct nfp_stats *st, int attr);
/* The module's version string ("" before a fetch). */
const char *nfp_stats_get_version(const struct nfp_stats *st);

/* --- Flows. */
enum nfp_state {
	NFP_STATE_PUNCHING = 1,
	NFP_STATE_ESTABLISHED = 2,
	NFP_STATE_DEAD = 3,
};

enum nfp_dead_reason {
	NFP_DEAD_NONE = 0,
	NFP_DEAD_PUNCH_TIMEOUT = 1,
	NFP_DEAD_PEER_TIMEOUT = 2,
};

/*
 * The two sides of a session hold opposite roles (the caller controls):
 * each direction's probes have their own key and tag, derived from the
 * secret, so nothing a flow sends can come back as its peer's.
 */
enum nfp_role {
	NFP_ROLE_CONTROLLING = 1,
	NFP_ROLE_CONTROLLED = 2,
};

/* Bits of NFP_FLOW_FLAGS. */
#define NFP_FLOW_F_OWNED	1u	/* dies with the handle that created it */
#define NFP_FLOW_F_PASSIVE	2u	/* never probes first; answers the peer's */
/*
 * One of several flows punching for the same peer from different ports
 * (a port spray): its requests never move the peer's established flow
 * here. The one kept is nominated (NFP_FLOW_NOMINATE). Since 1.3.
 */
#define NFP_FLOW_F_CANDIDATE	4u

/*
 * A flow's attributes, by type. Settable ones are what nfp_flow_add()
 * sends (those left unset take the namespace's default); the others are
 * what the kernel reports. Times are in milliseconds.
 */
enum nfp_flow_attr {
	/* uint32_t */
	NFP_FLOW_ID = 1,		/* the kernel's id */
	NFP_FLOW_ROLE = 2,		/* enum nfp_role; required to add */
	NFP_FLOW_FLAGS = 3,		/* NFP_FLOW_F_* */
	NFP_FLOW_MARK = 4,		/* fwmark of the module's packets; 0: none */
	NFP_FLOW_KEEPALIVE_MS = 5,
	NFP_FLOW_TIMEOUT_MS = 6,	/* silence that kills an established flow */
	NFP_FLOW_PUNCH_TIMEOUT_MS = 7,
	NFP_FLOW_PROBE_INTERVAL_MS = 8,
	NFP_FLOW_STATE = 9,		/* enum nfp_state; a change takes PUNCHING */
	NFP_FLOW_DEAD_REASON = 10,	/* enum nfp_dead_reason; read only */
	NFP_FLOW_RTT_US = 11,		/* read only, like the rest */
	NFP_FLOW_AGE_MS = 12,
	NFP_FLOW_ESTABLISH_MS = 13,	/* from creation to established */
	NFP_FLOW_LAST_RX_MS = 14,	/* since the peer was last heard */
	NFP_FLOW_LAST_TX_MS = 15,
	/*
	 * The application's own number (0: none), so that several programs
	 * in one namespace tell their flows apart: set by nfp_flow_add()
	 * and fixed, reported in lookups, dumps and events, and a filter of
	 * nfp_flow_dump(), nfp_flow_del_match() and nfp_events_set_filter()
	 * (a filter on 0 selects the untagged flows). A label, not access
	 * control: any program allowed to use the module may delete any
	 * flow. 1 to 255 are kept for nfpunch's own programs. Since 1.1.
	 */
	NFP_FLOW_APP_TAG = 16,
	/*
	 * Priming, both or neither: for NFP_FLOW_PRIME_MS from the start of
	 * each punch, probes leave with the TTL (IPv6: hop limit)
	 * NFP_FLOW_PRIME_TTL (1-255), enough to cross our own NATs, too
	 * little to reach the peer's: our NAT maps our port before the
	 * peer's probes arrive. Fixed at creation. Since 1.2.
	 */
	NFP_FLOW_PRIME_TTL = 17,
	NFP_FLOW_PRIME_MS = 18,
	/*
	 * Set (to 1) in a change only: the candidate is kept. It loses
	 * NFP_FLOW_F_CANDIDATE and, if established, asks the peer at once,
	 * whose flow then moves to it. Never reported. Since 1.3.
	 */
	NFP_FLOW_NOMINATE = 19,
	/* struct nfp_endpoint */
	NFP_FLOW_LOCAL = 32,		/* our address and port; required */
	NFP_FLOW_REMOTE = 33,		/* the peer's, once established */
	/* uint64_t counters, read only */
	NFP_FLOW_PROBES_SENT = 64,
	NFP_FLOW_PROBES_ANSWERED = 65,
	NFP_FLOW_PROBES_RECEIVED = 66,
	NFP_FLOW_AUTH_FAILURES = 67,
	NFP_FLOW_KEEPALIVES = 68,
	NFP_FLOW_RX_PACKETS = 69,
	NFP_FLOW_RX_BYTES = 70,
	NFP_FLOW_TX_PACKETS = 71,
	NFP_FLOW_TX_BYTES = 72,
};

struct nfp_flow;

struct nfp_flow *nfp_flow_alloc(void);
/* Clears the secret before freeing. */
void nfp_flow_free(struct nfp_flow *f);
/* Empty f for another use: every attribute, the peers and the secret. */
void nfp_flow_reset(struct nfp_flow *f);
/* Forget one attribute that was set (it is no longer sent). */
int nfp_flow_unset(struct nfp_flow *f, int attr);
/* A copy the caller owns (e.g. of a flow passed to a callback). */
struct nfp_flow *nfp_flow_clone(const struct nfp_flow *f);

int nfp_flow_set_u32(struct nfp_flow *f, int attr, uint32_t value);
uint32_t nfp_flow_get_u32(const struct nfp_flow *f, int attr);
uint64_t nfp_flow_get_u64(const struct nfp_flow *f, int attr);
int nfp_flow_set_endpoint(struct nfp_flow *f, int attr,
			  const struct nfp_endpoint *ep);
/* NULL when the flow has none (e.g. NFP_FLOW_REMOTE while punching). */
const struct nfp_endpoint *nfp_flow_get_endpoint(const struct nfp_flow *f,
						 int attr);
/* True when attr was set, or reported by the kernel. */
int nfp_flow_has(const struct nfp_flow *f, int attr);

/* The peer's candidates, in order; the kernel says how many it takes. */
int nfp_flow_add_peer(struct nfp_flow *f, const struct nfp_endpoint *ep);
unsigned int nfp_flow_get_peer_count(const struct nfp_flow *f);
const struct nfp_endpoint *nfp_flow_get_peer(const struct nfp_flow *f,
					     unsigned int i);
/* The session secret; the kernel takes NFP_SECRET_MIN to NFP_SECRET_MAX. */
int nfp_flow_set_secret(struct nfp_flow *f, const void *secret, size_t len);

const char *nfp_state_name(int state);
/* "controlling", "controlled", or NULL; and back (-EINVAL if unknown). */
const char *nfp_role_name(int role);
int nfp_role_parse(const char *name);
const char *nfp_dead_reason_name(int reason);

/*
 * Requests. An out object (may be NULL) is cleared and receives the
 * kernel's view of the flow. An attribute a request does not take is
 * refused (-EINVAL), never silently dropped.
 */
int nfp_flow_add(struct nfp_handle *h, const struct nfp_flow *flow,
		 struct nfp_flow *out);
/*
 * Since 1.6: add flows[0] to flows[n - 1] as nfp_flow_add() would, all
 * or none, in one request for up to NFP_FLOW_BATCH_MAX of them (one
 * request, one reply and one ack: how a program installs thousands of
 * flows quickly). ids (room for n) receives their ids in order. On an
 * error no flow of the call is left; nfp_strerror() says why and, when
 * one flow was at fault, which ("flow 17: ..."), and *failed (unless
 * NULL) is its index, or -1. When the flows take several requests and a
 * later one is refused, the library deletes the earlier ones' flows
 * again: they existed for that moment. (Should such a delete fail too,
 * nfp_strerror() says so, and ids keeps the ids of the flows left, the
 * rest 0.) -EOPNOTSUPP: the module predates batches (nfpunch 0.5).
 */
#define NFP_FLOW_BATCH_MAX	256
int nfp_flow_add_batch(struct nfp_handle *h, struct nfp_flow *const *flows,
		       size_t n, uint32_t *ids, long *failed);
int nfp_flow_del(struct nfp_handle *h, uint32_t id);
/* Delete every flow of a local endpoint. */
int nfp_flow_del_local(struct nfp_handle *h, const struct nfp_endpoint *local);
/*
 * Delete every flow matching what match sets: NFP_FLOW_LOCAL (no port
 * range) and/or NFP_FLOW_APP_TAG (at least one; nothing else).
 * -ENOENT: none matched. Since 1.1.
 */
int nfp_flow_del_match(struct nfp_handle *h, const struct nfp_flow *match);
int nfp_flow_lookup(struct nfp_handle *h, uint32_t id, struct nfp_flow *out);
/*
 * Change the flow NFP_FLOW_ID names: what change sets of
 * NFP_FLOW_KEEPALIVE_MS, NFP_FLOW_TIMEOUT_MS, NFP_FLOW_STATE
 * (NFP_STATE_PUNCHING: punch again from the start) and NFP_FLOW_NOMINATE.
 */
int nfp_flow_change(struct nfp_handle *h, const struct nfp_flow *change,
		    struct nfp_flow *out);

/*
 * Call fn for each flow matching what match sets of NFP_FLOW_LOCAL,
 * NFP_FLOW_STATE and NFP_FLOW_APP_TAG (match NULL: every flow; the
 * match's other attributes are ignored, as they always were). The flow
 * passed to fn lives until fn returns; fn must not make requests on h
 * (the dump is still reading from it). Returns the number of flows, a negative errno, or
 * what fn returned when it was negative (no flow is passed after that).
 * -EINTR means the flow set changed during the dump: dump again.
 */
int nfp_flow_dump(struct nfp_handle *h, const struct nfp_flow *match,
		  int (*fn)(const struct nfp_flow *flow, void *arg), void *arg);

/* --- The namespace's limits and defaults. */
enum nfp_config_attr {
	NFP_CONFIG_MAX_FLOWS = 1,
	NFP_CONFIG_PPS = 2,
	NFP_CONFIG_KEEPALIVE_MS = 3,
	NFP_CONFIG_TIMEOUT_MS = 4,
	NFP_CONFIG_PUNCH_TIMEOUT_MS = 5,
	NFP_CONFIG_PROBE_INTERVAL_MS = 6,
};

struct nfp_config;

struct nfp_config *nfp_config_alloc(void);
void nfp_config_free(struct nfp_config *cfg);
int nfp_config_set_u32(struct nfp_config *cfg, int attr, uint32_t value);
uint32_t nfp_config_get_u32(const struct nfp_config *cfg, int attr);
/* Read the namespace's config into cfg (forgetting what was set). */
int nfp_config_fetch(struct nfp_handle *h, struct nfp_config *cfg);
/*
 * Change what cfg sets; cfg then holds the whole resulting config, with
 * nothing marked set (applying it again changes nothing).
 */
int nfp_config_apply(struct nfp_handle *h, struct nfp_config *cfg);

/* --- Mapping queries: which public endpoint a local port maps to. */
enum nfp_mapping_attr {
	/* uint32_t */
	NFP_MAPPING_ID = 1,
	NFP_MAPPING_ERROR = 2,		/* 0 or a positive errno */
	NFP_MAPPING_STUN_ERROR = 3,	/* the server's STUN error code */
	NFP_MAPPING_RTT_US = 4,		/* 0: unknown (the request was resent) */
	NFP_MAPPING_MARK = 5,		/* fwmark of the request (since 1.5) */
	NFP_MAPPING_TIMEOUT_MS = 6,	/* of a query to make; 0: default (1.5) */
	/* struct nfp_endpoint */
	NFP_MAPPING_LOCAL = 32,
	NFP_MAPPING_SERVER = 33,
	NFP_MAPPING_MAPPED = 34,	/* absent on error */
};

struct nfp_mapping;

struct nfp_mapping *nfp_mapping_alloc(void);
void nfp_mapping_free(struct nfp_mapping *m);
struct nfp_mapping *nfp_mapping_clone(const struct nfp_mapping *m);
uint32_t nfp_mapping_get_u32(const struct nfp_mapping *m, int attr);
const struct nfp_endpoint *nfp_mapping_get_endpoint(const struct nfp_mapping *m,
						    int attr);

/*
 * The module sends the request from the local port. The asynchronous
 * form puts the query's id in *id; the result arrives as an
 * NFP_EVENT_MAPPING. The blocking form waits for it (at most timeout_ms,
 * default 3000) and returns 0 with result filled, error included.
 */
int nfp_mapping_start(struct nfp_handle *h, const struct nfp_endpoint *local,
		      const struct nfp_endpoint *server, uint32_t timeout_ms,
		      uint32_t *id);
int nfp_mapping_query(struct nfp_handle *h, const struct nfp_endpoint *local,
		      const struct nfp_endpoint *server, uint32_t timeout_ms,
		      struct nfp_mapping *result);

/*
 * Since 1.5: a query as an object, for what the forms above cannot say.
 * Set LOCAL and SERVER (required), MARK (the fwmark the request leaves
 * with, as a flow's MARK; needs a module of nfpunch 0.4 or later) and
 * TIMEOUT_MS on an nfp_mapping_alloc()ed m. nfp_mapping_request() starts
 * it and sets m's NFP_MAPPING_ID (clearing an earlier result's fields);
 * nfp_mapping_resolve() waits for the result and replaces m's contents
 * with it, as nfp_mapping_query() does. On failure m holds the query,
 * with its ID if the module started it (its event may still come).
 * The setters return 0, or -EINVAL for an attribute they do not set.
 */
int nfp_mapping_set_u32(struct nfp_mapping *m, int attr, uint32_t value);
int nfp_mapping_set_endpoint(struct nfp_mapping *m, int attr,
			     const struct nfp_endpoint *ep);
int nfp_mapping_request(struct nfp_handle *h, struct nfp_mapping *m);
int nfp_mapping_resolve(struct nfp_handle *h, struct nfp_mapping *m);

/*
 * --- TCP primes (since 1.7; the module of nfpunch 0.6 or later).
 * A TCP simultaneous open from local to remote, where this side starts
 * first: for time_ms (0: the module's default, 5000; 100 to 30000), or
 * until the peer's SYN comes, the module sends the SYNs (without ACK)
 * from local to remote with TTL (IPv6: hop limit) ttl, enough to open
 * our own NATs, too little to reach the peer's, and drops the ICMP time
 * exceeded errors they cause, which would abort the connect(). The
 * application's socket, bound to local, connects to remote as usual at
 * its own TTL, at any time after nfp_tcp_prime_start() returns; its
 * SYN-ACK and later segments are untouched. *id names the prime for
 * nfp_tcp_prime_stop(), which ends it early (connected, or given up);
 * it ends by itself 3 s after time_ms in any case (-ENOENT then).
 * -EEXIST: these endpoints are primed already; -EBUSY: the namespace
 * has 64 primes alive.
 */
int nfp_tcp_prime_start(struct nfp_handle *h, const struct nfp_endpoint *local,
			const struct nfp_endpoint *remote, unsigned int ttl,
			uint32_t time_ms, uint32_t *id);
int nfp_tcp_prime_stop(struct nfp_handle *h, uint32_t id);

/* --- Events. */
/* The kernel's events below 100; the library's own from 100 on. */
enum nfp_event_type {
	NFP_EVENT_ESTABLISHED = 1,
	NFP_EVENT_REMOTE_CHANGED = 2,
	NFP_EVENT_DEAD = 3,
	NFP_EVENT_DELETED = 4,
	NFP_EVENT_MAPPING = 100,	/* a mapping query's result */
	NFP_EVENT_EXISTS = 101,		/* a flow as nfp_events_resync() found it */
};

struct nfp_event;

int nfp_event_get_type(const struct nfp_event *e);
/* The flow of a flow event, the result of a mapping event; else NULL. */
const struct nfp_flow *nfp_event_get_flow(const struct nfp_event *e);
const struct nfp_mapping *nfp_event_get_mapping(const struct nfp_event *e);
const char *nfp_event_name(int type);

/*
 * Events of this namespace, on a non-blocking socket of their own.
 * nfp_events_fd() is for poll/epoll (edge-triggered too): it belongs to
 * ev, never close it; nfp_events_close() does.
 *
 * nfp_events_read() never blocks. It calls fn for each event queued and
 * returns how many it delivered (0: none was queued). When fn returns a
 * negative value, reading stops and that value is returned; the events
 * not yet delivered stay queued and the next call starts with them, so
 * call it again before waiting on the descriptor (they may have arrived
 * already, and an edge-triggered wait would not wake for them).
 * Events of a kind this library does not know are skipped.
 * -ENOBUFS: the kernel dropped events because the socket's buffer was
 * full; nothing is known of them, so resynchronise with
 * nfp_events_resync(), then read on.
 *
 * Like a handle, an events object is for one thread at a time.
 */
struct nfp_events;
int nfp_events_open(struct nfp_events **evp);
void nfp_events_close(struct nfp_events *ev);
int nfp_events_fd(const struct nfp_events *ev);
int nfp_events_read(struct nfp_events *ev,
		    int (*fn)(const struct nfp_event *e, void *arg), void *arg);
/*
 * After lost events: discard the flow events still queued (mapping
 * results are delivered), then dump the flows through h and deliver each
 * as an NFP_EVENT_EXISTS, after the dump, so fn may use h. A flow the
 * caller knows that no NFP_EVENT_EXISTS names is gone. Events that
 * arrive during the dump follow with the next read, so the caller's view
 * converges on the kernel's. Returns the number of events delivered or
 * a negative errno (-EINTR: the flows changed during the dump; again).
 */
int nfp_events_resync(struct nfp_events *ev, struct nfp_handle *h,
		      int (*fn)(const struct nfp_event *e, void *arg), void *arg);
/*
 * Deliver only the flow events of flows matching what match sets
 * (NFP_FLOW_LOCAL without a port range and/or NFP_FLOW_APP_TAG;
 * -EINVAL for anything else), queued ones included, and only those
 * flows in nfp_events_resync(); mapping results always pass. The group
 * still carries every event of the namespace: the others are read and
 * dropped here. match is copied; NULL: every event again. Since 1.1.
 */
int nfp_events_set_filter(struct nfp_events *ev, const struct nfp_flow *match);

/*
 * TCP through punchd (since 1.4). The local punchd (its control socket:
 * socket_path, or NULL for /run/punchd/punchd.sock) punches a TCP
 * connection through both NATs and proves the session secret on it in
 * both directions; the program gets the connected socket (blocking,
 * close-on-exec). Only the start is proven: protect the data itself
 * (TLS, say). No module handle is involved.
 *
 * nfp_tcp_request() asks for a connection to peer (NFP_TCP_CONNECT), or
 * for the next one a peer asks us for (NFP_TCP_ACCEPT; from peer only,
 * or from anyone when peer is NULL), and returns a descriptor that
 * becomes readable when punchd answers (for an event loop);
 * nfp_tcp_finish() then reads the answer, closes that descriptor, and
 * returns the connected socket. info (if not NULL) gets punchd's result
 * line: "ok peer=P mode=tcp endpoint=E ms=N local=L attempts=N
 * refused=N", or "error peer=P reason=R". Errors: -ECONNABORTED when
 * punchd reports a failure (the reason is in info), -EPROTO for an
 * answer without a socket, -EINVAL for a peer that is not an id (1 to 32
 * of [A-Za-z0-9._-]), -ENAMETOOLONG for a socket path too long, or the
 * control socket's own errno (-ENOENT, -ECONNREFUSED: punchd is not
 * running; -EACCES: not allowed to use it). nfp_tcp_connect() and
 * nfp_tcp_accept() do both steps, blocking for as long as punchd takes
 * (its signaling and punch timeouts bound a connect; an accept waits
 * for a peer indefinitely). A call that fails before the hand-over does
 * not use up an accept: it keeps waiting.
 */
enum nfp_tcp_how {
	NFP_TCP_CONNECT,
	NFP_TCP_ACCEPT,
};
int nfp_tcp_request(const char *socket_path, int how, const char *peer);
int nfp_tcp_finish(int request, char *info, size_t info_len);
int nfp_tcp_connect(const char *socket_path, const char *peer, char *info,
		    size_t info_len);
int nfp_tcp_accept(const char *socket_path, const char *peer, char *info,
		   size_t info_len);

#ifdef __cplusplus
}
#endif
#endif /* LIBNFPUNCH_H */
