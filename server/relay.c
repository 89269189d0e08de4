// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The relay: when no direct path works, a session gets two UDP ports on
 * the server, one per peer, and whatever one peer sends to its port goes
 * out of the other port to the other peer. Each side's module just uses
 * its port as the peer's endpoint, so probes, keepalives and application
 * data take the same path and the flow comes up as usual.
 *
 * Only the session's two peers can use it: a port accepts a sender only
 * after an nfpunch probe from it that is tagged and authenticated with its
 * owner's direction key (derived from the session's secret, which only the
 * two peers and this server know; side 0 belongs to the caller, who
 * controls). A relay first session (both sides said relayfirst=1) uses
 * the session's relay secret (relay_secret.h) and only that: its direct
 * punch's probes, under the session secret, never pass here and so are
 * never remembered as seen. Any other session (an older punchd) uses the
 * session secret itself, and the relay secret too. Such a probe can be
 * captured and replayed, so it must also
 * be new: a port remembers the transaction ids of its owner's recent
 * requests and never takes one twice. And it moves to another sender
 * (the owner's NAT gave it a new port, or a carrier NAT a new address)
 * only once its sender has been silent for RELAY_ROAM_MS: a fresh probe
 * that an on-path attacker held back cannot pull the port away from an
 * owner that is talking. Until both sides are known nothing is forwarded.
 * Limits: relays in all and per requesting client, bytes per second per
 * relay, idle time, and optionally a total lifetime.
 *
 * The main loop allocates, times and ends relays; a relay worker
 * (relay_workers.c) reads its ports and forwards, in batches.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hex.h"
#include "metrics.h"
#include "punch_keys.h"
#include "rdv.h"
#include "relay_owner.h"
#include "relay_secret.h"
#include "relay_workers.h"
#include "timer.h"
#include "stun.h"
#include "stun_hmac.h"

#define NFP_USER_PREFIX "nfpunch:"
/* Silence of a port's sender before another may take the port. */
#define RELAY_ROAM_MS	5000
/*
 * Request ids remembered per port: keepalives of the longest interval
 * for over an hour, and far more than a punch sends.
 */
#define RELAY_SEEN	256
/* The largest UDP payload (IPv4). */
#define RELAY_MAX_DGRAM	65507

struct rdv_relay_side {
	struct rdv_io io;		/* first: epoll hands us this */
	struct rdv_relay *r;
	int idx;
	struct sockaddr_storage local;
	bool watched;			/* its worker reads it */
	struct sockaddr_storage peer;	/* locked sender */
	bool locked;
	bool released;			/* its owner left: nothing sent to it */
	uint64_t heard;			/* last datagram from it, ms */
	uint8_t seen[RELAY_SEEN][STUN_TID_LEN];	/* its owner's request ids */
	unsigned int next_seen;
	uint64_t packets, bytes;
};

/*
 * A relay's ports are read by one worker thread (relay_workers.c), the
 * rest is the main loop's. lock covers what both touch: what the worker
 * writes as datagrams pass (each side's sender, seen ids and figures;
 * last, tokens, tokens_at, dropped), which the main loop reads for the
 * deadline and the end, and ended and each side's released, which the
 * main loop sets so that nothing is forwarded after them.
 */
struct rdv_relay {
	struct rdv_relay_side side[2];
	pthread_mutex_t lock;
	struct rdv_relay_worker *worker;
	struct rdv_retired retired;	/* how its worker frees it */
	struct rdv_session *s;
	char ids[2][SIG_ID_MAX + 1];
	struct relay_owner *owner;	/* whose quota it counts against */
	/* What each side's owner sends under: [0] relay secret, [1] session's. */
	struct punch_dir dir[2][2];
	/*
	 * 1 for a relay first session: its peers send nothing under the
	 * session secret through the relay, and the direct punch's probes
	 * (under it, never seen here) must not be replayable to the ports.
	 */
	int n_dirs;
	uint64_t created, last, tokens_at;
	unsigned int gen;		/* 0, or the Nth successor's N */
	double tokens;
	uint64_t dropped;
	bool ended;
	struct rdv_timer timer;		/* idle or lifetime, whichever first */
	struct rdv_relay *next, *prev;
};

static struct rdv_relay *relays;
static unsigned int n_relays;

unsigned int rdv_relays_count(void)
{
	return n_relays;
}

static const struct sockaddr_storage *relay_addr(int family)
{
	unsigned int i;

	for (i = 0; i < rdv_cfg->n_relay_addr; i++)
		if (rdv_cfg->relay_addr[i].ss_family == family)
			return &rdv_cfg->relay_addr[i];
	for (i = 0; i < rdv_cfg->n_listen; i++)
		if (rdv_cfg->listen[i].ss_family == family)
			return &rdv_cfg->listen[i];
	return NULL;
}

/* A socket on the relay address, on a port from the configured range. */
static int open_side(struct rdv_relay_side *side, int family)
{
	const struct sockaddr_storage *base = relay_addr(family);
	unsigned int span, tries, rnd;
	socklen_t len = sizeof(side->local);
	int fd;

	if (!base)
		return -EAFNOSUPPORT;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	span = (unsigned int)rdv_cfg->relay_port_max -
	       rdv_cfg->relay_port_min + 1;
	for (tries = 0; tries < 32; tries++) {
		side->local = *base;
		if (rdv_cfg->relay_port_min) {
			if (sig_random(&rnd, sizeof(rnd)))
				break;
			sa_set_port(&side->local, (uint16_t)
				 (rdv_cfg->relay_port_min + rnd % span));
		} else {
			sa_set_port(&side->local, 0);
		}
		if (!bind(fd, (struct sockaddr *)&side->local,
			  sa_len(&side->local)))
			break;
	}
	if (tries == 32 || getsockname(fd, (struct sockaddr *)&side->local,
				       &len)) {
		close(fd);
		return -EADDRINUSE;
	}
	side->io.kind = RDV_RELAY;
	side->io.fd = fd;
	return 0;
}

/* When --relay-lifetime ends the relay, whatever it carries; 0: never. */
static uint64_t lifetime_end(const struct rdv_relay *r)
{
	const struct rdv_limits *lim = &rdv_cfg->lim;

	return lim->relay_lifetime ? r->created + lim->relay_lifetime * 1000ull + 1 : 0;
}

/* Seconds until the relay ends whatever it carries (rounded down); 0: never. */
unsigned int rdv_relay_lifetime_left(const struct rdv_relay *r)
{
	uint64_t end = lifetime_end(r), now = rdv_now_ms();

	if (!end)
		return 0;
	return end > now + 1000 ? (unsigned int)((end - now) / 1000) : 1;
}

/* Whether ep is side's port of r. */
bool rdv_relay_port_is(const struct rdv_relay *r, int side, const struct sig_ep *ep)
{
	struct sig_ep mine;

	rdv_ep_from_ss(&mine, &r->side[side].local);
	return sig_ep_equal(&mine, ep);
}

/*
 * In the second half of a fixed lifetime, when a successor may be made
 * (a second early allowed, for the rounding of what RELAYED said).
 */
bool rdv_relay_second_half(const struct rdv_relay *r)
{
	uint64_t end = lifetime_end(r);

	return end && rdv_now_ms() + rdv_cfg->lim.relay_lifetime * 500ull + 1000 >= end;
}

const char *rdv_relay_owner_id(const struct rdv_relay *r)
{
	return r->owner->id;
}

unsigned int rdv_relay_gen(const struct rdv_relay *r)
{
	return r->gen;
}

/*
 * When the relay ends unless it carries traffic before then: its idle
 * deadline from the last datagram, capped by --relay-lifetime. A
 * datagram does not move the timer; the deadline is checked when due.
 */
static uint64_t relay_due(struct rdv_relay *r)
{
	const struct rdv_limits *lim = &rdv_cfg->lim;
	uint64_t due, end = lifetime_end(r);

	pthread_mutex_lock(&r->lock);
	due = r->last + lim->relay_idle * 1000ull + 1;
	pthread_mutex_unlock(&r->lock);

	return end && end < due ? end : due;
}

static void relay_deadline(struct rdv_timer *t, uint64_t now)
{
	struct rdv_relay *r = rdv_container_of(t, struct rdv_relay, timer);
	uint64_t due = relay_due(r), end = lifetime_end(r);

	if (now < due)
		rdv_timer_arm(t, due);	/* cannot fail: just taken out */
	else
		rdv_relay_free(r, end && now >= end ? "lifetime" : "idle");
}

/* Side 0's owner is the caller, who controls; side 1's the callee. */
static int derive_dirs(struct rdv_relay *r, const uint8_t *secret,
		       size_t secret_len)
{
	uint8_t relay[RELAY_SECRET_LEN];
	int i, ret = 0;

	if (relay_secret_derive(relay, secret, secret_len, r->gen))
		return -1;
	for (i = 0; i < 2 && !ret; i++) {
		int role = i ? PUNCH_ROLE_CONTROLLED : PUNCH_ROLE_CONTROLLING;

		ret = punch_dir_derive(&r->dir[0][i], relay, sizeof(relay),
				       role, stun_hmac_openssl, NULL) ||
		      punch_dir_derive(&r->dir[1][i], secret, secret_len,
				       role, stun_hmac_openssl, NULL);
	}
	memset(relay, 0, sizeof(relay));
	return ret ? -1 : 0;
}

/*
 * The ports and the memory: in its worker once no event can name it, or
 * in the main loop for a relay no worker has seen.
 */
static void relay_destroy(struct rdv_retired *node)
{
	struct rdv_relay *r = rdv_container_of(node, struct rdv_relay, retired);
	int i;

	for (i = 0; i < 2; i++)
		if (r->side[i].io.fd >= 0)
			close(r->side[i].io.fd);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* Out of its worker's epoll, then freed by the worker. */
static void relay_release(struct rdv_relay *r)
{
	int i;

	for (i = 0; i < 2; i++)
		if (r->side[i].watched)
			rdv_relay_worker_unwatch(r->worker, &r->side[i].io);
	rdv_relay_worker_retire(r->worker, &r->retired);
}

/* A relay whose ports opened and a worker took: its deadline, then listed. */
static int relay_start(struct rdv_relay *r, const char *requester)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (rdv_relay_worker_watch(r->worker, &r->side[i].io))
			return -errno;
		r->side[i].watched = true;
	}
	r->owner = relay_owner_get(requester);
	if (!r->owner)
		return -ENOMEM;
	if (rdv_timer_arm(&r->timer, relay_due(r))) {
		relay_owner_put(r->owner);	/* none of its relays yet */
		return -ENOMEM;
	}
	r->owner->relays++;
	r->next = relays;
	if (relays)
		relays->prev = r;
	relays = r;
	n_relays++;
	return 0;
}

