// SPDX-License-Identifier: GPL-2.0-or-later
/* punchctl stats: module version and this namespace's counters. */
#include <stdio.h>

#include "punchctl.h"

static const struct {
	int attr;
	const char *key;
} stats[] = {
	{ NFP_STATS_FLOWS, "flows" },
	{ NFP_STATS_MAPPINGS, "mappings" },
	{ NFP_STATS_PROBES_SENT, "probes_sent" },
	{ NFP_STATS_THROTTLED, "throttled" },
	{ NFP_STATS_AUTH_FAILURES, "auth_failures" },
	{ NFP_STATS_UNKNOWN_FLOW, "unknown_flow" },
	{ NFP_STATS_TCP_PRIMES, "tcp_primes" },
	{ NFP_STATS_TCP_PRIME_SYNS, "tcp_prime_syns" },
	{ NFP_STATS_TCP_PRIME_ICMP, "tcp_prime_icmp" },
};

static unsigned long long get(const struct nfp_stats *st, int attr)
{
	return (unsigned long long)nfp_stats_get_u64(st, attr);
}

int do_stats(struct punchctl *ctl, int argc, char **argv)
{
	struct json_object *o;
	struct nfp_stats *st;
	unsigned int i;

	if (argc > 0 && !(argc == 1 && matches(argv[0], "show")))
		return ctl_usage_error("stats takes no arguments, got '%s'", argv[0]);
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	st = nfp_stats_alloc();
	if (!st)
		return ctl_out_of_memory();
	if (nfp_stats_fetch(ctl->h, st) < 0) {
		nfp_stats_free(st);
		return ctl_request_failed(ctl, "cannot read statistics");
	}
	if (!ctl->json) {
		printf("version %s\n", nfp_stats_get_version(st));
		printf("flows   %llu\n", get(st, NFP_STATS_FLOWS));
		printf("mappings %llu probes-sent %llu throttled %llu auth-failures %llu unknown-flow %llu\n",
		       get(st, NFP_STATS_MAPPINGS), get(st, NFP_STATS_PROBES_SENT),
		       get(st, NFP_STATS_THROTTLED), get(st, NFP_STATS_AUTH_FAILURES),
		       get(st, NFP_STATS_UNKNOWN_FLOW));
		printf("tcp-primes %llu tcp-prime-syns %llu tcp-prime-icmp %llu\n",
		       get(st, NFP_STATS_TCP_PRIMES),
		       get(st, NFP_STATS_TCP_PRIME_SYNS),
		       get(st, NFP_STATS_TCP_PRIME_ICMP));
		nfp_stats_free(st);
		return EXIT_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "version",
			       json_object_new_string(nfp_stats_get_version(st)));
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++)
		json_object_object_add(o, stats[i].key,
				       json_object_new_uint64(get(st, stats[i].attr)));
	nfp_stats_free(st);
	ctl_json_print(ctl, o);
	return EXIT_OK;
}
