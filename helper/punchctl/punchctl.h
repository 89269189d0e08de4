/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PUNCHCTL_H
#define PUNCHCTL_H

#include <json-c/json.h>
#include "libnfpunch.h"

/* Exit codes scripts can rely on (documented in punchctl.8). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the request was refused or failed */
	EXIT_USAGE = 2,		/* bad command line; nothing was done */
};

struct punchctl {
	int json;		/* -j: one JSON document on stdout */
	int pretty;		/* -p: indent the JSON */
	struct nfp_handle *h;	/* opened on first use */
};

/* Open the module handle on first use; prints the error itself. */
struct nfp_handle *ctl_handle(struct punchctl *ctl);

/* Print "punchctl: <what>: <kernel message>" for a failed request. */
int ctl_request_failed(struct punchctl *ctl, const char *what);

/* True when arg is a non-empty prefix of keyword (abbreviations). */
int matches(const char *arg, const char *keyword);

/* Print one usage error line and return EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print obj as JSON on stdout and drop the reference. */
void ctl_json_print(struct punchctl *ctl, struct json_object *obj);

int do_stats(struct punchctl *ctl, int argc, char **argv);

#endif /* PUNCHCTL_H */
