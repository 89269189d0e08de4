// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

extern char *program_invocation_short_name;

static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

int conf_read(const char *path, conf_fn fn, void *arg)
{
	const char *prog = program_invocation_short_name;
	char line[1024], *key, *value, *sep;
	unsigned int lineno = 0;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "%s: %s:%u: line too long\n", prog,
				path, lineno);
			ret = -1;
			break;
		}
		line[strcspn(line, "#\r\n")] = '\0';
		key = trim(line);
		if (!*key)
			continue;
		sep = key + strcspn(key, " \t=");
		value = sep + strspn(sep, " \t");
		if (*value == '=')
			value = trim(value + 1);
		*sep = '\0';
		if (!*value) {
			fprintf(stderr, "%s: %s:%u: %s needs a value\n", prog,
				path, lineno, key);
			ret = -1;
		} else if (fn(key, value, arg)) {
			fprintf(stderr, "%s: %s:%u: bad option or value: %s %s\n",
				prog, path, lineno, key, value);
			ret = -1;
		}
	}
	fclose(f);
	return ret;
}

struct conf_opts {
	const struct option *longopts;
	int (*apply)(int opt, const char *arg);
};

/* A config line is a long option: same name, same apply(). */
static int conf_longopt(const char *key, const char *value, void *arg)
{
	const struct conf_opts *co = arg;
	const struct option *o;

	for (o = co->longopts; o->name; o++)
		if (!strcmp(o->name, key) && o->has_arg == required_argument &&
		    strcmp(key, "config"))
			return co->apply(o->val, value);
	return -1;
}

static const char *opt_name(const struct option *longopts, int opt)
{
	const struct option *o;

	for (o = longopts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

int conf_getopt(int argc, char **argv, const char *shortopts,
		const struct option *longopts, int (*apply)(int opt, const char *arg),
		void (*help)(void), void (*version)(void))
{
	const char *prog = program_invocation_short_name;
	struct conf_opts co = { longopts, apply };
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			help();
			exit(0);
		case 'V':
			version();
			exit(0);
		case 'c':
			if (conf_read(optarg, conf_longopt, &co))
				return -1;
			break;
		case ':':
			fprintf(stderr, "%s: option %s needs a value\n", prog,
				argv[optind - 1]);
			return -1;
		case '?':
			fprintf(stderr, "%s: unknown option %s\n", prog,
				argv[optind - 1]);
			return -1;
		default:
			if (apply(opt, optarg)) {
				fprintf(stderr, "%s: bad value for --%s: %s\n", prog,
					opt_name(longopts, opt), optarg);
				return -1;
			}
		}
	}
	return 0;
}
