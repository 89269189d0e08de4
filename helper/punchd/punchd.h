/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * punchd: the per-host daemon. It keeps a registration with rendezvousd,
 * runs the exchange for each peer (mapping through the module, candidates,
 * session secret, flow), and watches the module's events to report, fall
 * back to the relay, or punch again.
 */
#ifndef PUNCHD_H
#define PUNCHD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "iface.h"
#include "libnfpunch.h"
#include "nat.h"
#include "policy.h"
#include "sig.h"
#include "sig_auth.h"

/* Peers at once (--max-peers): the default, and the most it takes. */
#define PD_MAX_PEERS_DEFAULT	1024
#define PD_MAX_PEERS_LIMIT	65536
#define PD_MAX_SERVERS	4
#define PD_MAX_WAITERS	8

struct pd_config {
	char id[SIG_ID_MAX + 1];
	uint8_t secret[SIG_CLIENT_SECRET_MAX];
	int secret_len;
	char server[INET6_ADDRSTRLEN];	/* the one the link uses now */
	/* --server, in order: the link fails over to the next (link.c) */
	char servers[PD_MAX_SERVERS][INET6_ADDRSTRLEN];
	unsigned int n_servers;
	uint16_t signal_port, stun_port;
	uint16_t port;			/* local UDP port to punch from */
	const char *hook;
	const char *socket_path;
	const char *state_dir;
	uint32_t keepalive_ms;		/* 0: the module's default */
	uint32_t punch_timeout_ms;	/* then the relay */
	uint32_t timeout_ms;		/* established path declared dead */
	bool relay;			/* fall back to the relay */
	bool host_candidates;		/* offer LAN addresses too */
	bool spray;			/* consent to birthday spraying */
	uint32_t keepalive_min_ms;	/* bounds of the measured keepalive */
	uint32_t keepalive_max_ms;
	uint32_t rediscover_ms;		/* NAT discovery again this often */
	const char *tls_ca;		/* trust anchors for the server, or */
	const char *tls_pin;		/* the SHA-256 of its key, hex */
	char tls_name[256];		/* its name in the certificate */
	bool plaintext;			/* --plaintext-testing-only */
	unsigned int offer_rate;	/* OFFERs accepted per minute, in all */
	unsigned int peer_offer_rate;	/* the same, from one peer */
	unsigned int session_probes;	/* a punch's probes (12x for a spray) */
	unsigned int peer_probes;	/* punch probes per peer and minute */
	uint32_t tag;			/* application tag of our flows; 0: none */
	/* --exclude-interface, --include-interface globs, NULL-terminated */
	const char *exclude_ifaces[PD_IFACE_MAX_GLOBS + 1];
	const char *include_ifaces[PD_IFACE_MAX_GLOBS + 1];
	const char *wg_ifname;		/* --wireguard: punch for it */
	uint32_t mark;			/* fwmark of our flows (WireGuard's) */
	bool port_mapping;		/* ask the gateway (PCP, NAT-PMP) */
	bool prime;			/* when called, prime our NATs first */
	bool trickle;			/* re-discover while punching, trickle */
	bool relay_first;		/* the relay beside the punch, at once */
	const char **connect;		/* --connect, NULL-terminated */
	unsigned int max_peers;		/* slots for peers (--max-peers) */
	unsigned int connect_rate;	/* our calls started per second */
};

/* Tags 1 to 255 are nfpunch's own programs'; punchd's is 1. */
#define PD_DEFAULT_TAG	1

/* Until the mapping lifetime is measured (the field's usual value). */
#define PD_KEEPALIVE_DEFAULT_MS	25000
/* Birthday spraying: local ports on the random side, ports probed by the other. */
#define PD_SPRAY_PORTS		256
#define PD_SPRAY_TARGETS	2048
/* A predicted window: this many next allocations. */
#define PD_PREDICT_WINDOW	16

extern struct pd_config pd_cfg;

enum pd_state {
	PD_IDLE,
	PD_MAPPING,	/* asking the server for our public endpoint */
	PD_NAT_WAIT,	/* NAT discovery still running */
	PD_SAMPLING,	/* a fresh allocation, to predict the next ones */
	PD_OFFERED,	/* CONNECT sent, waiting for ACCEPTED */
	PD_PUNCHING,	/* flow added, direct */
	PD_RELAY_WAIT,	/* RELAY sent */
	PD_RELAYING,	/* flow through the relay, not up yet */
	PD_UP,
	PD_FAILED,
};

/* The module's limit on a flow's candidates. */
#define PD_FLOW_PEERS	32

/* What a mapping query found (family 0: nothing). */
struct pd_mapping {
	struct nfp_endpoint mapped;
	uint32_t error;			/* 0 or a positive errno */
	uint32_t rtt_us;		/* of the query: to the server and back */
};