int rdv_relay_alloc(struct rdv_session *s, const char *ids[2],
		    const char *requester,
		    const struct sockaddr_storage *obs[2],
		    const uint8_t *secret, size_t secret_len, bool relay_first,
		    unsigned int gen, struct rdv_relay **out, const char **code)
{
	char a[2][SIG_EP_STRLEN];
	struct rdv_relay *r;
	int i, err;

	if (n_relays >= rdv_cfg->lim.max_relays) {
		*code = "relay-full";
		return -ENOSPC;
	}
	/*
	 * Relays requester asked for: a peer cannot spend another's quota.
	 * A renewal replaces a relay the quota let in: both count until
	 * its sides let the old one go (or it ends), without a refusal.
	 */
	if (!gen && relay_owner_relays(requester) >=
	    rdv_users_limit(requester, RDV_USER_RELAYS)) {
		*code = "relay-quota";
		return -EDQUOT;
	}
	*code = "server-error";
	/* Each port is of its owner's family: an IPv4 peer meets an IPv6 one. */
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->s = s;
	r->gen = gen;
	/* A successor's owners have its secret: only peers that renew. */
	r->n_dirs = relay_first || gen ? 1 : 2;
	r->side[0].io.fd = r->side[1].io.fd = -1;
	r->retired.destroy = relay_destroy;
	err = pthread_mutex_init(&r->lock, NULL);
	if (err) {
		free(r);
		return -err;
	}
	if (derive_dirs(r, secret, secret_len)) {
		relay_destroy(&r->retired);
		return -EINVAL;
	}
	r->created = r->last = r->tokens_at = rdv_now_ms();
	r->timer.fire = relay_deadline;
	r->tokens = rdv_cfg->lim.relay_rate;
	for (i = 0; i < 2; i++) {
		snprintf(r->ids[i], sizeof(r->ids[i]), "%s", ids[i]);
		r->side[i].r = r;
		r->side[i].idx = i;
	}
	for (i = 0; i < 2; i++) {
		err = open_side(&r->side[i], obs[i]->ss_family);
		if (err) {
			relay_destroy(&r->retired);
			rdv_log(RDV_LOG_ERR, "relay-alloc", "error=\"%s\"",
				strerror(-err));
			return err;
		}
	}
	r->worker = rdv_relay_worker_pick();
	if (!r->worker) {
		relay_destroy(&r->retired);
		return -ENOMEM;
	}
	err = relay_start(r, requester);
	if (err) {
		/* Its worker may have seen a datagram already: it frees it. */
		relay_release(r);
		return err;
	}
	rdv_count(RDV_C_RELAYS, 1);
	*out = r;
	rdv_log(RDV_LOG_INFO, "relay-alloc", "a=%s b=%s a_port=%s b_port=%s worker=%u",
		ids[0], ids[1],
		rdv_addr_str(&r->side[0].local, a[0], sizeof(a[0])),
		rdv_addr_str(&r->side[1].local, a[1], sizeof(a[1])),
		rdv_relay_worker_index(r->worker));
	return 0;
}

