// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NAT behaviour discovery (RFC 5780) against rendezvousd's two addresses,
 * from punchd's own UDP sockets, never blocking the event loop:
 *
 *  mapping    one socket asks all four server addresses in turn: the same
 *             public endpoint everywhere is endpoint-independent; the
 *             same one per server address is address-dependent.
 *  allocation the four answers are four allocations in order: the local
 *             port kept, a constant step (sequential; others' mappings
 *             may fall between, pd_nat_seq_step()), or neither.
 *  filtering  fresh sockets ask for the answer from the other address
 *             and port (arrives: endpoint-independent filtering) or from
 *             the other port only (arrives: address-dependent).
 *  lifetime   sockets open a mapping each, then after 5, 10, 20, ... s a
 *             request from another socket asks (RESPONSE-PORT) for the
 *             answer to go to that mapping: it arrives while it lives.
 *
 * The filter and mapping a socket sees are the NAT's for any local port,
 * which is the point: the module's port is busy with real traffic.
 * Discovery also offers fresh samples of the allocator (pd_nat_sample)
 * so a sequential NAT's next ports can be predicted right before a punch,
 * and, once done, walks the hops to the server (hops.c) for priming.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "punchd.h"
#include "sockaddr.h"
#include "stun.h"

#define MAX_Q		16
#define RTO_MS		200	/* then 400, then give up */
#define TRIES		3
#define GIVE_UP_MS	1400
#define RETRY_MS	30000	/* the server did not answer at all */
/*
 * A run due while a call predicts our sequential NAT's ports waits (its
 * tests take new mappings, which would take the ports announced): it
 * looks again this often, and waits this long at most, so that calls
 * one after another cannot hold discovery off for good.
 */
#define DEFER_STEP_MS	500
#define DEFER_MAX_MS	60000

enum q_kind { Q_MAP, Q_FILTER_BOTH, Q_FILTER_PORT, Q_LIFE, Q_CHECK, Q_SAMPLE };

struct q {
	bool used, waiting, answered, owns_fd;
	enum q_kind kind;
	int fd;
	uint8_t tid[STUN_TID_LEN];
	struct sockaddr_storage to;
	uint32_t change;
	uint16_t response_port;
	unsigned int tries;
	uint64_t sent, next;
	struct stun_addr mapped, other;
	unsigned int life_s;	/* Q_LIFE: the wait; Q_CHECK: of which */
	int life_q;		/* Q_CHECK: the Q_LIFE it tests */
	unsigned int tag;	/* Q_SAMPLE: the caller's */
};

static struct q qs[MAX_Q];
static const unsigned int life_waits[] = { 5, 10, 20, 40, 80, 160 };
#define N_LIFE (sizeof(life_waits) / sizeof(life_waits[0]))

static struct pd_nat nat;
static bool ready, running;
static bool seq_doubted;	/* the last run read our sequential NAT random */
static bool last_failed;	/* the latest run had no answer */
static uint64_t next_run = 1;	/* as soon as the server link is up */
static uint64_t deferred_since;	/* a due run waits for a call; 0: not */
/* The mapping test walks the four server addresses with one socket. */
static int map_fd = -1, map_step;
static bool map_over;
static struct stun_addr map_seen[4], other;
static bool have_other;
/* Lifetime: known alive for lo s, dead by hi s (0: not seen to die). */
static unsigned int life_lo, life_hi;
static bool life_done, life_running;

static void nat_start(const char *reason, uint64_t waited_ms);

/* After a run without (enough) answers; never later than the next. */
static uint32_t retry_ms(void)
{
	return RETRY_MS < pd_cfg.rediscover_ms ? RETRY_MS : pd_cfg.rediscover_ms;
}

static int sock_new(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	pd_mark_socket(fd);
	return fd;
}

static int q_alloc(void)
{
	int i;

	for (i = 0; i < MAX_Q; i++)
		if (!qs[i].used) {
			memset(&qs[i], 0, sizeof(qs[i]));
			qs[i].used = true;
			qs[i].fd = -1;
			qs[i].life_q = -1;
			return i;
		}
	return -1;
}