struct pd_peer {
	char name[SIG_ID_MAX + 1];
	enum pd_state state;
	bool caller, relayed, used;
	bool wanted;			/* keep it connected: retry, re-punch */
	uint8_t sid[SIG_SID_LEN];
	uint8_t secret[SIG_SECRET_LEN];
	struct sig_msg offer;		/* the OFFER we are answering */
	uint32_t mapping_id, flow_id;
	struct pd_mapping mapping;	/* our public endpoint for this session */
	bool mapping_remembered;	/* offered unasked: the punch asks */
	bool remembered_checked;	/* it has asked */
	bool recalled;			/* called again after it moved */
	uint64_t recall_at;		/* call again then, unless direct */
	struct pd_nat their_nat;
	/*
	 * Our NAT as our CONNECT or ANSWER described it: the strategy's
	 * input, as it is the peer's, even if discovery has found otherwise
	 * since (unknown if no word was sent).
	 */
	struct pd_nat sent_nat;
	bool their_spray;
	bool same_site;			/* its public address is ours */
	struct pd_window offers;	/* its OFFERs this minute */
	struct pd_window probes_minute;	/* its punches' probes this minute */
	enum pd_strategy strategy;
	const char *why;		/* the strategy's reason */
	uint16_t window;		/* PD_SAMPLING: first predicted port */
	uint32_t *spray_flows;		/* SPRAY_PORTS: the extra flows */
	unsigned int prime_ttl;		/* of the last flow made, 0: unprimed */
	unsigned int n_spray;
	struct nfp_endpoint local;	/* where our end of the path is */
	uint64_t probes;		/* sent by the module for this session */
	uint64_t probes_done;		/* by flows already deleted */
	struct sig_ep remote;		/* where the path goes */
	struct sig_ep relay;		/* the relay's port for us, if asked */
	/* The server gave us a relay (RELAYED) we have not released yet. */
	bool relay_granted;
	uint8_t relay_sid[SIG_SID_LEN];	/* of the session it is for */
	/*
	 * Relay first (both sides agreed): a flow through the relay runs
	 * beside the direct punch. The path is the relay's until the direct
	 * flow is up; the relay is kept a while after, and a relayed peer
	 * punches for direct again now and then.
	 */
	bool relay_first;
	uint32_t relay_flow;		/* 0: none beside the punch */
	uint64_t relay_until;		/* up direct: release the relay then */
	uint64_t upgrade_at;		/* up relayed: punch for direct then */
	unsigned int upgrades;		/* punches for direct while relayed */
	/*
	 * Relay renewal (relay_renew.c): a relay the server ends at a fixed
	 * time gets a successor first, and the path moves to it.
	 */
	uint64_t relay_end;		/* ms; 0: no fixed end */
	unsigned int relay_gen;		/* of the relay flows open under */
	uint64_t renew_at;		/* ask for the successor then; 0: no */
	uint32_t relay_next_flow;	/* the successor's flow until up */
	struct sig_ep relay_next;	/* its port for us */
	uint64_t relay_next_end;
	unsigned int renew_tries;	/* asked for this relay's successor */
	struct sig_ep relay_old;	/* the relay renewed, held a while */
	uint64_t relay_old_at;		/* release it then; 0: none */
	uint64_t repoint_at;		/* WireGuard at the path again then */
	bool relay_waiting;		/* the successor took over, not up yet */
	struct sig_ep cands[SIG_MAX_CANDS];	/* the peer's, to punch again */
	unsigned int n_cands;
	/* Trickle (trickle.c): our mapping asked again while punching. */
	uint64_t rediscover_at;		/* 0: no more */
	bool rediscover_wait;		/* for the query out */
	unsigned int rediscovers;
	unsigned int trickled_in;	/* the peer's candidates taken */
	uint64_t started, deadline;	/* ms */
	uint64_t since;			/* ms: when it entered its state */
	unsigned int up_ms;		/* how long the last success took */
	uint64_t retry_at;		/* re-punch after losing the path */
	uint64_t nudge_until;		/* a spray's kept port: short keepalive */
	unsigned int attempts;
	bool answer_due;		/* called, and neither answered nor refused */
	int waiters[PD_MAX_WAITERS];	/* control clients waiting */
	unsigned int n_waiters;
};

/* logging, key=value on stderr */
__attribute__((format(printf, 2, 3)))
void pd_log(const char *event, const char *fmt, ...);
uint64_t pd_now_ms(void);
extern struct nfp_handle *pd_nfp;

