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

/* Keywords of flow add that take a duration, and what they set. */
static const struct {
	const char *key;
	int attr;
	int prefix;		/* any prefix will do (as it always has) */
} durations[] = {
	{ "keepalive", NFP_FLOW_KEEPALIVE_MS, 1 },
	{ "timeout", NFP_FLOW_TIMEOUT_MS, 0 },
	{ "punch-timeout", NFP_FLOW_PUNCH_TIMEOUT_MS, 0 },
	{ "probe-interval", NFP_FLOW_PROBE_INTERVAL_MS, 0 },
	{ "prime-time", NFP_FLOW_PRIME_MS, 0 },
};
#define N_DURATIONS (sizeof(durations) / sizeof(durations[0]))

static unsigned int find_duration(const char *key)
{
	unsigned int i;

	for (i = 0; i < N_DURATIONS; i++)
		if (durations[i].prefix ? matches(key, durations[i].key) :
		    strcmp(key, durations[i].key) == 0)
			break;
	return i;
}

static int print_flow(struct punchctl *ctl, const struct nfp_flow *f)
{
	if (ctl->json)
		ctl_json_print(ctl, flow_json(f));
	else
		flow_print(f);
	return EXIT_OK;
}

/* Parse flow add's arguments into f: EXIT_OK or EXIT_USAGE (printed). */
static int parse_flow_add(struct nfp_flow *f, int argc, char **argv)
{
	uint8_t secret[NFP_SECRET_MAX];
	int ret, have_secret = 0;
	struct nfp_endpoint ep;
	unsigned int len, i;
	uint32_t v;

	if (argc > 0 && strcmp(argv[0], "udp") == 0) {	/* the only protocol */
		argc--;
		argv++;
	}
	while (argc > 0) {
		const char *key = argv[0], *val;

		if (strcmp(key, "passive") == 0 || strcmp(key, "candidate") == 0) {
			v = key[0] == 'p' ? NFP_FLOW_F_PASSIVE : NFP_FLOW_F_CANDIDATE;
			nfp_flow_set_u32(f, NFP_FLOW_FLAGS,
					 nfp_flow_get_u32(f, NFP_FLOW_FLAGS) | v);
			argc--;
			argv++;
			continue;
		}
		if (need_value(argc, argv))
			return EXIT_USAGE;
		val = argv[1];
		i = find_duration(key);
		if (i < N_DURATIONS) {
			if (parse_duration(val, &v))
				return bad_value(key, val);
			if (v)	/* 0: the namespace's default, as always */
				nfp_flow_set_u32(f, durations[i].attr, v);
		} else if (matches(key, "local")) {
			if (nfp_endpoint_parse(val, &ep, 0))
				return bad_value("local endpoint", val);
			nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &ep);
		} else if (strcmp(key, "peer") == 0 || strcmp(key, "peer-range") == 0) {
			if (nfp_flow_get_peer_count(f) == CTL_MAX_PEERS)
				return ctl_usage_error("at most %d peers", CTL_MAX_PEERS);
			if (nfp_endpoint_parse(val, &ep, 1))
				return bad_value("peer endpoint", val);
			if (nfp_flow_add_peer(f, &ep))
				return ctl_out_of_memory();
		} else if (strcmp(key, "secret") == 0 || strcmp(key, "secret-file") == 0) {
			if (strcmp(val, "-") == 0 && ctl_stdin_busy)
				return ctl_usage_error("'%s -' cannot read standard input: the batch does",
						       key);
			if (strcmp(key, "secret") == 0 && strcmp(val, "-") != 0) {
				if (parse_secret_hex(val, secret, &len))
					return ctl_usage_error("invalid secret: want %d to %d bytes in hex",
							       NFP_SECRET_MIN, NFP_SECRET_MAX);
			} else {
				ret = read_secret_file(val, secret, &len);
				if (ret)
					return ctl_usage_error("cannot read a secret from '%s': %s",
							       val, ret == -EINVAL ?
							       "want 16 to 32 bytes in hex" :
							       strerror(-ret));
			}
			nfp_flow_set_secret(f, secret, len);
			explicit_bzero(secret, sizeof(secret));
			have_secret = 1;
		} else if (strcmp(key, "mark") == 0) {
			if (parse_mark(val, &v))
				return bad_value("mark", val);
			nfp_flow_set_u32(f, NFP_FLOW_MARK, v);
		} else if (strcmp(key, "tag") == 0) {
			if (parse_tag(val, &v))
				return bad_value("tag", val);
			nfp_flow_set_u32(f, NFP_FLOW_APP_TAG, v);
		} else if (strcmp(key, "prime-ttl") == 0) {
			/* The library holds the bound (1 to 255). */
			if (parse_u32(val, &v) || nfp_flow_set_u32(f, NFP_FLOW_PRIME_TTL, v))
				return ctl_usage_error("invalid prime-ttl '%s': 1 to 255", val);
		} else if (strcmp(key, "role") == 0) {
			ret = nfp_role_parse(val);
			if (ret < 0)
				return ctl_usage_error("invalid role '%s': controlling or controlled",
						       val);
			nfp_flow_set_u32(f, NFP_FLOW_ROLE, ret);
		} else {
			return ctl_usage_error("unknown keyword '%s'", key);
		}
		argc -= 2;
		argv += 2;
	}
	if (!nfp_flow_has(f, NFP_FLOW_LOCAL))
		return ctl_usage_error("flow add needs 'local ADDR:PORT'");
	if (!nfp_flow_get_peer_count(f))
		return ctl_usage_error("flow add needs at least one 'peer ADDR:PORT'");
	if (!have_secret)
		return ctl_usage_error("flow add needs 'secret HEX', 'secret -' or 'secret-file FILE'");
	if (!nfp_flow_has(f, NFP_FLOW_ROLE))
		return ctl_usage_error("flow add needs 'role controlling' (the caller) or 'role controlled'");
	return EXIT_OK;
}
static int flow_add(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_flow *f = nfp_flow_alloc(), *out = nfp_flow_alloc();
	int ret;

	if (!f || !out)
		ret = ctl_out_of_memory();
	else
		ret = parse_flow_add(f, argc, argv);
	if (ret == EXIT_OK && !ctl_handle(ctl))
		ret = EXIT_FAIL;
	if (ret == EXIT_OK) {
		if (nfp_flow_add(ctl->h, f, out) < 0)
			ret = ctl_request_failed(ctl, "cannot add the flow");
		else
			ret = print_flow(ctl, out);
	}
	nfp_flow_free(f);
	nfp_flow_free(out);
	return ret;
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

/*
 * What flow show and flow del select by: id N, local ADDR:PORT, tag N,
 * and for show (state_ok) state STATE.
 */
static int flow_select_args(struct nfp_flow *match, uint32_t *id, int argc,
			    char **argv, int state_ok)
{
	struct nfp_endpoint ep;
	uint32_t tag;
	int state;

	while (argc > 0) {
		if (need_value(argc, argv))
			return EXIT_USAGE;
		if (strcmp(argv[0], "id") == 0) {
			if (parse_u32(argv[1], id) || !*id)
				return bad_value("flow id", argv[1]);
		} else if (matches(argv[0], "local")) {
			if (nfp_endpoint_parse(argv[1], &ep, 0))
				return bad_value("local endpoint", argv[1]);
			nfp_flow_set_endpoint(match, NFP_FLOW_LOCAL, &ep);
		} else if (state_ok && matches(argv[0], "state")) {
			if (parse_state(argv[1], &state))
				return bad_value("state", argv[1]);
			nfp_flow_set_u32(match, NFP_FLOW_STATE, state);
		} else if (strcmp(argv[0], "tag") == 0) {
			if (parse_tag(argv[1], &tag))
				return bad_value("tag", argv[1]);
			nfp_flow_set_u32(match, NFP_FLOW_APP_TAG, tag);
		} else {
			return ctl_usage_error("unknown keyword '%s'", argv[0]);
		}
		argc -= 2;
		argv += 2;
	}
	return EXIT_OK;
}

static int flow_show(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_flow *match, *f;
	struct show s = { .ctl = ctl };
	uint32_t id = 0;
	int ret;

	match = nfp_flow_alloc();
	f = nfp_flow_alloc();
	if (!match || !f) {
		nfp_flow_free(match);
		nfp_flow_free(f);
		return ctl_out_of_memory();
	}
	ret = flow_select_args(match, &id, argc, argv, 1);
	if (ret == EXIT_OK && id && (nfp_flow_has(match, NFP_FLOW_LOCAL) ||
				     nfp_flow_has(match, NFP_FLOW_STATE) ||
				     nfp_flow_has(match, NFP_FLOW_APP_TAG)))
		ret = ctl_usage_error("flow show takes 'id N' alone, or filters");
	if (ret == EXIT_OK && !ctl_handle(ctl))
		ret = EXIT_FAIL;
	if (ret == EXIT_OK) {
		if (ctl->json)
			s.arr = json_object_new_array();
		if (id && nfp_flow_lookup(ctl->h, id, f) >= 0)
			show_one(f, &s);
		else if (!id && nfp_flow_dump(ctl->h, match, show_one, &s) >= 0)
			;
		else
			ret = ctl_request_failed(ctl, "cannot list flows");
		if (ret == EXIT_OK && s.arr)
			ctl_json_print(ctl, s.arr);
		else
			json_object_put(s.arr);
	}
	nfp_flow_free(match);
	nfp_flow_free(f);
	return ret;
}

/* flow del id N | flow del [local ADDR:PORT] [tag N] */
static int flow_del_args(struct nfp_flow *match, uint32_t *id, int argc,
			 char **argv)
{
	int ret;

	if (!argc)
		return ctl_usage_error("flow del takes 'id N', or 'local ADDR:PORT' and/or 'tag N'");
	ret = flow_select_args(match, id, argc, argv, 0);
	if (ret == EXIT_OK && *id && (nfp_flow_has(match, NFP_FLOW_LOCAL) ||
				      nfp_flow_has(match, NFP_FLOW_APP_TAG)))
		return ctl_usage_error("flow del takes 'id N' alone, or 'local' and/or 'tag'");
	return ret;
}

static int flow_del(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_flow *match = nfp_flow_alloc();
	uint32_t id = 0;
	int ret;

	if (!match)
		return ctl_out_of_memory();
	ret = flow_del_args(match, &id, argc, argv);
	if (ret == EXIT_OK && !ctl_handle(ctl))
		ret = EXIT_FAIL;
	if (ret == EXIT_OK &&
	    (id ? nfp_flow_del(ctl->h, id) : nfp_flow_del_match(ctl->h, match)) < 0)
		ret = ctl_request_failed(ctl, "cannot delete");
	nfp_flow_free(match);
	return ret;
}

static int flow_set(struct punchctl *ctl, int argc, char **argv)
{
	struct nfp_flow *change = nfp_flow_alloc(), *out = nfp_flow_alloc();
	int ret = EXIT_OK;
	uint32_t v;

	if (!change || !out)
		ret = ctl_out_of_memory();
	while (ret == EXIT_OK && argc > 0) {
		if (strcmp(argv[0], "repunch") == 0 || strcmp(argv[0], "nominate") == 0) {
			if (argv[0][0] == 'r')
				nfp_flow_set_u32(change, NFP_FLOW_STATE, NFP_STATE_PUNCHING);
			else
				nfp_flow_set_u32(change, NFP_FLOW_NOMINATE, 1);
			argc--;
			argv++;
			continue;
		}
		if (need_value(argc, argv)) {
			ret = EXIT_USAGE;
		} else if (strcmp(argv[0], "id") == 0) {
			if (parse_u32(argv[1], &v) || !v)
				ret = bad_value("flow id", argv[1]);
			else
				nfp_flow_set_u32(change, NFP_FLOW_ID, v);
		} else if (matches(argv[0], "keepalive")) {
			/* 0 leaves it as it is, as it always has. */
			if (parse_duration(argv[1], &v))
				ret = bad_value("keepalive", argv[1]);
			else if (v)
				nfp_flow_set_u32(change, NFP_FLOW_KEEPALIVE_MS, v);
		} else if (strcmp(argv[0], "timeout") == 0) {
			if (parse_duration(argv[1], &v))
				ret = bad_value("timeout", argv[1]);
			else if (v)
				nfp_flow_set_u32(change, NFP_FLOW_TIMEOUT_MS, v);
		} else {
			ret = ctl_usage_error("unknown keyword '%s'", argv[0]);
		}
		argc -= 2;
		argv += 2;
	}
	if (ret == EXIT_OK && !nfp_flow_has(change, NFP_FLOW_ID))
		ret = ctl_usage_error("flow set needs 'id N'");
	if (ret == EXIT_OK && !ctl_handle(ctl))
		ret = EXIT_FAIL;
	if (ret == EXIT_OK) {
		if (nfp_flow_change(ctl->h, change, out) < 0)
			ret = ctl_request_failed(ctl, "cannot change the flow");
		else
			ret = print_flow(ctl, out);
	}
	nfp_flow_free(change);
	nfp_flow_free(out);
	return ret;
}

int do_flow(struct punchctl *ctl, int argc, char **argv)
{
	static const char *const cmds[] = {
		"show", "list", "add", "delete", "set", "change", NULL,
	};

	if (argc == 0)
		return flow_show(ctl, 0, argv);
	switch (ctl_choose(argv[0], cmds, "flow command")) {
	case 0: case 1: return flow_show(ctl, argc - 1, argv + 1);
	case 2: return flow_add(ctl, argc - 1, argv + 1);
	case 3: return flow_del(ctl, argc - 1, argv + 1);
	case 4: case 5: return flow_set(ctl, argc - 1, argv + 1);
	}
	return EXIT_USAGE;
}
