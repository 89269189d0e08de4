// SPDX-License-Identifier: GPL-2.0-or-later
/* punchctl config [show] | config set KEY VALUE... */
#include <stdio.h>
#include <string.h>

#include "punchctl.h"

static int print_config(struct punchctl *ctl, const struct nfp_config *c)
{
	char ka[16], to[16], pt[16], pi[16];

	if (ctl->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "max_flows", json_object_new_uint64(c->max_flows));
		json_object_object_add(o, "pps", json_object_new_uint64(c->pps));
		json_object_object_add(o, "keepalive_ms", json_object_new_uint64(c->keepalive_ms));
		json_object_object_add(o, "timeout_ms", json_object_new_uint64(c->timeout_ms));
		json_object_object_add(o, "punch_timeout_ms",
				       json_object_new_uint64(c->punch_timeout_ms));
		json_object_object_add(o, "probe_interval_ms",
				       json_object_new_uint64(c->probe_interval_ms));
		ctl_json_print(ctl, o);
		return EXIT_OK;
	}
	format_duration(c->keepalive_ms, ka, sizeof(ka));
	format_duration(c->timeout_ms, to, sizeof(to));
	format_duration(c->punch_timeout_ms, pt, sizeof(pt));
	format_duration(c->probe_interval_ms, pi, sizeof(pi));
	printf("max-flows %u pps %u\nkeepalive %s timeout %s punch-timeout %s probe-interval %s\n",
	       c->max_flows, c->pps, ka, to, pt, pi);
	return EXIT_OK;
}

int do_config(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_config c;

	memset(&c, 0, sizeof(c));
	if (argc == 0 || (argc == 1 && matches(argv[0], "show"))) {
		if (!ctl_handle(ctl))
			return EXIT_FAIL;
		if (nfp_config_get(ctl->h, &c) < 0)
			return ctl_request_failed(ctl, "cannot read the config");
		return print_config(ctl, &c);
	}
	if (!matches(argv[0], "set"))
		return ctl_usage_error("unknown config command '%s'", argv[0]);
	argc--;
	argv++;
	if (argc == 0)
		return ctl_usage_error("config set needs KEY VALUE");
	while (argc > 0) {
		const char *key = argv[0];
		int bad;

		if (argc < 2)
			return ctl_usage_error("'%s' needs a value", key);
		if (strcmp(key, "max-flows") == 0)
			bad = parse_u32(argv[1], &c.max_flows) || !c.max_flows;
		else if (strcmp(key, "pps") == 0)
			bad = parse_u32(argv[1], &c.pps) || !c.pps;
		else if (strcmp(key, "keepalive") == 0)
			bad = parse_duration(argv[1], &c.keepalive_ms) || !c.keepalive_ms;
		else if (strcmp(key, "timeout") == 0)
			bad = parse_duration(argv[1], &c.timeout_ms) || !c.timeout_ms;
		else if (strcmp(key, "punch-timeout") == 0)
			bad = parse_duration(argv[1], &c.punch_timeout_ms) || !c.punch_timeout_ms;
		else if (strcmp(key, "probe-interval") == 0)
			bad = parse_duration(argv[1], &c.probe_interval_ms) || !c.probe_interval_ms;
		else
			return ctl_usage_error("unknown config key '%s'", key);
		if (bad)
			return ctl_usage_error("invalid %s '%s'", key, argv[1]);
		argc -= 2;
		argv += 2;
	}
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_config_set(ctl->h, &c) < 0)
		return ctl_request_failed(ctl, "cannot change the config");
	return print_config(ctl, &c);
}