/* the server link */
/* The TLS context from the options: 0, or -1 after saying why. */
int pd_link_setup(void);
void pd_link_teardown(void);
int pd_link_fd(void);
/* What to poll the link's socket for. */
short pd_link_events(void);
bool pd_link_up(void);
/* The server passes relayfirst on (its signaling is v=2 or later). */
bool pd_link_relay_first(void);
/* It makes TCP sessions and answers STUN over TCP (v=3 or later). */
bool pd_link_tcp(void);
/* It passes CANDIDATE on to peers that know it (v=4 or later). */
bool pd_link_trickle(void);
/* The server takes RELEASE (signaling v=5). */
bool pd_link_release(void);
/* The server renews relays: RELAY with relay= (signaling v=6). */
bool pd_link_renew(void);
/* A new connection takes back sessions of ours kept for a relay (v=7). */
bool pd_link_reattach(void);
/* The link's smoothed round trip (TCP_INFO), ms; 0 when unknown. */
unsigned int pd_link_rtt_ms(void);
int pd_link_send(const struct sig_msg *m);
void pd_link_input(void);
void pd_link_tick(uint64_t now, uint64_t *next);
/* Drop the link and connect again at once (a new network). */
void pd_link_restart(const char *why);
/* the local address the server link uses: flows start there */
int pd_link_local(struct nfp_endpoint *ep);
int pd_server_stun(struct nfp_endpoint *ep);

/* peers */
int pd_peers_init(unsigned int max);
bool pd_peers_own_flow(uint32_t id);
struct pd_peer *pd_peer_get(const char *name, bool create);
/* --connect: keep a path to it, from now on (0, or -1: no room). */
int pd_peer_want(const char *name);
/* Probes of its session: what it took to come up, or so far. */
uint64_t pd_peer_probes(const struct pd_peer *p);
/* The flow of its path: the relay's beside the punch while relayed. */
uint32_t pd_peer_path_flow(const struct pd_peer *p);
/* Restart recovery: a flow of name's last session not resumed goes. */
void pd_peer_resume_drop(const char *name, uint32_t id);
/* Its punches have used this minute's probe budget (--peer-probes). */
bool pd_peer_spent(struct pd_peer *p);
void pd_peer_connect(struct pd_peer *p, int waiter);
/*
 * An OFFER passes the policy, the peer's and everyone's offer rates: its
 * peer, or NULL after refusing it (REJECT busy, or silence).
 */
struct pd_peer *pd_offer_admit(const struct sig_msg *m);
void pd_reject(const struct sig_msg *m, const char *code);
void pd_peers_signal(const struct sig_msg *m);
void pd_peers_event(const struct nfp_event *e);
/* Around nfp_events_resync(): what it does not report is gone. */
void pd_peers_resync_begin(void);
void pd_peers_resync_end(bool ok);
void pd_peers_tick(uint64_t now, uint64_t *next);
void pd_peers_link_lost(void);
/* Registered (again): relayed paths take their sessions back. */
void pd_peers_registered(void);
/* The local port changed: drop every path, punch again. */
void pd_peers_repunch_all(const char *why);
const char *pd_state_name(enum pd_state s);
void pd_peer_forget(struct pd_peer *p);
struct pd_peer *pd_peer_resume(const char *name, uint32_t flow_id,
			       const uint8_t *sid, bool caller, bool relayed);
unsigned int pd_peers_each(void (*fn)(const struct pd_peer *p, void *arg),
			   void *arg);

/* NAT discovery (natdisc.c) */
int pd_server_sockaddr(struct sockaddr_storage *ss, uint16_t port);
int pd_nat_fds(int *fds, int max);
void pd_nat_input(int fd);
void pd_nat_tick(uint64_t now, uint64_t *next);
void pd_nat_close(void);
bool pd_nat_busy(void);
/* A call must wait for discovery before it offers (NAT_WAIT). */
bool pd_nat_call_waits(void);
/* Discover again now ("punchd discover"); -1: could not start. */
int pd_nat_rediscover(void);
bool pd_nat_last_failed(void);
/* A new network: forget the NAT and its lifetime, discover again. */
void pd_nat_network_changed(void);
bool pd_nat_mine(struct pd_nat *out);
bool pd_nat_lifetime(unsigned int *lo, unsigned int *hi);
/* Ask for a fresh public port; pd_peers_sampled(tag, port or 0) follows. */
int pd_nat_sample(unsigned int tag);
uint32_t pd_keepalive_ms(void);

/* own_mapping.c: our punch port's last public endpoint, between calls */
/* It, if a call may offer it without asking (then its punch asks). */
bool pd_own_mapping_get(struct pd_mapping *out);
/* Every mapping answer: remembered if it is our port's, from our
 * server, to a query of ours (*was_asked says which); true if it answers
 * pd_own_mapping_prefetch()'s query. */
bool pd_own_mapping_answer(const struct nfp_mapping *mp, bool *was_asked);
/* Discovery found a NAT whose endpoint can be remembered: ask now. */
void pd_own_mapping_prefetch(void);
void pd_own_mapping_forget(void);
/* pd_mapping_ask() sent query id: its answer may be remembered. */
void pd_own_mapping_asked(uint32_t id);
/* REGISTERED: the address the server sees us at now. */
void pd_own_mapping_registered(const struct sig_ep *observed);

