// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchctl - configure nfpunch from the command line, iproute2 style:
 *     punchctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "punchctl.h"

#ifndef NFPUNCH_TOOLS_VERSION
#define NFPUNCH_TOOLS_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: punchctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]\n"
		"\n"
		"Objects:\n"
		"  flow add [udp] local ADDR:PORT peer ADDR:PORT[-PORT]... \n"
		"           (secret HEX | secret-file FILE) role (controlling | controlled)\n"
		"           [keepalive DUR] [timeout DUR] [mark N]\n"
		"           [punch-timeout DUR] [probe-interval DUR] [passive]\n"
		"  flow show [id N] [local ADDR:PORT] [state STATE]\n"
		"  flow del (id N | local ADDR:PORT)\n"
		"  flow set id N [keepalive DUR] [timeout DUR] [repunch]\n"
		"  mapping local ADDR:PORT server ADDR:PORT [timeout DUR]\n"
		"  monitor [count N]     print events (JSON: one object per line)\n"
		"  config [show]\n"
		"  config set [max-flows N] [pps N] [keepalive DUR] [timeout DUR]\n"
		"             [punch-timeout DUR] [probe-interval DUR]\n"
		"  stats                 module version and this namespace's counters\n"
		"\n"
		"ADDR:PORT is 192.0.2.1:4000 or [2001:db8::1]:4000; DUR is 500ms, 25s, 2m.\n"
		"STATE is punching, established or dead.\n"
		"\n"
		"Options:\n"
		"  -j, --json            print JSON\n"
		"  -p, --pretty          indent JSON output\n"
		"  -V, --version         print the tools' version\n"
		"  -h, --help            print this help\n"
		"\n"
		"Objects and commands may be abbreviated to any unique prefix.\n"
		"Exit status: 0 success, 1 the request failed, 2 usage error.\n"
		"See punchctl(8).\n");
}

int matches(const char *arg, const char *keyword)
{
	size_t len = strlen(arg);

	return len > 0 && strncmp(arg, keyword, len) == 0;
}

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("punchctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'punchctl --help')\n", stderr);
	return EXIT_USAGE;
}

struct nfp_handle *ctl_handle(struct punchctl *ctl)
{
	int ret;

	if (ctl->h)
		return ctl->h;
	ret = nfp_open(&ctl->h);
	if (ret == -ENOENT)
		fprintf(stderr, "punchctl: the nfpunch kernel module is not "
			"available (modprobe nfpunch)\n");
	else if (ret < 0)
		fprintf(stderr, "punchctl: cannot talk to the nfpunch module: %s\n",
			strerror(-ret));
	return ctl->h;
}

int ctl_request_failed(struct punchctl *ctl, const char *what)
{
	fprintf(stderr, "punchctl: %s: %s\n", what, nfp_strerror(ctl->h));
	return EXIT_FAIL;
}

void ctl_json_print(struct punchctl *ctl, struct json_object *obj)
{
	int flags = ctl->pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;

	puts(json_object_to_json_string_ext(obj, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

struct object {
	const char *name;
	int (*run)(struct punchctl *ctl, int argc, char **argv);
};

static const struct object objects[] = {
	{ "flow", do_flow },
	{ "mapping", do_mapping },
	{ "monitor", do_monitor },
	{ "config", do_config },
	{ "stats", do_stats },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct punchctl ctl = { 0 };
	const struct object *found = NULL;
	size_t i;
	int c, ret;

	/* "+": stop at the first non-option, the object name. */
	opterr = 0;	/* one error line, ours */
	while ((c = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctl.json = 1; break;
		case 'p': ctl.pretty = 1; break;
		case 'V':
			printf("punchctl " NFPUNCH_TOOLS_VERSION "\n");
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				return ctl_usage_error("bad option '%s'", argv[optind - 1]);
			return ctl_usage_error("unknown option '-%c'", optopt);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return ctl_usage_error("no object given");

	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		if (matches(argv[0], objects[i].name)) {
			found = &objects[i];
			break;
		}
	}
	if (!found)
		return ctl_usage_error("unknown object '%s'", argv[0]);

	ret = found->run(&ctl, argc - 1, argv + 1);
	nfp_close(ctl.h);
	return ret;
}
