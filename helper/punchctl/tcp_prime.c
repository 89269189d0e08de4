// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchctl tcp-prime add local ADDR:PORT remote ADDR:PORT ttl N [time DUR]
 * punchctl tcp-prime del id N
 */
#include <stdio.h>
#include <string.h>
#include <linux/nfpunch.h>

#include "punchctl.h"

static int prime_add(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_endpoint local, remote;
	uint32_t ttl = 0, time_ms = 0, id;
	struct json_object *o;

	memset(&local, 0, sizeof(local));
	memset(&remote, 0, sizeof(remote));
	while (argc > 0) {
		if (argc < 2)
			return ctl_usage_error("'%s' needs a value", argv[0]);
		if (matches(argv[0], "local")) {
			if (nfp_endpoint_parse(argv[1], &local, 0))
				return ctl_usage_error("invalid local endpoint '%s'", argv[1]);
		} else if (matches(argv[0], "remote")) {
			if (nfp_endpoint_parse(argv[1], &remote, 0))
				return ctl_usage_error("invalid remote endpoint '%s'", argv[1]);
		} else if (matches(argv[0], "ttl")) {
			if (parse_u32(argv[1], &ttl) || ttl < 1 || ttl > 255)
				return ctl_usage_error("invalid ttl '%s' (1 to 255)", argv[1]);
		} else if (matches(argv[0], "time")) {
			if (parse_duration(argv[1], &time_ms) || time_ms < 100 ||
			    time_ms > NFPUNCH_TCP_PRIME_TIME_MAX)
				return ctl_usage_error("invalid time '%s' (100ms to 30s)", argv[1]);
		} else {
			return ctl_usage_error("unknown keyword '%s'", argv[0]);
		}
		argc -= 2;
		argv += 2;
	}
	if (!local.family || !remote.family || !ttl)
		return ctl_usage_error("tcp-prime add needs 'local ADDR:PORT', 'remote ADDR:PORT' and 'ttl N'");
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_tcp_prime_start(ctl->h, &local, &remote, ttl, time_ms, &id) < 0)
		return ctl_request_failed(ctl, "cannot prime");
	if (!ctl->json) {
		printf("id %u\n", id);
		return EXIT_OK;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_uint64(id));
	ctl_json_print(ctl, o);
	return EXIT_OK;
}

static int prime_del(struct punchctl *ctl, int argc, char **argv)
{
	uint32_t id;

	if (argc != 2 || !matches(argv[0], "id"))
		return ctl_usage_error("tcp-prime del takes 'id N'");
	if (parse_u32(argv[1], &id) || !id)
		return ctl_usage_error("invalid id '%s'", argv[1]);
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_tcp_prime_stop(ctl->h, id) < 0)
		return ctl_request_failed(ctl, "cannot end the prime");
	return EXIT_OK;
}

int do_tcp_prime(struct punchctl *ctl, int argc, char **argv)
{
	static const char *const commands[] = { "add", "del", NULL };
	int i;

	if (argc == 0)
		return ctl_usage_error("tcp-prime needs a command: add or del");
	i = ctl_choose(argv[0], commands, "tcp-prime command");
	if (i < 0)
		return EXIT_USAGE;
	return i == 0 ? prime_add(ctl, argc - 1, argv + 1) :
			prime_del(ctl, argc - 1, argv + 1);
}
