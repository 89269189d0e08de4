/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rendezvousd: the public server. One process: a STUN binding server
 * (UDP) in worker threads of its own (stun_server.c), the signaling
 * service (TCP) and the relays' lives in one epoll loop, and the relays'
 * datagrams in worker threads of their own (relay_workers.c).
 *
 * All state lives in this process's memory (clients by id, sessions by
 * id, relays). Instances on one Redis share presence and signaling
 * (cluster.c); relays are tied to the box whose ports they use.
 */
#ifndef RDV_H
#define RDV_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "sig.h"
#include "sig_auth.h"
#include "sockaddr.h"

#define RDV_MAX_LISTEN	4
#define RDV_STUN_WORKERS_MAX	64

/* Every limit, with its command-line/config name in rendezvousd(8). */
struct rdv_limits {
	unsigned int max_clients;	/* TCP connections */
	unsigned int register_timeout;	/* s to send a valid REGISTER */
	unsigned int idle_timeout;	/* s without a line: dropped */
	unsigned int msg_rate;		/* lines/s per client (burst 2x) */
	unsigned int max_outbuf;	/* bytes queued to a slow client */
	unsigned int max_pending;	/* unanswered CONNECTs per client */
	unsigned int answer_timeout;	/* s for the called side to answer */
	unsigned int session_lifetime;	/* s a session can ask for a relay */
	unsigned int max_relays;	/* in all */
	unsigned int client_relays;	/* per client id */
	unsigned int relay_rate;	/* bytes/s per relay, both ways */
	unsigned int relay_lifetime;	/* s, from allocation; 0: while used */
	unsigned int relay_idle;	/* s without traffic */
	unsigned int log_rate;		/* per-packet log lines per second */
	unsigned int stun_rate;		/* STUN answers/s per source address */
	unsigned int ip_clients;	/* connections per source address */
	unsigned int ip_handshakes;	/* of them not registered yet */
	unsigned int max_handshakes;	/* not registered yet, in all */
	unsigned int ip_connects;	/* new connections/s per source */
	unsigned int client_sessions;	/* sessions a client has started */
};

struct rdv_config {
	struct sockaddr_storage listen[RDV_MAX_LISTEN];
	struct sockaddr_storage other[RDV_MAX_LISTEN];	/* RFC 5780 */
	struct sockaddr_storage relay_addr[RDV_MAX_LISTEN];
	unsigned int n_listen, n_other, n_relay_addr;
	uint16_t stun_port, alt_port, signal_port;
	uint16_t relay_port_min, relay_port_max;
	const char *users_file;
	const char *tls_cert, *tls_key;	/* signaling's certificate and key */
	struct sockaddr_storage metrics;	/* --metrics; family 0: none */
	bool plaintext;			/* --plaintext-testing-only */
	int log_level;
	unsigned int stun_workers;	/* --stun-workers; 0: one per CPU */
	unsigned int relay_workers;	/* --relay-workers; 0: one per CPU */
	/* --redis: instances sharing presence and signaling (cluster.h) */
	char redis_host[INET6_ADDRSTRLEN];	/* "": a single server */
	uint16_t redis_port;
	char instance[SIG_ID_MAX + 1];
	char *redis_password;		/* from --redis-password-file, or NULL */
	struct rdv_limits lim;
};

/* What an epoll event points at. */
enum rdv_kind { RDV_LISTENER, RDV_CLIENT, RDV_RELAY, RDV_METRICS, RDV_REDIS };
struct rdv_io {
	enum rdv_kind kind;
	int fd;
};

/* logging: one line per event, key=value, to stderr (journald-friendly) */
enum { RDV_LOG_ERR, RDV_LOG_WARN, RDV_LOG_INFO, RDV_LOG_DEBUG };
extern int rdv_log_level;
__attribute__((format(printf, 3, 4)))
void rdv_log(int level, const char *event, const char *fmt, ...);
/* The same, at most log_rate lines per second: for per-packet events. */
__attribute__((format(printf, 2, 3)))
void rdv_log_limited(const char *event, const char *fmt, ...);
/* Would a rdv_log_limited() line be written now? Lock-free; when not,
 * the line is counted as suppressed. For hot paths, before formatting. */
bool rdv_log_limited_room(void);
void rdv_log_set_rate(unsigned int per_sec);
const char *rdv_addr_str(const struct sockaddr_storage *ss, char *buf,
			 size_t len);
uint64_t rdv_now_ms(void);
/* CPUs this process may run on (its affinity), 1 to max. */
unsigned int rdv_cpus_usable(unsigned int max);

/* the event loop */
int rdv_epoll_add(struct rdv_io *io, uint32_t events);
int rdv_epoll_mod(struct rdv_io *io, uint32_t events);
int rdv_epoll_del(struct rdv_io *io);
extern const struct rdv_config *rdv_cfg;

