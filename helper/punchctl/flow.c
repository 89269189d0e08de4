// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchctl flow { add | show | del | set }
 *
 * Keywords come in pairs (keyword value) as in ip(8); every value is
 * checked before anything is sent, so a bad line changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "punchctl.h"

static int need_value(int argc, char **argv)
{
	if (argc < 2) {
		ctl_usage_error("'%s' needs a value", argv[0]);
		return -1;
	}
	return 0;
}

static int bad_value(const char *what, const char *val)
{
	return ctl_usage_error("invalid %s '%s'", what, val);
}

static int parse_state(const char *s, int *state)
{
	static const char *const names[] = { "punching", "established", "dead" };
	int i;

	for (i = 0; i < 3; i++) {
		if (matches(s, names[i])) {
			*state = NFP_STATE_PUNCHING + i;
			return 0;
		}
	}
	return -EINVAL;
}

static int flow_add(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_flow f, out;
	int ret;

	memset(&f, 0, sizeof(f));
	if (argc > 0 && strcmp(argv[0], "udp") == 0) {	/* the only protocol */
		argc--;
		argv++;
	}
	while (argc > 0) {
		const char *key = argv[0], *val;

		if (strcmp(key, "passive") == 0) {
			f.flags |= NFP_FLOW_PASSIVE;
			argc--;
			argv++;
			continue;
		}
		if (need_value(argc, argv))
			return EXIT_USAGE;
		val = argv[1];
		if (matches(key, "local")) {
			if (nfp_endpoint_parse(val, &f.local, 0))
				return bad_value("local endpoint", val);
		} else if (strcmp(key, "peer") == 0 || strcmp(key, "peer-range") == 0) {
			if (f.n_peers == NFP_MAX_PEERS)
				return ctl_usage_error("at most %d peers", NFP_MAX_PEERS);
			if (nfp_endpoint_parse(val, &f.peers[f.n_peers], 1))
				return bad_value("peer endpoint", val);
			f.n_peers++;
		} else if (strcmp(key, "secret") == 0) {
			if (parse_secret_hex(val, f.secret, &f.secret_len))
				return ctl_usage_error("invalid secret: want %d to %d bytes in hex",
						       NFP_SECRET_MIN, NFP_SECRET_MAX);
		} else if (strcmp(key, "secret-file") == 0) {
			ret = read_secret_file(val, f.secret, &f.secret_len);
			if (ret)
				return ctl_usage_error("cannot read a secret from '%s': %s",
						       val, ret == -EINVAL ?
						       "want 16 to 32 bytes in hex" :
						       strerror(-ret));
		} else if (strcmp(key, "mark") == 0) {
			if (parse_mark(val, &f.mark))
				return bad_value("mark", val);
		} else if (strcmp(key, "role") == 0) {
			f.role = nfp_role_parse(val);
			if (f.role < 0)
				return ctl_usage_error("invalid role '%s': controlling or controlled",
						       val);
		} else if (matches(key, "keepalive")) {
			if (parse_duration(val, &f.keepalive_ms))
				return bad_value("keepalive", val);
		} else if (strcmp(key, "timeout") == 0) {
			if (parse_duration(val, &f.timeout_ms))
				return bad_value("timeout", val);
		} else if (strcmp(key, "punch-timeout") == 0) {
			if (parse_duration(val, &f.punch_timeout_ms))
				return bad_value("punch-timeout", val);
		} else if (strcmp(key, "probe-interval") == 0) {
			if (parse_duration(val, &f.probe_interval_ms))
				return bad_value("probe-interval", val);
		} else {
			return ctl_usage_error("unknown keyword '%s'", key);
		}
		argc -= 2;
		argv += 2;
	}
	if (!f.local.family)
		return ctl_usage_error("flow add needs 'local ADDR:PORT'");
	if (!f.n_peers)
		return ctl_usage_error("flow add needs at least one 'peer ADDR:PORT'");
	if (!f.secret_len)
		return ctl_usage_error("flow add needs 'secret HEX' or 'secret-file FILE'");
	if (!f.role)
		return ctl_usage_error("flow add needs 'role controlling' (the caller) or 'role controlled'");
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_flow_add(ctl->h, &f, &out) < 0)
		return ctl_request_failed(ctl, "cannot add the flow");
	if (ctl->json)
		ctl_json_print(ctl, flow_json(&out));
	else
		flow_print(&out);
	return EXIT_OK;
}

struct show {
	struct punchctl *ctl;
	struct json_object *arr;
};

static int show_one(const struct nfp_flow *f, void *arg)
{
	struct show *s = arg;

	if (s->arr)
		json_object_array_add(s->arr, flow_json(f));
	else
		flow_print(f);
	return 0;
}

