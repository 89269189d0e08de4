// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nl-fuzz - hammer the nfpunch family with random and mutated requests.
 *
 *   nl-fuzz [-t THREADS] [-s SECONDS] [-S SEED] [-F] LOCAL_ADDR PEER_ADDR...
 *
 * Each thread has its own netlink socket and sends every command (and
 * unknown ones) built from a small grammar: endpoints on LOCAL_ADDR (an
 * address of this namespace, so requests get past validation and make
 * flows) or PEER_ADDR (reachable peers, so some flows punch), secrets and
 * roles of every length and value, ids it has seen in replies. About a
 * third of the requests are then mutated: bytes flipped, attribute
 * headers rewritten, the message truncated, the genl header changed.
 * Dumps go through small receive buffers; sockets are closed with owned
 * flows on them. The kernel must answer everything without a splat; the
 * harness checks its log. -F: each worker marks its own thread for fault
 * injection (/proc/thread-self/make-it-fail; the caller sets up failslab
 * with task-filter), so its kernel allocations fail and nothing else's,
 * and carries on when a socket cannot be made or a send fails. Prints totals; exits 0 unless a request got no
 * answer at all (a hang).
 */
#define _GNU_SOURCE		/* strerrorname_np */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nfpunch.h>
#include <sys/socket.h>

#include "../../helper/lib/internal.h"

#define MSG_MAX		8192
#define BATCH_BYTES_MAX	3584	/* see the batch case of build() */
#define MAX_ADDRS	8
#define ID_POOL		64

static int family;
static time_t deadline;
static const char *addrs[MAX_ADDRS];
static int n_addrs;
static atomic_ulong n_sent, n_ok, n_err, n_mutated, n_dumps, n_intr,
	n_silent, n_reopen, n_lost;
static atomic_ulong errno_hist[136];

struct gen {
	unsigned int seed;
	uint8_t buf[MSG_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
	uint32_t ids[ID_POOL];
	unsigned int n_ids;
};

static unsigned int rnd(struct gen *g, unsigned int n)
{
	return n ? (unsigned int)rand_r(&g->seed) % n : 0;
}

static int chance(struct gen *g, unsigned int percent)
{
	return rnd(g, 100) < percent;
}

static void put(struct gen *g, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (void *)(g->buf + g->len);
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (g->len + total > sizeof(g->buf))
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)	/* nest headers have no data */
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	g->len += total;
}

static void put_u8(struct gen *g, uint16_t t, uint8_t v) { put(g, t, &v, 1); }
static void put_u32(struct gen *g, uint16_t t, uint32_t v) { put(g, t, &v, 4); }
static void put_be16(struct gen *g, uint16_t t, uint16_t v)
{
	v = htons(v);
	put(g, t, &v, 2);
}

static size_t nest_start(struct gen *g, uint16_t type)
{
	size_t at = g->len;

	put(g, type | NLA_F_NESTED, NULL, 0);
	return at;
}

static void nest_end(struct gen *g, size_t at)
{
	struct nlattr *a = (void *)(g->buf + at);

	if (at < g->len)
		a->nla_len = g->len - at;
}

/* A port: mostly sane, sometimes 0 or the top. */
static uint16_t port(struct gen *g)
{
	switch (rnd(g, 8)) {
	case 0: return 0;
	case 1: return 65535;
	default: return 1024 + rnd(g, 200);
	}
}

static void endpoint(struct gen *g, uint16_t type, int range)
{
	size_t n = nest_start(g, type);
	const char *a = addrs[rnd(g, n_addrs)];
	uint8_t raw[16];
	uint32_t v4;
	uint16_t p;

	if (!chance(g, 5)) {
		if (inet_pton(AF_INET, a, &v4) == 1 && !chance(g, 5)) {
			put(g, NFPUNCH_EP_A_IPV4, &v4, 4);
		} else if (inet_pton(AF_INET6, a, raw) == 1) {
			put(g, NFPUNCH_EP_A_IPV6, raw, chance(g, 5) ? rnd(g, 17) : 16);
		} else {
			v4 = (uint32_t)rand_r(&g->seed);
			put(g, NFPUNCH_EP_A_IPV4, &v4, 4);
		}
	}
	if (chance(g, 3)) {	/* both families, or a stray address */
		v4 = htonl(0x7f000001);
		put(g, NFPUNCH_EP_A_IPV4, &v4, 4);
	}
	p = port(g);
	if (!chance(g, 5))
		put_be16(g, NFPUNCH_EP_A_PORT, p);
	if (range || chance(g, 5))
		put_be16(g, NFPUNCH_EP_A_PORT_MAX,
			 chance(g, 10) ? rnd(g, 65536) : p + rnd(g, 64));
	nest_end(g, n);
}

