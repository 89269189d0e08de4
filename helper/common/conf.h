/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Config files for punchd and rendezvousd: one option per line, the long
 * option's name, then its value ("name value" or "name = value"); '#'
 * starts a comment. Each program hands the pairs to its own option code,
 * so a file and the command line mean exactly the same.
 */
#ifndef NFPUNCH_CONF_H
#define NFPUNCH_CONF_H

/* fn returns 0, or -1 to reject the value (reported with file:line). */
typedef int (*conf_fn)(const char *key, const char *value, void *arg);

/* 0, or -1 after printing "PROG: FILE:LINE: ..." to stderr. */
int conf_read(const char *path, conf_fn fn, void *arg);

struct option;
/*
 * The whole command line of a daemon: getopt_long over longopts, where
 * -c/--config FILE applies the file's lines through the same apply(),
 * -h/--help and -V/--version call help() and version() and exit 0, and
 * every other option goes to apply(val, arg). Errors are printed as
 * "PROG: ..." one line each; returns 0 or -1.
 */
int conf_getopt(int argc, char **argv, const char *shortopts,
		const struct option *longopts, int (*apply)(int opt, const char *arg),
		void (*help)(void), void (*version)(void));

#endif
