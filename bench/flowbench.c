// SPDX-License-Identifier: GPL-2.0
/*
 * flowbench - install and dump many flows through libnfpunch and time it.
 *
 *   flowbench add N LOCAL_ADDR PEER_ADDR [OPTIONS]
 *   flowbench count [STATE]
 *
 * Flow i (from --start, default 0) uses local port P + i % K, peer port
 * P + i % K and a secret derived from i, so two namespaces that add the
 * same range against each other hold matching pairs. Endpoints repeat, so
 * only the secret tells flows apart, as with many sessions behind one
 * port. Flows are passive (never probe first, wait up to 10 minutes)
 * unless --active: a million passive flows cost memory and nothing else.
 * --batch K adds them K at a time with nfp_flow_add_batch() (K up to
 * 4096: the library splits them into requests of NFP_FLOW_BATCH_MAX);
 * the default, 1, is one nfp_flow_add() request each.
 * The active side is the controlling one, the passive side controlled:
 * a pair of the same role would never authenticate each other.
 * Prints one line of key=value pairs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libnfpunch.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fputs("Usage: flowbench add N LOCAL_ADDR PEER_ADDR [OPTIONS]\n"
	      "       flowbench count [punching|established|dead]\n"
	      "\n"
	      "Options of add:\n"
	      "  --start I        index of the first flow (default 0)\n"
	      "  --first-port P   lowest local and peer port (default 10000)\n"
	      "  --ports K        how many ports to spread flows over (default 50000)\n"
	      "  --active         probe the peer, controlling role (default: passive,\n"
	      "                   controlled)\n"
	      "  --keepalive MS   keepalive interval (default: the namespace's)\n"
	      "  --batch K        add K flows per nfp_flow_add_batch() call (default 1:\n"
	      "                   one nfp_flow_add() each; at most 4096)\n"
	      "  --tag N          the flows' application tag (default none)\n", f);
}

#define BATCH_CAP	4096

struct add_opts {
	unsigned long start;
	unsigned int first, ports, keepalive_ms, batch, tag;
	int active;
};

static int parse_num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	return *s && !*end && *v <= max ? 0 : -1;
}

static int parse_add_opts(int argc, char **argv, struct add_opts *o)
{
	for (int i = 0; i < argc; i++) {
		unsigned long v;

		if (strcmp(argv[i], "--active") == 0) {
			o->active = 1;
			continue;
		}
		if (i + 1 >= argc || parse_num(argv[i + 1], 0xffffffff, &v))
			return -1;
		if (strcmp(argv[i], "--start") == 0)
			o->start = v;
		else if (strcmp(argv[i], "--first-port") == 0 && v && v < 65536)
			o->first = v;
		else if (strcmp(argv[i], "--ports") == 0 && v && v < 65536)
			o->ports = v;
		else if (strcmp(argv[i], "--keepalive") == 0)
			o->keepalive_ms = v;
		else if (strcmp(argv[i], "--batch") == 0 && v && v <= BATCH_CAP)
			o->batch = v;
		else if (strcmp(argv[i], "--tag") == 0)
			o->tag = v;
		else
			return -1;
		i++;
	}
	return o->first + o->ports - 1 <= 65535 ? 0 : -1;
}

static int endpoint(const char *addr, unsigned int port,
		    struct nfp_endpoint *ep)
{
	char buf[80];

	snprintf(buf, sizeof(buf), strchr(addr, ':') ? "[%s]:%u" : "%s:%u",
		 addr, port);
	return nfp_endpoint_parse(buf, ep, 0);
}

/* Flow i of the run, or NULL (message on stderr). */
static struct nfp_flow *make_flow(unsigned long i, const char *laddr,
				  const char *paddr, const struct add_opts *o)
{
	unsigned int port = o->first + i % o->ports;
	struct nfp_endpoint local, peer;
	uint8_t secret[16];
	struct nfp_flow *f;

	if (endpoint(laddr, port, &local) || endpoint(paddr, port, &peer)) {
		fprintf(stderr, "flowbench: bad address\n");
		return NULL;
	}
	memcpy(secret, &i, sizeof(i));
	memcpy(secret + 8, "flowbnch", 8);
	f = nfp_flow_alloc();
	if (!f)
		return NULL;
	nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local);
	nfp_flow_add_peer(f, &peer);
	nfp_flow_set_secret(f, secret, sizeof(secret));
	nfp_flow_set_u32(f, NFP_FLOW_ROLE, o->active ? NFP_ROLE_CONTROLLING :
						      NFP_ROLE_CONTROLLED);
	if (!o->active)
		nfp_flow_set_u32(f, NFP_FLOW_FLAGS, NFP_FLOW_F_PASSIVE);
	/* The longest: no expiry mid-run. */
	nfp_flow_set_u32(f, NFP_FLOW_PUNCH_TIMEOUT_MS, 600000);
	if (o->keepalive_ms)
		nfp_flow_set_u32(f, NFP_FLOW_KEEPALIVE_MS, o->keepalive_ms);
	if (o->tag)
		nfp_flow_set_u32(f, NFP_FLOW_APP_TAG, o->tag);
	return f;
}