/* users: id -> client secret, from the users file; on a reload, revoked
 * is called for each id removed or given another secret. */
int rdv_users_load(const char *path, void (*revoked)(const char *id));
/* Secret of id, or NULL; *len receives its length. */
const uint8_t *rdv_users_secret(const char *id, size_t *len);
/* Do users a and b share a group (see users.c)? */
bool rdv_users_may_call(const char *a, const char *b);
/* A user's own limit from the users file, else the command line's. */
enum rdv_user_limit {
	RDV_USER_SESSIONS,	/* --client-sessions */
	RDV_USER_RELAYS,	/* --client-relays */
	RDV_USER_LIMITS
};
unsigned int rdv_users_limit(const char *id, enum rdv_user_limit which);
void rdv_users_free(void);

/* STUN binding server: its workers start at open and stop at close. */
int rdv_stun_open(void);
void rdv_stun_close(void);

/* TCP signaling */
struct rdv_client;
int rdv_listen_open(void);
void rdv_listen_accept(struct rdv_io *io);
void rdv_client_event(struct rdv_io *io, uint32_t events);
void rdv_clients_tick(void);
/* id may no longer register (removed, or its secret changed): close it. */
void rdv_client_revoke(const char *id);
struct rdv_client *rdv_client_by_id(const char *id);
int rdv_client_send(struct rdv_client *c, const struct sig_msg *m);
const char *rdv_client_id(const struct rdv_client *c);
const struct sockaddr_storage *rdv_client_addr(const struct rdv_client *c);
unsigned int rdv_clients_count(void);
/* fn for each registered client of this instance. */
void rdv_clients_each(void (*fn)(struct rdv_client *c, void *arg), void *arg);
/* Of them, connections that have not registered yet (STUN ones too). */
unsigned int rdv_clients_handshaking(void);
/* Of those, connections that speak STUN over TCP (they never register). */
unsigned int rdv_clients_stun(void);

/* sessions, created by CONNECT */
void rdv_sig_input(struct rdv_client *c, const struct sig_msg *m);
void rdv_sig_client_gone(struct rdv_client *c);
/* End every session of c, those with a relay too. */
void rdv_sig_client_revoked(struct rdv_client *c);
unsigned int rdv_sessions_count(void);
/* fn for each session that has a relay here (the cluster's session keys). */
void rdv_sessions_each_relayed(void (*fn)(const uint8_t *sid));
/*
 * m (RELAY, RELEASE or CANDIDATE) named a session that Redis says no
 * other instance holds: c hears so, as it would have at once on a single
 * server.
 */
void rdv_sig_unknown_session(struct rdv_client *c, const struct sig_msg *m);

/* relays */
struct rdv_session;
struct rdv_relay;
/* 0, or a negative errno with *code naming the refusal for the client. */
int rdv_relay_alloc(struct rdv_session *s, const char *ids[2],
		    const char *requester,
		    const struct sockaddr_storage *obs[2],
		    const uint8_t *secret, size_t secret_len, bool relay_first,
		    unsigned int gen, struct rdv_relay **out, const char **code);
void rdv_relay_endpoints(const struct rdv_relay *r, struct sig_ep ep[2]);
/*
 * Renewal (RELAY with relay=, v=6): a relay with a fixed lifetime gets a
 * successor in its second half, so the clients move before it ends.
 */
unsigned int rdv_relay_lifetime_left(const struct rdv_relay *r);
bool rdv_relay_port_is(const struct rdv_relay *r, int side, const struct sig_ep *ep);
bool rdv_relay_second_half(const struct rdv_relay *r);
const char *rdv_relay_owner_id(const struct rdv_relay *r);
/* 0, or N for the session's Nth successor: its relay secret's (relay_secret.h). */
unsigned int rdv_relay_gen(const struct rdv_relay *r);
/* A side that released it is sent nothing more (released false: again). */
void rdv_relay_side_released(struct rdv_relay *r, int side, bool released);
/* why: the reason its relay-end line gives */
void rdv_relay_free(struct rdv_relay *r, const char *why);
unsigned int rdv_relays_count(void);
void rdv_relays_shutdown(void);
/*
 * End every relay id is a side of, its connection here or not (at the
 * end of an event round: their sockets leave the loop).
 */
void rdv_relays_revoke(const char *id);
/* Relay r of s ended (lifetime, idle, release, renewal). */
void rdv_session_relay_gone(struct rdv_session *s, struct rdv_relay *r);
void rdv_clients_reap(void);
void rdv_sessions_shutdown(void);
void rdv_clients_shutdown(void);

/* small helpers */
void rdv_ep_from_ss(struct sig_ep *ep, const struct sockaddr_storage *ss);
int rdv_same_ip(const struct sockaddr_storage *a,
		const struct sockaddr_storage *b);

#endif /* RDV_H */