static int flow_show(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_flow_filter filter;
	struct show s = { .ctl = ctl };
	uint32_t id = 0;
	int ret;

	memset(&filter, 0, sizeof(filter));
	while (argc > 0) {
		if (need_value(argc, argv))
			return EXIT_USAGE;
		if (strcmp(argv[0], "id") == 0) {
			if (parse_u32(argv[1], &id) || !id)
				return bad_value("flow id", argv[1]);
		} else if (matches(argv[0], "local")) {
			if (nfp_endpoint_parse(argv[1], &filter.local, 0))
				return bad_value("local endpoint", argv[1]);
		} else if (matches(argv[0], "state")) {
			if (parse_state(argv[1], &filter.state))
				return bad_value("state", argv[1]);
		} else {
			return ctl_usage_error("unknown keyword '%s'", argv[0]);
		}
		argc -= 2;
		argv += 2;
	}
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (ctl->json)
		s.arr = json_object_new_array();
	if (id) {
		struct nfp_flow f;

		ret = nfp_flow_get(ctl->h, id, &f);
		if (ret >= 0)
			show_one(&f, &s);
	} else {
		ret = nfp_flow_dump(ctl->h, &filter, show_one, &s);
	}
	if (ret < 0) {
		json_object_put(s.arr);
		return ctl_request_failed(ctl, "cannot list flows");
	}
	if (s.arr)
		ctl_json_print(ctl, s.arr);
	return EXIT_OK;
}

static int flow_del(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_endpoint local;
	uint32_t id = 0;
	int ret;

	memset(&local, 0, sizeof(local));
	if (argc != 2)
		return ctl_usage_error("flow del takes 'id N' or 'local ADDR:PORT'");
	if (strcmp(argv[0], "id") == 0) {
		if (parse_u32(argv[1], &id) || !id)
			return bad_value("flow id", argv[1]);
	} else if (matches(argv[0], "local")) {
		if (nfp_endpoint_parse(argv[1], &local, 0))
			return bad_value("local endpoint", argv[1]);
	} else {
		return ctl_usage_error("unknown keyword '%s'", argv[0]);
	}
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	ret = id ? nfp_flow_del(ctl->h, id) : nfp_flow_del_local(ctl->h, &local);
	if (ret < 0)
		return ctl_request_failed(ctl, "cannot delete");
	return EXIT_OK;
}

static int flow_set(struct punchctl *ctl, int argc, char **argv)
{
	uint32_t id = 0, keepalive = 0, timeout = 0;
	struct nfp_flow out;
	int repunch = 0;

	while (argc > 0) {
		if (strcmp(argv[0], "repunch") == 0) {
			repunch = 1;
			argc--;
			argv++;
			continue;
		}
		if (need_value(argc, argv))
			return EXIT_USAGE;
		if (strcmp(argv[0], "id") == 0) {
			if (parse_u32(argv[1], &id) || !id)
				return bad_value("flow id", argv[1]);
		} else if (matches(argv[0], "keepalive")) {
			if (parse_duration(argv[1], &keepalive))
				return bad_value("keepalive", argv[1]);
		} else if (strcmp(argv[0], "timeout") == 0) {
			if (parse_duration(argv[1], &timeout))
				return bad_value("timeout", argv[1]);
		} else {
			return ctl_usage_error("unknown keyword '%s'", argv[0]);
		}
		argc -= 2;
		argv += 2;
	}
	if (!id)
		return ctl_usage_error("flow set needs 'id N'");
	if (!ctl_handle(ctl))
		return EXIT_FAIL;
	if (nfp_flow_set(ctl->h, id, keepalive, timeout, repunch, &out) < 0)
		return ctl_request_failed(ctl, "cannot change the flow");
	if (ctl->json)
		ctl_json_print(ctl, flow_json(&out));
	else
		flow_print(&out);
	return EXIT_OK;
}

int do_flow(struct punchctl *ctl, int argc, char **argv)
{
	if (argc == 0 || matches(argv[0], "show") || matches(argv[0], "list"))
		return flow_show(ctl, argc ? argc - 1 : 0, argv + !!argc);
	if (matches(argv[0], "add"))
		return flow_add(ctl, argc - 1, argv + 1);
	if (matches(argv[0], "delete"))
		return flow_del(ctl, argc - 1, argv + 1);
	if (matches(argv[0], "set") || matches(argv[0], "change"))
		return flow_set(ctl, argc - 1, argv + 1);
	return ctl_usage_error("unknown flow command '%s'", argv[0]);
}