static void q_free(struct q *q)
{
	if (q->owns_fd && q->fd >= 0)
		close(q->fd);
	q->used = false;
}

static void stun_to_ss(struct sockaddr_storage *ss, const struct stun_addr *a)
{
	sa_set(ss, a->family == STUN_AF_IPV6 ? AF_INET6 : AF_INET, a->ip, a->port);
}

static bool stun_addr_eq(const struct stun_addr *a, const struct stun_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->ip, b->ip, a->family == STUN_AF_IPV6 ? 16 : 4);
}

static void q_send(struct q *q, uint64_t now)
{
	struct stun_builder b;
	uint8_t buf[128];
	int len;

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, q->tid);
	if (q->change)
		stun_add_u32(&b, STUN_A_CHANGE_REQUEST, q->change);
	if (q->response_port)
		stun_add_u32(&b, STUN_A_RESPONSE_PORT,
			     (uint32_t)q->response_port << 16);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	if (len > 0 && sendto(q->fd, buf, (size_t)len, 0,
			      (struct sockaddr *)&q->to, sa_len(&q->to)) < 0)
		pd_log("nat-send", "error=\"%s\"", strerror(errno));
	if (!q->tries)
		q->sent = now;
	q->tries++;
	q->next = now + ((uint64_t)RTO_MS << (q->tries - 1));
	if (q->tries == TRIES)
		q->next = q->sent + GIVE_UP_MS;
}

/* Start a query; fd < 0: on a fresh socket of its own. */
static int q_start(enum q_kind kind, int fd, const struct sockaddr_storage *to,
		   uint32_t change)
{
	int i = q_alloc();
	struct q *q;

	if (i < 0)
		return -1;
	q = &qs[i];
	q->kind = kind;
	q->to = *to;
	q->change = change;
	if (fd < 0) {
		fd = sock_new(to->ss_family);
		if (fd < 0) {
			q->used = false;
			return -1;
		}
		q->owns_fd = true;
	}
	q->fd = fd;
	if (sig_random(q->tid, sizeof(q->tid))) {
		q_free(q);
		return -1;
	}
	q->waiting = true;
	q_send(q, pd_now_ms());
	return i;
}

/*
 * The server this discovery asks, taken when it starts: after a failover
 * to another instance, a check towards the new one would test a mapping
 * opened towards the old one (link.c discovers again instead).
 */
static struct sockaddr_storage disc_server;

static bool server(struct sockaddr_storage *ss, bool alt_ip, bool alt_port)
{
	struct stun_addr a;

	if (!disc_server.ss_family)
		return false;
	*ss = disc_server;
	if (!alt_ip && !alt_port)
		return true;
	if (!have_other)
		return false;
	if (alt_ip) {
		a = other;
		if (!alt_port)
			a.port = pd_cfg.stun_port;
		stun_to_ss(ss, &a);
	} else {
		sa_set_port(ss, other.port);
	}
	return true;
}

/* The next address of the mapping walk: primary, other port, other IP, both. */
static void map_next(void)
{
	static const bool ip[4] = { false, false, true, true };
	static const bool port[4] = { false, true, false, true };
	struct sockaddr_storage to;

	if (map_step >= 4 || !server(&to, ip[map_step], port[map_step]) ||
	    q_start(Q_MAP, map_fd, &to, 0) < 0)
		map_over = true;
}

static bool busy(enum q_kind kind)
{
	unsigned int i;

	for (i = 0; i < MAX_Q; i++)
		if (qs[i].used && qs[i].kind == kind && qs[i].waiting)
			return true;
	return false;
}

/*
 * Discovery and the hop walk after it are over: wake whoever waited for
 * them (calls parked in NAT_WAIT, "punchd discover").
 */
static void settled(void)
{
	if (pd_nat_busy())
		return;
	pd_peers_nat_ready();
	pd_control_discovered();
}