void rdv_relay_side_released(struct rdv_relay *r, int side, bool released)
{
	pthread_mutex_lock(&r->lock);
	r->side[side].released = released;
	pthread_mutex_unlock(&r->lock);
}

void rdv_relay_endpoints(const struct rdv_relay *r, struct sig_ep ep[2])
{
	rdv_ep_from_ss(&ep[0], &r->side[0].local);
	rdv_ep_from_ss(&ep[1], &r->side[1].local);
}

void rdv_relay_free(struct rdv_relay *r, const char *why)
{
	uint64_t packets[2], bytes[2], dropped;
	char a[SIG_EP_STRLEN];
	int i;

	/* Ended: the worker forwards nothing more, so the figures are final. */
	pthread_mutex_lock(&r->lock);
	r->ended = true;
	for (i = 0; i < 2; i++) {
		packets[i] = r->side[i].packets;
		bytes[i] = r->side[i].bytes;
	}
	dropped = r->dropped;
	pthread_mutex_unlock(&r->lock);
	rdv_log(RDV_LOG_INFO, "relay-end",
		"a=%s b=%s a_port=%s a_to_b_packets=%llu a_to_b_bytes=%llu "
		"b_to_a_packets=%llu b_to_a_bytes=%llu dropped=%llu reason=%s",
		r->ids[0], r->ids[1], rdv_addr_str(&r->side[0].local, a, sizeof(a)),
		(unsigned long long)packets[0], (unsigned long long)bytes[0],
		(unsigned long long)packets[1], (unsigned long long)bytes[1],
		(unsigned long long)dropped, why);
	/* Its slot first: the session re-arms in the room this leaves. */
	rdv_timer_cancel(&r->timer);
	rdv_session_relay_gone(r->s, r);
	if (r->prev)
		r->prev->next = r->next;
	else
		relays = r->next;
	if (r->next)
		r->next->prev = r->prev;
	n_relays--;
	r->owner->relays--;
	relay_owner_put(r->owner);
	relay_release(r);
}