/* hops.c: the TTL that primes our NATs (prime.h), walked with discovery. */
void pd_hops_start(void);
int pd_hops_fd(void);
void pd_hops_input(void);
void pd_hops_tick(uint64_t now, uint64_t *next);
/* The priming TTL for flows of family (AF_INET, AF_INET6); 0: none known. */
unsigned int pd_hops_prime_ttl(int family);
bool pd_hops_walking(void);
/* A walk ended on this network (its result may be 0: nothing to prime). */
bool pd_hops_known(void);
void pd_hops_walked(void);
void pd_hops_close(void);
void pd_peers_sampled(unsigned int tag, uint16_t port);
void pd_peers_nat_ready(void);
/*
 * A call predicts our sequential NAT's ports: it samples, waits for the
 * answer with its window announced, or punches from it.
 */
bool pd_peers_predicting(void);
void pd_peers_keepalive_changed(void);

/* network changes (netwatch.c) */
int pd_netwatch_open(void);
int pd_netwatch_fd(void);
void pd_netwatch_input(void);
void pd_netwatch_tick(uint64_t now, uint64_t *next);
void pd_netwatch_close(void);
/* The IPv4 default gateway (network order), or 0. */
uint32_t pd_default_gateway4(void);

/* port mapping on the gateway (portmap.c) */
void pd_portmap_start(void);
int pd_portmap_fds(int *fds, int max);
void pd_portmap_input(int fd);
void pd_portmap_tick(uint64_t now, uint64_t *next);
/* A new network: the old mapping is forgotten, the new gateway asked. */
void pd_portmap_network_changed(void);
/* Delete the mapping (at exit). */
void pd_portmap_stop(void);
/*
 * The gateway's mapping of our port, if there is one and its address is
 * public and the one the server sees us at (seen, a session's mapping).
 */
bool pd_portmap_candidate(const struct sig_ep *seen, struct sig_ep *ep);
/* What status shows: state "mapped", "probing", "none" or "off". */
struct pd_portmap_info {
	const char *state;
	const char *method;		/* "pcp", "natpmp"; NULL unless mapped */
	struct sig_ep external;		/* family 0 unless mapped */
	uint32_t lifetime_s;
};
void pd_portmap_info(struct pd_portmap_info *info);

/* candidates */
int pd_host_candidates(const struct nfp_endpoint *local, struct sig_msg *m);
void pd_ep_to_sig(struct sig_ep *out, const struct nfp_endpoint *in);
void pd_ep_from_sig(struct nfp_endpoint *out, const struct sig_ep *in);
/* The same address (not port) and family. */
bool pd_ep_same_address(const struct nfp_endpoint *a, const struct sig_ep *b);

/* the control socket */
int pd_control_open(void);
int pd_control_fd(void);
void pd_control_accept(void);
void pd_control_close(void);
/* The control clients to poll: fills fds, returns how many. */
int pd_control_fds(int *fds, int max);
void pd_control_input(int fd);
/* A discovery ended: answer the "discover" commands waiting for it. */
void pd_control_discovered(void);
void pd_reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* All of buf, however long (a status of many peers), without blocking. */
void pd_reply_all(int fd, const void *buf, size_t len);
void pd_reply_done(int fd);

/* status: lines for people, or one JSON document (punchd(8)) */
void pd_status_text(int fd);
void pd_status_nat(int fd);	/* the "nat ..." line alone */
void pd_status_json(int fd);

/* hook */
void pd_hook(const char *event, const struct pd_peer *p, unsigned int ms);
/* A result (up, down, changed, failed): to WireGuard, then the hook. */
void pd_result(const char *event, const struct pd_peer *p, unsigned int ms);

/*
 * Give fd the mark of our flows (WireGuard's), so that policy routing
 * takes the server link and NAT discovery where the flows go: under a
 * full-tunnel rule, the underlay. No-op without a mark, or fd < 0.
 */
void pd_mark_socket(int fd);

/* WireGuard (wgctl.c) */
int pd_wgctl_add_peer(const char *arg);
/* With --wireguard: its port and mark into pd_cfg; 0, or -1 (said why). */
int pd_wgctl_setup(void);
void pd_wgctl_close(void);
void pd_wgctl_follow(const char *event, const struct pd_peer *p);
/* Every few seconds: follow the interface's port, keep endpoints right. */
void pd_wgctl_tick(uint64_t now, uint64_t *next);
void pd_hook_reap(void);

/* state across restarts */
void pd_state_save(void);
void pd_state_tick(uint64_t now, uint64_t *next);
void pd_state_flush(void);
void pd_state_sweep(void);
void pd_state_load(void);

#endif