static uint32_t some_id(struct gen *g)
{
	uint32_t newest;

	if (g->n_ids && chance(g, 20)) {
		/* The next ids the kernel will hand out: racing a FLOW_NEW. */
		newest = g->ids[(g->n_ids - 1) % ID_POOL];
		return newest + 1 + rnd(g, 4);
	}
	if (g->n_ids && !chance(g, 10))
		return g->ids[rnd(g, g->n_ids < ID_POOL ? g->n_ids : ID_POOL)];
	return chance(g, 50) ? rnd(g, 64) : (uint32_t)rand_r(&g->seed);
}

/* A time: in, below or above its policy's range. */
static uint32_t some_ms(struct gen *g)
{
	static const uint32_t pick[] = { 0, 1, 10, 500, 999, 1000, 2000, 5000,
					 15000, 60000, 600001, 3600001, 0xffffffff };

	return pick[rnd(g, sizeof(pick) / sizeof(pick[0]))];
}

static void flow_attrs(struct gen *g, uint8_t cmd)
{
	size_t n = nest_start(g, NFPUNCH_A_FLOW);
	uint8_t secret[40];
	unsigned int i, k;

	if (cmd != NFPUNCH_CMD_FLOW_NEW || chance(g, 5))
		if (!chance(g, 10))
			put_u32(g, NFPUNCH_FLOW_A_ID, some_id(g));
	if (cmd == NFPUNCH_CMD_FLOW_NEW || chance(g, 15))
		endpoint(g, NFPUNCH_FLOW_A_LOCAL, 0);
	if (cmd == NFPUNCH_CMD_FLOW_NEW || chance(g, 5)) {
		k = chance(g, 5) ? 40 : 1 + rnd(g, 3);
		for (i = 0; i < k; i++)
			endpoint(g, NFPUNCH_FLOW_A_PEER, chance(g, 20));
	}
	if (cmd == NFPUNCH_CMD_FLOW_NEW || chance(g, 5)) {
		/* Often the all-zero secret the harness's peers listen with. */
		k = chance(g, 30);
		for (i = 0; i < sizeof(secret); i++)
			secret[i] = k ? 0 : (uint8_t)rnd(g, 4);
		put(g, NFPUNCH_FLOW_A_SECRET, secret,
		    chance(g, 90) ? 16 + rnd(g, 17) : rnd(g, 41));
	}
	if (cmd == NFPUNCH_CMD_FLOW_NEW ? !chance(g, 5) : chance(g, 5))
		put_u8(g, NFPUNCH_FLOW_A_ROLE, chance(g, 95) ? 1 + rnd(g, 2) : rnd(g, 256));
	if (chance(g, 40))
		put_u32(g, NFPUNCH_FLOW_A_KEEPALIVE, some_ms(g));
	if (chance(g, 40))
		put_u32(g, NFPUNCH_FLOW_A_TIMEOUT, some_ms(g));
	if (chance(g, 30))
		put_u32(g, NFPUNCH_FLOW_A_PUNCH_TIMEOUT, some_ms(g));
	if (chance(g, 20))
		put_u32(g, NFPUNCH_FLOW_A_PROBE_INTERVAL, some_ms(g));
	if (chance(g, 30))
		put_u32(g, NFPUNCH_FLOW_A_FLAGS, chance(g, 90) ? rnd(g, 8) :
			(uint32_t)rand_r(&g->seed));
	/* A flag; now and then with a payload, which the policy refuses. */
	if (chance(g, cmd == NFPUNCH_CMD_FLOW_SET ? 30 : 3))
		put(g, NFPUNCH_FLOW_A_NOMINATE, "\1\0\0\0", chance(g, 95) ? 0 : 4);
	if (chance(g, cmd == NFPUNCH_CMD_FLOW_SET ? 40 : 5))
		put_u8(g, NFPUNCH_FLOW_A_STATE, rnd(g, 5));
	if (chance(g, 3))	/* reported-only or unknown attributes */
		put_u32(g, NFPUNCH_FLOW_A_REMOTE + rnd(g, NFPUNCH_FLOW_A_MAX + 3), 0);
	nest_end(g, n);
}