static bool same_ep(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	struct sig_ep x, y;

	rdv_ep_from_ss(&x, a);
	rdv_ep_from_ss(&y, b);
	return sig_ep_equal(&x, &y);
}

/* A request of this side's owner, tagged and authenticated as such. */
static bool owners_request(const struct rdv_relay_side *side,
			   const uint8_t *buf, size_t len, struct stun_msg *m)
{
	const size_t plen = sizeof(NFP_USER_PREFIX) - 1;
	const struct punch_dir *dir;
	char hex[2 * PUNCH_TAG_LEN + 1];
	uint8_t tag[PUNCH_TAG_LEN];
	int k;

	/* Most of what a relay carries is not STUN: two cheap looks first. */
	if (len < STUN_HDR_LEN || buf[0] != 0x00 || buf[1] != 0x01 ||
	    stun_parse(m, buf, len) != STUN_OK ||
	    !(m->seen & STUN_SEEN_USERNAME) ||
	    m->username_len != plen + 2 * PUNCH_TAG_LEN ||
	    memcmp(m->username, NFP_USER_PREFIX, plen))
		return false;
	memcpy(hex, m->username + plen, 2 * PUNCH_TAG_LEN);
	hex[2 * PUNCH_TAG_LEN] = '\0';
	if (hex_decode(hex, tag, sizeof(tag)) != PUNCH_TAG_LEN)
		return false;
	for (k = 0; k < side->r->n_dirs; k++) {
		dir = &side->r->dir[k][side->idx];
		if (!memcmp(tag, dir->tag, PUNCH_TAG_LEN))
			return stun_check_integrity(m, buf, dir->key,
						    sizeof(dir->key),
						    stun_hmac_openssl,
						    NULL) == STUN_OK;
	}
	return false;
}

