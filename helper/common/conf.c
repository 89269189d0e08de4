// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
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