static void mapping_attrs(struct gen *g)
{
	size_t n = nest_start(g, NFPUNCH_A_MAPPING);

	if (!chance(g, 5))
		endpoint(g, NFPUNCH_MAP_A_LOCAL, 0);
	if (!chance(g, 5))
		endpoint(g, NFPUNCH_MAP_A_SERVER, 0);
	if (chance(g, 60))
		put_u32(g, NFPUNCH_MAP_A_TIMEOUT, chance(g, 80) ? 100 + rnd(g, 900) :
			some_ms(g));
	nest_end(g, n);
}

/* Primes on the fuzz's own addresses; ids are small and sequential. */
static void tcp_prime_attrs(struct gen *g, uint8_t cmd)
{
	size_t n = nest_start(g, NFPUNCH_A_TCP_PRIME);

	if (cmd == NFPUNCH_CMD_TCP_PRIME_DEL || chance(g, 5))
		put_u32(g, NFPUNCH_TCP_PRIME_A_ID, chance(g, 80) ? 1 + rnd(g, 256) :
			(uint32_t)rand_r(&g->seed));
	if (cmd == NFPUNCH_CMD_TCP_PRIME_NEW || chance(g, 5)) {
		if (!chance(g, 5))
			endpoint(g, NFPUNCH_TCP_PRIME_A_LOCAL, 0);
		if (!chance(g, 5))
			endpoint(g, NFPUNCH_TCP_PRIME_A_REMOTE, 0);
		if (!chance(g, 5))
			put_u8(g, NFPUNCH_TCP_PRIME_A_TTL, (uint8_t)rnd(g, 4));
		if (chance(g, 60))
			put_u32(g, NFPUNCH_TCP_PRIME_A_TIME, chance(g, 80) ?
				100 + rnd(g, 900) : some_ms(g));
	}
	nest_end(g, n);
}

static void config_attrs(struct gen *g)
{
	size_t n = nest_start(g, NFPUNCH_A_CONFIG);

	/* Limits stay small enough that the fuzz run itself stays bounded. */
	if (chance(g, 50))
		put_u32(g, NFPUNCH_CFG_A_MAX_FLOWS, chance(g, 90) ? 1 + rnd(g, 3000) :
			(uint32_t)rand_r(&g->seed));
	if (chance(g, 50))
		put_u32(g, NFPUNCH_CFG_A_PPS, chance(g, 95) ? 1 + rnd(g, 2000) : 0);
	if (chance(g, 30))
		put_u32(g, NFPUNCH_CFG_A_KEEPALIVE, some_ms(g));
	if (chance(g, 30))
		put_u32(g, NFPUNCH_CFG_A_TIMEOUT, some_ms(g));
	if (chance(g, 20))
		put_u32(g, NFPUNCH_CFG_A_PUNCH_TIMEOUT, some_ms(g));
	if (chance(g, 20))
		put_u32(g, NFPUNCH_CFG_A_PROBE_INTERVAL, some_ms(g));
	nest_end(g, n);
}

/* Damage a well-formed request the way a buggy or hostile client would. */
static void mutate(struct gen *g)
{
	size_t body = NLMSG_HDRLEN + GENL_HDRLEN, at;
	struct nlattr *a;
	unsigned int i, k;

	atomic_fetch_add(&n_mutated, 1);
	switch (rnd(g, 5)) {
	case 0:		/* flip bytes anywhere in the attributes */
		k = 1 + rnd(g, 4);
		for (i = 0; i < k && g->len > body; i++)
			g->buf[body + rnd(g, g->len - body)] ^= (uint8_t)(1 + rnd(g, 255));
		break;
	case 1:		/* cut it short */
		if (g->len > body)
			g->len = body + rnd(g, g->len - body);
		break;
	case 2:		/* rewrite an attribute header */
		if (g->len <= body + NLA_HDRLEN)
			break;
		at = body + NLA_ALIGN(rnd(g, g->len - body - NLA_HDRLEN));
		if (at + NLA_HDRLEN > g->len)
			break;
		a = (void *)(g->buf + at);
		if (chance(g, 50))
			a->nla_len = (uint16_t)rnd(g, 0x10000);
		else
			a->nla_type = (uint16_t)rnd(g, 0x10000);
		break;
	case 3:		/* trailing garbage */
		k = rnd(g, 64);
		for (i = 0; i < k && g->len < sizeof(g->buf); i++)
			g->buf[g->len++] = (uint8_t)rand_r(&g->seed);
		break;
	default:	/* the genl header */
		((struct genlmsghdr *)(g->buf + NLMSG_HDRLEN))->version = (uint8_t)rnd(g, 4);
		((struct genlmsghdr *)(g->buf + NLMSG_HDRLEN))->reserved =
			chance(g, 50) ? (uint16_t)rnd(g, 0x10000) : 0;
		break;
	}
}