static void classify(void)
{
	struct nfp_endpoint local;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct pd_nat found = { 0 };
	uint16_t lport = 0;
	unsigned int between = 0;
	uint8_t ip[16];
	int d[3], i;
	char w[PD_NAT_STRLEN];

	if (!getsockname(map_fd, (struct sockaddr *)&ss, &len))
		lport = sa_get(&ss, ip);
	if (map_step == 0 || (ready && have_other && map_step < 4)) {
		/*
		 * The server is away, not our network (netwatch says when
		 * that changes), or some of the walk's answers were lost (a
		 * lossy link): too little to tell, and nothing says the NAT
		 * changed. A result of this network stays; a run follows
		 * sooner.
		 */
		pd_log("nat", "result=unknown reason=%s answers=%d retry_s=%u kept=%s",
		       map_step ? "partial" : "no-answer", map_step,
		       retry_ms() / 1000,
		       ready ? pd_nat_format(&nat, w, sizeof(w)) : "none");
		next_run = pd_now_ms() + retry_ms();
		last_failed = true;
		return;
	}
	if (!pd_link_local(&local) && map_seen[0].port == lport &&
	    !memcmp(map_seen[0].ip, local.addr,
		    local.family == AF_INET6 ? 16 : 4)) {
		found.map = PD_MAP_OPEN;
		found.alloc = PD_ALLOC_PRESERVE;
	} else if (map_step == 4 && have_other) {
		if (stun_addr_eq(&map_seen[0], &map_seen[2]))
			found.map = PD_MAP_EIM;
		else if (stun_addr_eq(&map_seen[2], &map_seen[3]))
			found.map = PD_MAP_ADM;
		else
			found.map = PD_MAP_APDM;
		d[0] = map_seen[1].port - map_seen[0].port;
		d[1] = map_seen[2].port - map_seen[1].port;
		d[2] = map_seen[3].port - map_seen[2].port;
		if (found.map == PD_MAP_ADM)
			d[0] = d[2] = d[1];
		if (map_seen[0].port == lport && found.map == PD_MAP_EIM)
			found.alloc = PD_ALLOC_PRESERVE;
		else if (found.map != PD_MAP_EIM &&
			 (found.delta = pd_nat_seq_step(d, &between))) {
			found.alloc = PD_ALLOC_SEQ;
		} else {
			found.alloc = PD_ALLOC_RANDOM;
		}
	}
	if (have_other)
		found.filter = PD_FILTER_APDF;
	for (i = 0; i < MAX_Q; i++) {
		if (!qs[i].used || !qs[i].answered)
			continue;
		if (qs[i].kind == Q_FILTER_BOTH)
			found.filter = PD_FILTER_EIF;
		else if (qs[i].kind == Q_FILTER_PORT &&
			 found.filter != PD_FILTER_EIF)
			found.filter = PD_FILTER_ADF;
	}
	if (pd_nat_doubt(ready ? &nat : NULL, &found, &seq_doubted))
		pd_log("nat-doubt", "kept=seq%d found=random ports=%u,%u,%u,%u",
		       nat.delta, map_seen[0].port, map_seen[1].port,
		       map_seen[2].port, map_seen[3].port);
	nat = found;
	ready = true;
	last_failed = false;
	next_run = pd_now_ms() + pd_cfg.rediscover_ms;
	pd_log("nat", "result=%s mapping=%s filtering=%s allocation=%s delta=%d between=%u local_port=%u ports=%u,%u,%u,%u",
	       pd_nat_format(&nat, w, sizeof(w)), pd_nat_map_name(nat.map),
	       pd_nat_filter_name(nat.filter), pd_nat_alloc_name(nat.alloc),
	       nat.delta, between, lport, map_seen[0].port, map_seen[1].port,
	       map_seen[2].port, map_seen[3].port);
	pd_own_mapping_prefetch();
}

static void life_start(void)
{
	struct sockaddr_storage to;
	unsigned int i;
	int k;

	if (life_running || life_done || nat.map == PD_MAP_OPEN ||
	    nat.map == PD_MAP_UNKNOWN || !have_other || !server(&to, false, false))
		return;
	life_running = true;
	for (i = 0; i < N_LIFE; i++) {
		k = q_start(Q_LIFE, -1, &to, 0);
		if (k >= 0)
			qs[k].life_s = life_waits[i];
	}
}