static int add(struct nfp_handle *h, unsigned long n, const char *laddr,
	       const char *paddr, const struct add_opts *o)
{
	static struct nfp_flow *flows[BATCH_CAP];
	static uint32_t ids[BATCH_CAP];
	unsigned long i, k, m;
	double t0, dt;
	long failed;
	int ret = 0;

	t0 = now_s();
	for (i = o->start; i < o->start + n; i += m) {
		m = o->start + n - i < o->batch ? o->start + n - i : o->batch;
		for (k = 0; k < m; k++) {
			flows[k] = make_flow(i + k, laddr, paddr, o);
			if (!flows[k]) {
				m = k;
				ret = 2;
				break;
			}
		}
		if (!ret && o->batch == 1)
			ret = nfp_flow_add(h, flows[0], NULL) < 0;
		else if (!ret)
			ret = nfp_flow_add_batch(h, flows, m, ids, &failed) < 0;
		for (k = 0; k < m; k++)
			nfp_flow_free(flows[k]);
		/* A batch's message names its flow at fault by its place. */
		if (ret == 1)
			fprintf(stderr, "flowbench: %s %lu: %s\n",
				o->batch == 1 ? "flow" : "batch from flow", i,
				nfp_strerror(h));
		if (ret)
			return ret;
	}
	dt = now_s() - t0;
	printf("op=add flows=%lu batch=%u seconds=%.3f per_second=%.0f\n", n,
	       o->batch, dt, n / dt);
	return 0;
}

struct tally {
	unsigned long flows;
	unsigned long long keepalives, probes_sent, probes_answered;
};

static int count_one(const struct nfp_flow *f, void *arg)
{
	struct tally *t = arg;

	t->flows++;
	t->keepalives += nfp_flow_get_u64(f, NFP_FLOW_KEEPALIVES);
	t->probes_sent += nfp_flow_get_u64(f, NFP_FLOW_PROBES_SENT);
	t->probes_answered += nfp_flow_get_u64(f, NFP_FLOW_PROBES_ANSWERED);
	return 0;
}

static int dump(struct nfp_handle *h, const char *state)
{
	struct nfp_flow *match = nfp_flow_alloc();
	struct tally t = { 0 };
	double t0, dt;
	int ret, st;

	if (!match)
		return 1;
	if (state) {
		for (st = NFP_STATE_PUNCHING; st <= NFP_STATE_DEAD; st++)
			if (strcmp(state, nfp_state_name(st)) == 0)
				break;
		if (st > NFP_STATE_DEAD) {
			fprintf(stderr, "flowbench: unknown state '%s'\n", state);
			nfp_flow_free(match);
			return 2;
		}
		nfp_flow_set_u32(match, NFP_FLOW_STATE, st);
	}
	t0 = now_s();
	ret = nfp_flow_dump(h, match, count_one, &t);
	nfp_flow_free(match);
	dt = now_s() - t0;
	if (ret < 0) {
		fprintf(stderr, "flowbench: dump: %s\n", nfp_strerror(h));
		return 1;
	}
	printf("op=count flows=%lu seconds=%.3f per_second=%.0f keepalives=%llu "
	       "probes_sent=%llu probes_answered=%llu\n", t.flows, dt,
	       dt > 0 ? t.flows / dt : 0, t.keepalives, t.probes_sent,
	       t.probes_answered);
	return 0;
}

int main(int argc, char **argv)
{
	struct add_opts o = { .first = 10000, .ports = 50000, .batch = 1 };
	struct nfp_handle *h;
	int ret;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if ((strcmp(argv[1], "add") == 0 &&
	     (argc < 5 || parse_add_opts(argc - 5, argv + 5, &o))) ||
	    (strcmp(argv[1], "count") == 0 && argc > 3)) {
		usage(stderr);
		return 2;
	}
	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "flowbench: %s\n", strerror(-ret));
		return 1;
	}
	if (strcmp(argv[1], "add") == 0)
		ret = add(h, strtoul(argv[2], NULL, 10), argv[3], argv[4], &o);
	else if (strcmp(argv[1], "count") == 0)
		ret = dump(h, argc > 2 ? argv[2] : NULL);
	else {
		usage(stderr);
		ret = 2;
	}
	nfp_close(h);
	return ret;
}