static uint8_t build(struct gen *g, uint16_t *flags)
{
	struct nlmsghdr *nlh = (void *)g->buf;
	struct genlmsghdr *gh = (void *)(g->buf + NLMSG_HDRLEN);
	uint8_t cmd = (uint8_t)rnd(g, NFPUNCH_CMD_MAX + 3);

	memset(g->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	g->len = NLMSG_HDRLEN + GENL_HDRLEN;
	*flags = NLM_F_REQUEST | NLM_F_ACK;
	switch (cmd) {
	case NFPUNCH_CMD_FLOW_GET:
		if (chance(g, 50)) {
			*flags |= NLM_F_DUMP;
			if (chance(g, 50))
				flow_attrs(g, cmd);
			break;
		}
		/* fall through */
	case NFPUNCH_CMD_FLOW_NEW:
	case NFPUNCH_CMD_FLOW_DEL:
	case NFPUNCH_CMD_FLOW_SET:
		flow_attrs(g, cmd);
		break;
	case NFPUNCH_CMD_FLOW_NEW_BATCH: {
		/*
		 * A few flows, most of them good: the undo of held ones. In
		 * under a page: a larger request is vmalloc'ed by netlink
		 * itself, whose failures under failslab warn with a trace.
		 */
		unsigned int n = rnd(g, 8) + 1;

		while (n-- && g->len < BATCH_BYTES_MAX - 2048)
			flow_attrs(g, NFPUNCH_CMD_FLOW_NEW);
		break;
	}
	case NFPUNCH_CMD_MAPPING_GET:
		mapping_attrs(g);
		break;
	case NFPUNCH_CMD_CONFIG_SET:
		config_attrs(g);
		break;
	case NFPUNCH_CMD_TCP_PRIME_NEW:
	case NFPUNCH_CMD_TCP_PRIME_DEL:
		tcp_prime_attrs(g, cmd);
		break;
	default:
		if (chance(g, 10))
			flow_attrs(g, NFPUNCH_CMD_FLOW_NEW);
		break;
	}
	nlh->nlmsg_type = (uint16_t)family;
	gh->cmd = cmd;
	gh->version = NFPUNCH_GENL_VERSION;
	if (chance(g, 33))
		mutate(g);
	nlh->nlmsg_len = (uint32_t)g->len;
	return cmd;
}

static void remember_ids(struct gen *g, const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *f;
	int rem, frem;

	rem = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	for (a = (const void *)((const uint8_t *)nlh + NLMSG_HDRLEN + GENL_HDRLEN);
	     rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const uint8_t *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) != NFPUNCH_A_FLOW)
			continue;
		frem = a->nla_len - NLA_HDRLEN;
		for (f = (const void *)((const uint8_t *)a + NLA_HDRLEN);
		     frem >= NLA_HDRLEN && f->nla_len >= NLA_HDRLEN && f->nla_len <= frem;
		     frem -= NLA_ALIGN(f->nla_len),
		     f = (const void *)((const uint8_t *)f + NLA_ALIGN(f->nla_len)))
			if (f->nla_type == NFPUNCH_FLOW_A_ID && f->nla_len == NLA_HDRLEN + 4)
				memcpy(&g->ids[g->n_ids++ % ID_POOL],
				       (const uint8_t *)f + NLA_HDRLEN, 4);
	}
}