static void life_finish(void)
{
	unsigned int i;

	life_running = false;
	life_done = true;
	for (i = 0; i < MAX_Q; i++)
		if (qs[i].used && (qs[i].kind == Q_LIFE || qs[i].kind == Q_CHECK))
			q_free(&qs[i]);
	pd_log("nat-lifetime", "alive_s=%u dead_s=%u keepalive_ms=%u",
	       life_lo, life_hi, pd_keepalive_ms());
	pd_peers_keepalive_changed();
}

/* A mapping checked after life_s: alive or not. */
static void life_result(struct q *life, bool alive)
{
	unsigned int i;

	if (alive) {
		if (life->life_s > life_lo)
			life_lo = life->life_s;
	} else if (!life_hi || life->life_s < life_hi) {
		life_hi = life->life_s;
	}
	q_free(life);
	/* Longer waits cannot be alive once a shorter one died. */
	for (i = 0; i < MAX_Q; i++) {
		if (!qs[i].used || (qs[i].kind != Q_LIFE &&
				    qs[i].kind != Q_CHECK))
			continue;
		if (life_hi && qs[i].kind == Q_LIFE && qs[i].life_s > life_hi)
			q_free(&qs[i]);
	}
	for (i = 0; i < MAX_Q; i++)
		if (qs[i].used && (qs[i].kind == Q_LIFE || qs[i].kind == Q_CHECK))
			return;
	life_finish();
}

static void life_check(int life_idx)
{
	struct q *life = &qs[life_idx];
	struct sockaddr_storage to;
	int k;

	/* One check per mapping: it is not looked at again. */
	life->next = UINT64_MAX;
	if (!server(&to, false, false))
		return;
	k = q_alloc();
	if (k < 0)
		return;
	/* From the mapping walk's socket: a different mapping, same address. */
	qs[k].kind = Q_CHECK;
	qs[k].fd = map_fd;
	qs[k].to = to;
	qs[k].response_port = life->mapped.port;
	qs[k].life_q = life_idx;
	qs[k].life_s = life->life_s;
	if (sig_random(qs[k].tid, sizeof(qs[k].tid))) {
		q_free(&qs[k]);
		return;
	}
	qs[k].waiting = true;
	q_send(&qs[k], pd_now_ms());
}

static void run_check(void);

static void q_done(int idx, bool answered)
{
	struct q *q = &qs[idx];
	int i;

	q->waiting = false;
	q->answered = answered;
	switch (q->kind) {
	case Q_MAP:
		if (answered) {
			map_seen[map_step] = q->mapped;
			if (map_step == 0 && q->other.family) {
				other = q->other;
				have_other = true;
			}
			map_step++;
		}
		q_free(q);
		if (answered && map_step < 4)
			map_next();
		else
			map_over = true;
		break;
	case Q_FILTER_BOTH:
	case Q_FILTER_PORT:
		break;	/* read by classify(), then freed */
	case Q_LIFE:
		if (!answered) {
			q_free(q);
			return;
		}
		/* Idle from now; checked after life_s. */
		q->next = pd_now_ms() + q->life_s * 1000ull;
		return;
	case Q_CHECK:
		/* Answers only come in through input(): this is silence. */
		i = q->life_q;
		q_free(q);
		if (i >= 0 && qs[i].used)
			life_result(&qs[i], false);
		return;
	case Q_SAMPLE:
		pd_peers_sampled(q->tag, answered ? q->mapped.port : 0);
		q_free(q);
		return;
	}
	run_check();
}

/* The run's last test is over (or none could start): classify, move on. */
static void run_check(void)
{
	int i;

	if (running && map_over && !busy(Q_FILTER_BOTH) &&
	    !busy(Q_FILTER_PORT)) {
		running = false;
		classify();
		for (i = 0; i < MAX_Q; i++)
			if (qs[i].used && (qs[i].kind == Q_FILTER_BOTH ||
					   qs[i].kind == Q_FILTER_PORT))
				q_free(&qs[i]);
		life_start();
		/*
		 * After the mapping walk, not beside it: each of its hops that
		 * crosses the NAT takes a new mapping, which would read as a
		 * step of a sequential allocator.
		 */
		if (ready && !last_failed)
			pd_hops_start();
		settled();
	}
}

