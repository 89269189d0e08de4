// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchctl - configure nfpunch from the command line, iproute2 style:
 *     punchctl [OPTIONS] OBJECT [COMMAND [ARGUMENTS]]
 */
#define _GNU_SOURCE		/* setns */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		"           (secret HEX | secret - | secret-file FILE) role (controlling | controlled)\n"
		"           [keepalive DUR] [timeout DUR] [mark N] [tag N]\n"
		"           [punch-timeout DUR] [probe-interval DUR] [passive] [candidate]\n"
		"           [prime-ttl N prime-time DUR]\n"
		"  flow show [id N] [local ADDR:PORT] [state STATE] [tag N]\n"
		"  flow del (id N | [local ADDR:PORT] [tag N])\n"
		"  flow set id N [keepalive DUR] [timeout DUR] [repunch] [nominate]\n"
		"  mapping local ADDR:PORT server ADDR:PORT [timeout DUR] [mark N]\n"
		"  monitor [count N] [tag N]\n"
		"                        print events (JSON: one object per line)\n"
		"  config [show]\n"
		"  config set [max-flows N] [pps N] [keepalive DUR] [timeout DUR]\n"
		"             [punch-timeout DUR] [probe-interval DUR]\n"
		"  stats                 module version and this namespace's counters\n"
		"  tcp-prime add local ADDR:PORT remote ADDR:PORT ttl N [time DUR]\n"
		"                        short SYNs from local to remote (TCP punching)\n"
		"  tcp-prime del id N\n"
		"\n"
		"ADDR:PORT is 192.0.2.1:4000 or [2001:db8::1]:4000; DUR is 500ms, 25s, 2m.\n"
		"STATE is punching, established or dead. A tag (N, 0 none) is the\n"
		"application's own number, to tell its flows from other programs'.\n"
		"\n"
		"Options (one dash or two, as in ip(8)):\n"
		"  -j, -json             print JSON\n"
		"  -p, -pretty           indent JSON output\n"
		"  -n, -netns NAME       act in network namespace NAME (/run/netns/NAME)\n"
		"                        or the one a path names\n"
		"  -b, -batch FILE       run the commands in FILE (- for standard input),\n"
		"                        one per line; stop at the first that fails\n"
		"  -f, -force            in a batch, go on after a failure\n"
		"  -V, --version         print the tools' version\n"
		"  -h, --help            print this help\n"
		"\n"
		"Objects and commands may be abbreviated to any unique prefix.\n"
		"Give secrets with 'secret -' (standard input) or 'secret-file FILE':\n"
		"a secret on the command line is visible to every user in ps(1).\n"
		"Exit status: 0 success, 1 the request failed, 2 usage error.\n"
		"See punchctl(8).\n");
}

int matches(const char *arg, const char *keyword)
{
	size_t len = strlen(arg);

	return len > 0 && strncmp(arg, keyword, len) == 0;
}

int ctl_choose(const char *arg, const char *const *words, const char *what)
{
	char list[256] = "";
	int i, found = -1, n = 0;

	for (i = 0; words[i]; i++) {
		if (strcmp(arg, words[i]) == 0)
			return i;
		if (!matches(arg, words[i]))
			continue;
		found = i;
		n++;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 n > 1 ? ", " : "", words[i]);
	}
	if (n == 1)
		return found;
	if (n == 0)
		ctl_usage_error("unknown %s '%s'", what, arg);
	else
		ctl_usage_error("%s '%s' is ambiguous: %s", what, arg, list);
	return -1;
}

int ctl_out_of_memory(void)
{
	fprintf(stderr, "punchctl: out of memory\n");
	return EXIT_FAIL;
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

int ctl_stdin_busy;

static const char *const object_names[] = {
	"flow", "mapping", "monitor", "config", "stats", "tcp-prime", NULL,
};

static int (*const object_run[])(struct punchctl *, int, char **) = {
	do_flow, do_mapping, do_monitor, do_config, do_stats, do_tcp_prime,
};

static int run_command(struct punchctl *ctl, int argc, char **argv)
{
	int i;

	if (argc == 0)
		return ctl_usage_error("no object given");
	i = ctl_choose(argv[0], object_names, "object");
	if (i < 0)
		return EXIT_USAGE;
	return object_run[i](ctl, argc - 1, argv + 1);
}

/* As ip -n: a name under /run/netns, or a path (e.g. /proc/PID/ns/net). */
static int enter_netns(const char *name)
{
	char path[4096];
	int fd, ret;

	if (!*name || (name[0] != '/' && (strchr(name, '/') ||
					  !strcmp(name, ".") || !strcmp(name, ".."))))
		return ctl_usage_error("invalid network namespace name '%s'", name);
	snprintf(path, sizeof(path), "%s%s", name[0] == '/' ? "" : "/run/netns/",
		 name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "punchctl: cannot open network namespace '%s': %s\n",
			name, strerror(errno));
		return EXIT_FAIL;
	}
	ret = setns(fd, CLONE_NEWNET);
	if (ret < 0)
		fprintf(stderr, "punchctl: cannot enter network namespace '%s': %s\n",
			name, strerror(errno));
	close(fd);
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}

#define BATCH_MAX_ARGS	512

/*
 * Split line into words as a shell would for simple cases: blanks
 * separate, '...' and "..." group, # starts a comment. Returns the count,
 * or -1 with why set.
 */
