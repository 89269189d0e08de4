// SPDX-License-Identifier: GPL-2.0-or-later
/* punchctl config [show] | config set KEY VALUE... */
#include <stdio.h>
#include <string.h>

#include "punchctl.h"

/* The keys people type, JSON shows, and the library's attributes. */
static const struct {
	const char *key, *json;
	int attr;
	int duration;
} keys[] = {
	{ "max-flows", "max_flows", NFP_CONFIG_MAX_FLOWS, 0 },
	{ "pps", "pps", NFP_CONFIG_PPS, 0 },
	{ "keepalive", "keepalive_ms", NFP_CONFIG_KEEPALIVE_MS, 1 },
	{ "timeout", "timeout_ms", NFP_CONFIG_TIMEOUT_MS, 1 },
	{ "punch-timeout", "punch_timeout_ms", NFP_CONFIG_PUNCH_TIMEOUT_MS, 1 },
	{ "probe-interval", "probe_interval_ms", NFP_CONFIG_PROBE_INTERVAL_MS, 1 },
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static int print_config(struct punchctl *ctl, const struct nfp_config *c)
{
	char d[N_KEYS][16];
	unsigned int i;

	if (ctl->json) {
		struct json_object *o = json_object_new_object();

		for (i = 0; i < N_KEYS; i++)
			json_object_object_add(o, keys[i].json, json_object_new_uint64(
				nfp_config_get_u32(c, keys[i].attr)));
		ctl_json_print(ctl, o);
		return EXIT_OK;
	}
	for (i = 0; i < N_KEYS; i++)
		format_duration(nfp_config_get_u32(c, keys[i].attr), d[i], sizeof(d[i]));
	printf("max-flows %u pps %u\nkeepalive %s timeout %s punch-timeout %s probe-interval %s\n",
	       nfp_config_get_u32(c, NFP_CONFIG_MAX_FLOWS),
	       nfp_config_get_u32(c, NFP_CONFIG_PPS), d[2], d[3], d[4], d[5]);
	return EXIT_OK;
}

static int config_show(struct punchctl *ctl, struct nfp_config *c)
{
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_config_fetch(ctl->h, c) < 0)
		return ctl_request_failed(ctl, "cannot read the config");
	return print_config(ctl, c);
}

static int config_set(struct punchctl *ctl, struct nfp_config *c,
		      int argc, char **argv)
{
	unsigned int i;

	if (argc == 0)
		return ctl_usage_error("config set needs KEY VALUE");
	while (argc > 0) {
		const char *key = argv[0];
		uint32_t v;
		int bad;

		if (argc < 2)
			return ctl_usage_error("'%s' needs a value", key);
		for (i = 0; i < N_KEYS && strcmp(key, keys[i].key); i++)
			;
		if (i == N_KEYS)
			return ctl_usage_error("unknown config key '%s'", key);
		bad = keys[i].duration ? parse_duration(argv[1], &v) :
		      parse_u32(argv[1], &v);
		if (bad || !v)
			return ctl_usage_error("invalid %s '%s'", key, argv[1]);
		nfp_config_set_u32(c, keys[i].attr, v);
		argc -= 2;
		argv += 2;
	}
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_config_apply(ctl->h, c) < 0)
		return ctl_request_failed(ctl, "cannot change the config");
	return print_config(ctl, c);
}

int do_config(struct punchctl *ctl, int argc, char **argv)
{
	static const char *const cmds[] = { "show", "set", NULL };
	struct nfp_config *c;
	int cmd = 0, ret;

	if (argc) {
		cmd = ctl_choose(argv[0], cmds, "config command");
		if (cmd < 0)
			return EXIT_USAGE;
		if (cmd == 0 && argc > 1)
			return ctl_usage_error("config show takes no arguments, got '%s'",
					       argv[1]);
	}
	c = nfp_config_alloc();
	if (!c)
		return ctl_out_of_memory();
	if (cmd == 0)
		ret = config_show(ctl, c);
	else
		ret = config_set(ctl, c, argc - 1, argv + 1);
	nfp_config_free(c);
	return ret;
}