bool pd_nat_busy(void)
{
	return running || pd_hops_walking();
}

/*
 * Must a call wait before it offers? Only for what it cannot do without:
 * the first result on this network (the strategy needs it), the first
 * hop walk (priming needs it), and, behind a sequential NAT, any later
 * run: its tests and its hop walk take new mappings, which would land
 * between the call's sample and its punch and spoil the prediction.
 * Elsewhere a later run changes nothing a call uses meanwhile.
 */
bool pd_nat_call_waits(void)
{
	if (ready && pd_nat_predictable(&nat))
		return pd_nat_busy();
	if (running && !ready)
		return true;
	return pd_hops_walking() && !pd_hops_known();
}

void pd_hops_walked(void)
{
	settled();
}

int pd_nat_rediscover(void)
{
	if (!pd_nat_busy())
		nat_start("asked", 0);
	return pd_nat_busy() ? 0 : -1;
}

bool pd_nat_last_failed(void)
{
	return last_failed;
}

void pd_nat_network_changed(void)
{
	/*
	 * Everything learnt, and every test in flight, was of the old
	 * network: a lifetime check failing after the move would read as a
	 * short lifetime. Forget it all and discover again.
	 */
	pd_nat_close();
	pd_own_mapping_forget();
	running = life_running = life_done = false;
	ready = last_failed = seq_doubted = false;
	memset(&nat, 0, sizeof(nat));
	life_lo = life_hi = 0;
	pd_peers_keepalive_changed();	/* back to the default until measured */
	nat_start("network", 0);
	settled();	/* it may not have started: nobody waits in vain */
}

/* A run, unless one is on; reason and the wait it had are logged. */
static void nat_start(const char *reason, uint64_t waited_ms)
{
	struct sockaddr_storage to;
	unsigned int i;

	if (running)
		return;
	deferred_since = 0;
	if (pd_server_sockaddr(&disc_server, pd_cfg.stun_port) < 0 ||
	    !server(&to, false, false)) {
		next_run = pd_now_ms() + retry_ms();	/* not never */
		return;
	}
	pd_log("nat-start", "reason=%s waited_ms=%llu", reason,
	       (unsigned long long)waited_ms);
	for (i = 0; i < MAX_Q; i++)
		if (qs[i].used && qs[i].kind != Q_LIFE && qs[i].kind != Q_CHECK &&
		    qs[i].kind != Q_SAMPLE)
			q_free(&qs[i]);
	if (map_fd >= 0)
		close(map_fd);
	map_fd = sock_new(to.ss_family);
	if (map_fd < 0) {
		pd_log("nat", "result=unknown error=\"%s\"", strerror(errno));
		next_run = pd_now_ms() + retry_ms();
		return;
	}
	running = true;
	map_over = false;
	map_step = 0;
	have_other = false;
	memset(map_seen, 0, sizeof(map_seen));
	/*
	 * The filter tests first: their mappings are made now, so the walk's
	 * four that follow are consecutive allocations of a sequential NAT.
	 */
	q_start(Q_FILTER_BOTH, -1, &to, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	q_start(Q_FILTER_PORT, -1, &to, STUN_CHANGE_PORT);
	map_next();
	run_check();	/* no slot or socket for any test: over, no answer */
}

int pd_nat_sample(unsigned int tag)
{
	struct sockaddr_storage to;
	int k;

	if (!server(&to, false, false))
		return -1;
	k = q_start(Q_SAMPLE, -1, &to, 0);
	if (k < 0)
		return -1;
	qs[k].tag = tag;
	return 0;
}

static void input(int fd)
{
	uint8_t buf[1500];
	struct stun_msg m;
	unsigned int i;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		if (stun_parse(&m, buf, (size_t)n) ||
		    m.type != STUN_BINDING_SUCCESS)
			continue;
		for (i = 0; i < MAX_Q; i++) {
			struct q *q = &qs[i];

			if (!q->used || !q->waiting ||
			    memcmp(q->tid, m.tid, STUN_TID_LEN))
				continue;
			if (q->kind == Q_CHECK) {
				/* Only the mapping under test may hear it. */
				int life = q->life_q;

				if (life >= 0 && fd == qs[life].fd) {
					q_free(q);
					life_result(&qs[life], true);
				}
				break;
			}
			if (fd != q->fd)
				break;
			q->mapped = (m.seen & STUN_SEEN_XOR_MAPPED) ?
				    m.xor_mapped : m.mapped;
			if (m.seen & STUN_SEEN_OTHER)
				q->other = m.other;
			q_done((int)i, true);
			break;
		}
	}
}