static bool seen_before(const struct rdv_relay_side *side, const uint8_t *tid)
{
	unsigned int i;

	for (i = 0; i < RELAY_SEEN; i++)
		if (!memcmp(side->seen[i], tid, STUN_TID_LEN))
			return true;
	return false;
}

static void remember(struct rdv_relay_side *side, const uint8_t *tid)
{
	if (seen_before(side, tid))
		return;
	memcpy(side->seen[side->next_seen], tid, STUN_TID_LEN);
	side->next_seen = (side->next_seen + 1) % RELAY_SEEN;
}

/*
 * May from take this port? NULL if so, else why not. Every request of
 * the owner it has seen is remembered, whoever sent it, so none of them
 * can take the port later.
 */
static const char *may_lock(struct rdv_relay_side *side, const uint8_t *buf,
			    size_t len, uint64_t now)
{
	struct stun_msg m;

	if (!owners_request(side, buf, len, &m))
		return "not-the-peer";
	if (seen_before(side, m.tid))
		return "replay";
	remember(side, m.tid);
	if (side->locked && now - side->heard < RELAY_ROAM_MS)
		return "port-in-use";
	return NULL;
}

static void relay_drop(struct rdv_relay *r)
{
	r->dropped++;
	rdv_count(RDV_C_RELAY_DROPPED, 1);
}

static bool rate_ok(struct rdv_relay *r, size_t bytes, uint64_t now)
{
	double rate = rdv_cfg->lim.relay_rate;

	r->tokens += (double)(now - r->tokens_at) * rate / 1000;
	r->tokens_at = now;
	if (r->tokens > rate)
		r->tokens = rate;
	if (r->tokens < (double)bytes)
		return false;
	r->tokens -= (double)bytes;
	return true;
}

/*
 * A datagram from side's port: from its sender, or one that may take the
 * port. False if it goes no further.
 */
static bool relay_accept(struct rdv_relay_side *side, const uint8_t *buf, size_t n,
			 const struct sockaddr_storage *from, uint64_t now)
{
	struct rdv_relay *r = side->r;
	char a[2][SIG_EP_STRLEN];
	const char *why;
	struct stun_msg m;

	if (!side->locked || !same_ep(from, &side->peer)) {
		why = may_lock(side, buf, n, now);
		if (why) {
			/* A flood must not queue on the log's lock for nothing. */
			if (rdv_log_limited_room())
				rdv_log_limited("relay-drop", "owner=%s from=%s reason=%s",
						r->ids[side->idx],
						rdv_addr_str(from, a[0], sizeof(a[0])), why);
			return false;
		}
		rdv_log(RDV_LOG_INFO, "relay-peer", "owner=%s from=%s port=%s",
			r->ids[side->idx], rdv_addr_str(from, a[0], sizeof(a[0])),
			rdv_addr_str(&side->local, a[1], sizeof(a[1])));
		side->peer = *from;
		side->locked = true;
	} else if (owners_request(side, buf, n, &m)) {
		/* Authentic ids only: forgeries must not push them out. */
		remember(side, m.tid);
	}
	side->heard = now;
	return true;
}

/*
 * Datagrams in batches (recvmmsg, sendmmsg): one system call each way
 * for up to RELAY_BATCH of them, checked one by one as they came.
 * RELAY_ROUNDS batches per wakeup, so that one busy relay cannot starve
 * the others of its worker.
 */
#define RELAY_BATCH	32
#define RELAY_ROUNDS	2

/* A worker's buffers: 2 MiB of address space, touched as datagrams fill it. */
struct rdv_relay_batch {
	uint8_t buf[RELAY_BATCH][RELAY_MAX_DGRAM + 1];
	struct sockaddr_storage from[RELAY_BATCH];
	struct mmsghdr in[RELAY_BATCH], out[RELAY_BATCH];
	struct iovec iov[RELAY_BATCH], oiov[RELAY_BATCH];
};