static int split_line(char *line, char **argv, const char **why)
{
	char *r = line, *w = line;
	int argc = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r || *r == '#')
			return argc;
		if (argc == BATCH_MAX_ARGS) {
			*why = "more than 512 words";
			return -1;
		}
		argv[argc++] = w;
		while (*r && *r != ' ' && *r != '\t' && *r != '\n' && *r != '\r') {
			if (*r == '"' || *r == '\'') {
				char q = *r++;

				while (*r && *r != q)
					*w++ = *r++;
				if (!*r) {
					*why = "a quote is not closed";
					return -1;
				}
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
}

/*
 * The next command: a line, joined with the next while it ends in a
 * backslash (as in ip -batch). Returns its length, 0 at the end, -1 on a
 * read error (errno) or a NUL inside the line (*why).
 */
static ssize_t read_command(FILE *f, char **buf, size_t *cap, unsigned int *lineno,
			    const char **why)
{
	char *part = NULL;
	size_t pcap = 0, len = 0;
	ssize_t n;

	*why = NULL;
	for (;;) {
		errno = 0;
		n = getline(&part, &pcap, f);
		if (n < 0) {
			free(part);
			if (errno)
				return -1;
			return (ssize_t)len;
		}
		++*lineno;
		if (strlen(part) != (size_t)n) {
			*why = "a NUL byte in the line";
			free(part);
			return -1;
		}
		while (n && (part[n - 1] == '\n' || part[n - 1] == '\r'))
			n--;
		if (len + (size_t)n + 2 > *cap) {
			char *p = realloc(*buf, len + (size_t)n + 2);

			if (!p) {
				free(part);
				return -1;
			}
			*buf = p;
			*cap = len + (size_t)n + 2;
		}
		memcpy(*buf + len, part, (size_t)n);
		len += (size_t)n;
		(*buf)[len] = '\0';
		if (!len || (*buf)[len - 1] != '\\') {
			free(part);
			return len ? (ssize_t)len : 1;	/* 1: an empty line */
		}
		(*buf)[--len] = ' ';	/* the backslash joins the next line */
		len++;
	}
}

/* Is f the standard input, by whatever name? */
static int same_as_stdin(FILE *f)
{
	struct stat a, b;

	return f == stdin || (!fstat(fileno(f), &a) && !fstat(0, &b) &&
			      a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

/*
 * ip -batch: every line a command, on the one handle. Stops at the
 * first failure unless force; the status is the first failure's.
 */
static int run_batch(struct punchctl *ctl, const char *file, int force)
{
	char *line = NULL, *argv[BATCH_MAX_ARGS];
	int argc, ret, status = EXIT_OK;
	unsigned int lineno = 0, first;
	const char *why;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (!f) {
		fprintf(stderr, "punchctl: cannot open batch file '%s': %s\n",
			file, strerror(errno));
		return EXIT_FAIL;
	}
	ctl_stdin_busy = same_as_stdin(f);
	for (;;) {
		first = lineno + 1;
		n = read_command(f, &line, &cap, &lineno, &why);
		if (n == 0)
			break;
		if (n < 0 && !why) {
			fprintf(stderr, "punchctl: reading %s: %s\n", file,
				strerror(errno ? errno : ENOMEM));
			if (status == EXIT_OK)
				status = EXIT_FAIL;
			break;
		}
		argc = n < 0 ? -1 : split_line(line, argv, &why);
		if (argc == 0)
			continue;
		ret = argc < 0 ? ctl_usage_error("cannot read the command: %s", why) :
		      run_command(ctl, argc, argv);
		fflush(stdout);
		if (ret == EXIT_OK)
			continue;
		if (first == lineno)
			fprintf(stderr, "punchctl: command failed %s:%u\n", file, first);
		else
			fprintf(stderr, "punchctl: command failed %s:%u-%u\n", file,
				first, lineno);
		if (status == EXIT_OK)
			status = ret;
		if (!force)
			break;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "netns", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *netns = NULL, *batch = NULL;
	struct punchctl ctl = { 0 };
	int c, ret, force = 0;

	/* "+": stop at the first non-option, the object name. */
	opterr = 0;	/* one error line, ours */
	while ((c = getopt_long_only(argc, argv, "+:jpn:b:fVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctl.json = 1; break;
		case 'p': ctl.pretty = 1; break;
		case 'n': netns = optarg; break;
		case 'b': batch = optarg; break;
		case 'f': force = 1; break;
		case 'V':
			printf("punchctl " NFPUNCH_TOOLS_VERSION "\n");
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			return ctl_usage_error("option '%s' needs a value", argv[optind - 1]);
		default: {
			const char *w = argv[optind - 1];

			if (optopt)
				return ctl_usage_error("unknown option '-%c'", optopt);
			if (w[0] == '-' && w[1] && w[1] != '-' && !w[2])
				return ctl_usage_error("unknown option '%s'", w);
			return ctl_usage_error("bad option '%s'", w);
		}
		}
	}
	argc -= optind;
	argv += optind;
	if (batch && argc)
		return ctl_usage_error("a batch takes its commands from '%s', not the command line",
				       batch);
	if (force && !batch)
		return ctl_usage_error("-force applies to a batch (-batch FILE)");
	if (netns) {
		ret = enter_netns(netns);
		if (ret != EXIT_OK)
			return ret;
	}
	ret = batch ? run_batch(&ctl, batch, force) : run_command(&ctl, argc, argv);
	nfp_close(ctl.h);
	return ret;
}
