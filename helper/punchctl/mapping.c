// SPDX-License-Identifier: GPL-2.0-or-later
/* punchctl mapping local ADDR:PORT server ADDR:PORT [timeout DUR] [mark N] */
#include <stdio.h>
#include <string.h>

#include "punchctl.h"

int do_mapping(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_endpoint local, server;
	struct nfp_mapping *m;
	uint32_t timeout = 0, mark = 0;
	int ret;

	memset(&local, 0, sizeof(local));
	memset(&server, 0, sizeof(server));
	while (argc > 0) {
		if (argc < 2)
			return ctl_usage_error("'%s' needs a value", argv[0]);
		if (matches(argv[0], "local")) {
			if (nfp_endpoint_parse(argv[1], &local, 0))
				return ctl_usage_error("invalid local endpoint '%s'", argv[1]);
		} else if (matches(argv[0], "server")) {
			if (nfp_endpoint_parse(argv[1], &server, 0))
				return ctl_usage_error("invalid server endpoint '%s'", argv[1]);
		} else if (matches(argv[0], "timeout")) {
			if (parse_duration(argv[1], &timeout))
				return ctl_usage_error("invalid timeout '%s'", argv[1]);
		} else if (matches(argv[0], "mark")) {
			if (parse_mark(argv[1], &mark))
				return ctl_usage_error("invalid mark '%s'", argv[1]);
		} else {
			return ctl_usage_error("unknown keyword '%s'", argv[0]);
		}
		argc -= 2;
		argv += 2;
	}
	if (!local.family || !server.family)
		return ctl_usage_error("mapping needs 'local ADDR:PORT' and 'server ADDR:PORT'");
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	m = nfp_mapping_alloc();
	if (!m)
		return ctl_out_of_memory();
	nfp_mapping_set_endpoint(m, NFP_MAPPING_LOCAL, &local);
	nfp_mapping_set_endpoint(m, NFP_MAPPING_SERVER, &server);
	nfp_mapping_set_u32(m, NFP_MAPPING_TIMEOUT_MS, timeout);
	nfp_mapping_set_u32(m, NFP_MAPPING_MARK, mark);
	if (nfp_mapping_resolve(ctl->h, m) < 0) {
		nfp_mapping_free(m);
		return ctl_request_failed(ctl, "mapping query failed");
	}
	if (ctl->json)
		ctl_json_print(ctl, mapping_json(m));
	else
		mapping_print(m);
	/* An answer that is an error (timeout, STUN error) is a failure too. */
	ret = nfp_mapping_get_u32(m, NFP_MAPPING_ERROR) ? EXIT_FAIL : EXIT_OK;
	nfp_mapping_free(m);
	return ret;
}