/* Read answers until the ack, the end of a dump, or 2 s of silence. */
static void drain(struct gen *g, int fd, unsigned int rcvlen)
{
	static __thread uint8_t rbuf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	int n, err;

	for (;;) {
		if (poll(&p, 1, 2000) <= 0) {
			atomic_fetch_add(&n_silent, 1);
			return;
		}
		n = (int)recv(fd, rbuf, rcvlen, MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/*
			 * The kernel could not queue an answer (our buffer, or
			 * failslab on the ack): it says so, which is an answer.
			 */
			if (errno == ENOBUFS)
				atomic_fetch_add(&n_lost, 1);
			return;
		}
		if ((unsigned int)n > rcvlen) {
			/* Cut by a small buffer: the rest, maybe DONE, is gone. */
			atomic_fetch_add(&n_lost, 1);
			return;
		}
		for (nlh = (void *)rbuf; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				atomic_fetch_add(&n_intr, 1);
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = -((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
				if (err) {
					atomic_fetch_add(&n_err, 1);
					atomic_fetch_add(&errno_hist[err < 135 && err > 0 ? err : 135], 1);
				} else {
					atomic_fetch_add(&n_ok, 1);
				}
				return;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				atomic_fetch_add(&n_ok, 1);
				atomic_fetch_add(&n_dumps, 1);
				return;
			}
			if (nlh->nlmsg_type == family)
				remember_ids(g, nlh);
		}
	}
}

static int open_sock(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

static bool make_it_fail;

static void fail_this_thread(void)
{
	FILE *f = fopen("/proc/thread-self/make-it-fail", "w");

	if (!f || fputs("1", f) < 0 || fclose(f)) {
		fprintf(stderr, "nl-fuzz: make-it-fail: %s\n", strerror(errno));
		exit(1);
	}
}

/* A socket, retried while failslab says no (bounded by the deadline). */
static int open_sock_retry(void)
{
	int fd;

	while ((fd = open_sock()) < 0 && make_it_fail && time(NULL) < deadline)
		atomic_fetch_add(&n_reopen, 1);
	return fd;
}

static void *worker(void *arg)
{
	struct gen *g = arg;
	uint16_t flags;
	unsigned int rcvlen;
	int fd;

	if (make_it_fail)
		fail_this_thread();
	fd = open_sock_retry();
	while (fd >= 0 && time(NULL) < deadline) {
		/* Random FLAGS ask for owned flows: hanging up frees them. */
		build(g, &flags);
		((struct nlmsghdr *)g->buf)->nlmsg_flags = flags;
		if (send(fd, g->buf, g->len, 0) < 0) {
			if (errno == ENOBUFS || (make_it_fail && errno == ENOMEM))
				continue;
			break;
		}
		atomic_fetch_add(&n_sent, 1);
		/* Dumps sometimes read through a buffer of a few hundred bytes. */
		rcvlen = chance(g, 20) ? 512 + rnd(g, 4096) : 65536;
		drain(g, fd, rcvlen);
		if (chance(g, 2)) {	/* hang up, owned flows and all */
			close(fd);
			fd = open_sock_retry();
			atomic_fetch_add(&n_reopen, 1);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int threads = 4, seconds = 20, seed = (unsigned int)time(NULL), i;
	pthread_t tid[16];
	struct gen *gens;
	struct nfp_handle *h;
	int c, ret;

	while ((c = getopt(argc, argv, "t:s:S:F")) != -1) {
		switch (c) {
		case 't': threads = (unsigned int)atoi(optarg); break;
		case 's': seconds = (unsigned int)atoi(optarg); break;
		case 'S': seed = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'F': make_it_fail = true; break;
		default: goto usage;
		}
	}
	if (optind >= argc || threads < 1 || threads > 16 || argc - optind > MAX_ADDRS)
		goto usage;
	for (n_addrs = 0; optind < argc; optind++)
		addrs[n_addrs++] = argv[optind];

	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "nl-fuzz: %s\n", strerror(-ret));
		return 1;
	}
	family = h->family;
	nfp_close(h);

	gens = calloc(threads, sizeof(*gens));
	if (!gens)
		return 1;
	deadline = time(NULL) + seconds;
	printf("# seed %u, %u threads, %u s\n", seed, threads, seconds);
	fflush(stdout);
	for (i = 0; i < threads; i++) {
		gens[i].seed = seed + i * 7919;
		if (pthread_create(&tid[i], NULL, worker, &gens[i])) {
			fprintf(stderr, "nl-fuzz: cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	free(gens);

	printf("sent=%lu ok=%lu errors=%lu mutated=%lu dumps=%lu intr=%lu reopened=%lu lost=%lu silent=%lu\n",
	       atomic_load(&n_sent), atomic_load(&n_ok), atomic_load(&n_err),
	       atomic_load(&n_mutated), atomic_load(&n_dumps), atomic_load(&n_intr),
	       atomic_load(&n_reopen), atomic_load(&n_lost), atomic_load(&n_silent));
	printf("# errnos:");
	for (i = 1; i < 136; i++)
		if (atomic_load(&errno_hist[i]))
			printf(" %s=%lu", i < 135 ? strerrorname_np((int)i) ?: "?" : "other",
			       atomic_load(&errno_hist[i]));
	printf("\n");
	return atomic_load(&n_silent) ? 1 : 0;
usage:
	fputs("Usage: nl-fuzz [-t THREADS] [-s SECONDS] [-S SEED] [-F] LOCAL_ADDR PEER_ADDR...\n",
	      stderr);
	return 2;
}