int pd_nat_fds(int *fds, int max)
{
	int i, n = 0;

	if (pd_hops_fd() >= 0 && n < max)
		fds[n++] = pd_hops_fd();
	if (map_fd >= 0 && n < max)
		fds[n++] = map_fd;
	for (i = 0; i < MAX_Q && n < max; i++)
		if (qs[i].used && qs[i].owns_fd)
			fds[n++] = qs[i].fd;
	return n;
}

void pd_nat_input(int fd)
{
	if (fd == pd_hops_fd())
		pd_hops_input();
	else
		input(fd);
}

void pd_nat_tick(uint64_t now, uint64_t *next)
{
	uint64_t waited;
	unsigned int i;

	if (!running && next_run && now >= next_run && pd_link_up()) {
		if (pd_peers_predicting() &&
		    (!deferred_since || now - deferred_since < DEFER_MAX_MS)) {
			if (!deferred_since) {
				pd_log("nat-deferred", "reason=predicting max_s=%d",
				       DEFER_MAX_MS / 1000);
				deferred_since = now;
			}
			next_run = now + DEFER_STEP_MS;
		} else {
			waited = deferred_since ? now - deferred_since : 0;
			next_run = 0;
			nat_start(!ready ? "first" : last_failed ? "retry" :
				     "periodic", waited);
		}
	}
	pd_hops_tick(now, next);
	for (i = 0; i < MAX_Q; i++) {
		struct q *q = &qs[i];

		if (!q->used)
			continue;
		if (q->kind == Q_LIFE && !q->waiting) {
			if (now >= q->next)
				life_check((int)i);
		} else if (q->waiting && now >= q->next) {
			if (q->tries < TRIES)
				q_send(q, now);
			else
				q_done((int)i, false);
		}
		if (q->used && q->next < *next)
			*next = q->next;
	}
	if (next_run && next_run < *next)
		*next = next_run;
}

bool pd_nat_mine(struct pd_nat *out)
{
	if (!ready) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	*out = nat;
	return true;
}

bool pd_nat_lifetime(unsigned int *lo, unsigned int *hi)
{
	*lo = life_lo;
	*hi = life_hi;
	return life_done;
}

/* The measured lifetime, less a margin, within the configured bounds. */
uint32_t pd_keepalive_ms(void)
{
	uint32_t ms;

	if (pd_cfg.keepalive_ms)
		return pd_cfg.keepalive_ms;
	if (!life_done)
		ms = PD_KEEPALIVE_DEFAULT_MS;
	else if (!life_hi)
		ms = pd_cfg.keepalive_max_ms;	/* outlived every check */
	else
		ms = life_lo * 1000u * 3 / 4;
	if (ms < pd_cfg.keepalive_min_ms)
		ms = pd_cfg.keepalive_min_ms;
	if (ms > pd_cfg.keepalive_max_ms)
		ms = pd_cfg.keepalive_max_ms;
	return ms;
}

void pd_nat_close(void)
{
	unsigned int i;

	for (i = 0; i < MAX_Q; i++)
		if (qs[i].used)
			q_free(&qs[i]);
	if (map_fd >= 0)
		close(map_fd);
	map_fd = -1;
	pd_hops_close();
}
