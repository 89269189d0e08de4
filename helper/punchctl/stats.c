// SPDX-License-Identifier: GPL-2.0-or-later
/* punchctl stats: module version and this namespace's counters. */
#include <stdio.h>

#include "punchctl.h"

int do_stats(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_stats st;
	struct json_object *o;

	if (argc > 0 && !(argc == 1 && matches(argv[0], "show")))
		return ctl_usage_error("stats takes no arguments, got '%s'", argv[0]);
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_stats_get(ctl->h, &st) < 0)
		return ctl_request_failed(ctl, "cannot read statistics");

	if (!ctl->json) {
		printf("version %s\n", st.version);
		printf("flows   %u\n", st.flows);
		printf("mappings %u probes-sent %llu throttled %llu auth-failures %llu unknown-flow %llu\n",
		       st.mappings, (unsigned long long)st.probes_sent,
		       (unsigned long long)st.throttled,
		       (unsigned long long)st.auth_failures,
		       (unsigned long long)st.unknown_flow);
		return EXIT_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(st.version));
	json_object_object_add(o, "flows", json_object_new_uint64(st.flows));
	json_object_object_add(o, "mappings", json_object_new_uint64(st.mappings));
	json_object_object_add(o, "probes_sent", json_object_new_uint64(st.probes_sent));
	json_object_object_add(o, "throttled", json_object_new_uint64(st.throttled));
	json_object_object_add(o, "auth_failures", json_object_new_uint64(st.auth_failures));
	json_object_object_add(o, "unknown_flow", json_object_new_uint64(st.unknown_flow));
	ctl_json_print(ctl, o);
	return EXIT_OK;
}