/* One allocation: free() frees it. */
struct rdv_relay_batch *rdv_relay_batch_new(void)
{
	return malloc(sizeof(struct rdv_relay_batch));
}

/*
 * A batch from side's port, those to forward queued in b->out for the
 * other side's peer: how many came (0: none), *n_out how many go.
 */
static unsigned int relay_take(struct rdv_relay_side *side, struct rdv_relay_batch *b,
			       uint64_t now, unsigned int *n_out)
{
	struct rdv_relay *r = side->r;
	struct rdv_relay_side *other = &r->side[!side->idx];
	unsigned int i;
	int got;

	for (i = 0; i < RELAY_BATCH; i++) {
		b->iov[i] = (struct iovec){ .iov_base = b->buf[i], .iov_len = sizeof(b->buf[i]) };
		b->in[i].msg_hdr = (struct msghdr){
			.msg_name = &b->from[i], .msg_namelen = sizeof(b->from[i]),
			.msg_iov = &b->iov[i], .msg_iovlen = 1,
		};
	}
	got = recvmmsg(side->io.fd, b->in, RELAY_BATCH, MSG_DONTWAIT, NULL);
	*n_out = 0;
	if (got <= 0)
		return 0;
	for (i = 0; i < (unsigned int)got; i++) {
		size_t len = b->in[i].msg_len;

		/* Too long for any UDP we send (an IPv6 one): not cut short. */
		if ((b->in[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    !relay_accept(side, b->buf[i], len, &b->from[i], now) ||
		    !other->locked || other->released || !rate_ok(r, len, now)) {
			relay_drop(r);
			continue;
		}
		b->oiov[*n_out] = (struct iovec){ .iov_base = b->buf[i], .iov_len = len };
		b->out[*n_out].msg_hdr = (struct msghdr){
			.msg_name = &other->peer, .msg_namelen = sa_len(&other->peer),
			.msg_iov = &b->oiov[*n_out], .msg_iovlen = 1,
		};
		(*n_out)++;
	}
	return (unsigned int)got;
}

/* Send what relay_take() queued, and count it. */
static void relay_give(struct rdv_relay_side *side, struct rdv_relay_batch *b,
		       unsigned int n_out, uint64_t now)
{
	struct rdv_relay *r = side->r;
	unsigned int i, done = 0;
	uint64_t bytes;
	int sent;

	while (done < n_out) {
		sent = sendmmsg(r->side[!side->idx].io.fd, b->out + done, n_out - done,
				MSG_DONTWAIT);
		if (sent <= 0) {
			/* A full buffer drops the rest, as a full link would. */
			if (sent < 0 && (errno == EAGAIN || errno == ENOBUFS))
				break;
			/* This one cannot go (too big for the family, ...): the next may. */
			relay_drop(r);
			done++;
			continue;
		}
		bytes = 0;
		for (i = done; i < done + (unsigned int)sent; i++)
			bytes += b->out[i].msg_len;
		side->packets += (unsigned int)sent;
		side->bytes += bytes;
		rdv_count(RDV_C_RELAY_PACKETS, (uint64_t)sent);
		rdv_count(RDV_C_RELAY_BYTES, bytes);
		r->last = now;
		done += (unsigned int)sent;
	}
	for (; done < n_out; done++)
		relay_drop(r);
}

void rdv_relay_input(struct rdv_io *io, struct rdv_relay_batch *b)
{
	struct rdv_relay_side *side = (struct rdv_relay_side *)io;
	struct rdv_relay *r = side->r;
	unsigned int got, n_out;
	int round;

	pthread_mutex_lock(&r->lock);
	for (round = 0; round < RELAY_ROUNDS && !r->ended; round++) {
		uint64_t now = rdv_now_ms();

		got = relay_take(side, b, now, &n_out);
		relay_give(side, b, n_out, now);
		if (got < RELAY_BATCH)
			break;
	}
	pthread_mutex_unlock(&r->lock);
}

void rdv_relays_revoke(const char *id)
{
	struct rdv_relay *r, *next;

	for (r = relays; r; r = next) {
		next = r->next;
		if (!strcmp(r->ids[0], id) || !strcmp(r->ids[1], id))
			rdv_relay_free(r, "revoked");
	}
}

void rdv_relays_shutdown(void)
{
	while (relays)
		rdv_relay_free(relays, "shutdown");
}
