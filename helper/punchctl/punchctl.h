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

/* The module's limit, checked here so a bad line changes nothing. */
#define CTL_MAX_PEERS	32

/* Set while a batch reads standard input: "secret -" cannot. */
extern int ctl_stdin_busy;

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

/*
 * Which of words (NULL-terminated) arg names: an exact word, or a prefix
 * of only one. -1 after printing the usage error: what names ("object",
 * "flow command") is unknown, or ambiguous with the candidates listed.
 */
int ctl_choose(const char *arg, const char *const *words, const char *what);

/* Print "punchctl: out of memory" and return EXIT_FAIL. */
int ctl_out_of_memory(void);

/* Print one usage error line and return EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print obj as JSON on stdout and drop the reference. */
void ctl_json_print(struct punchctl *ctl, struct json_object *obj);

/* Values (args.c); each returns 0 or a negative errno. */
int parse_u32(const char *s, uint32_t *out);
int parse_mark(const char *s, uint32_t *out);
int parse_tag(const char *s, uint32_t *out);
int parse_duration(const char *s, uint32_t *ms);
void format_duration(uint32_t ms, char *buf, size_t len);
int parse_secret_hex(const char *s, uint8_t *out, unsigned int *len);
int read_secret_file(const char *path, uint8_t *out, unsigned int *len);

/* Print a flow, human or JSON (flow_print.c). */
void flow_print(const struct nfp_flow *f);
struct json_object *flow_json(const struct nfp_flow *f);
struct json_object *endpoint_json(const struct nfp_endpoint *ep);
struct json_object *mapping_json(const struct nfp_mapping *m);
void mapping_print(const struct nfp_mapping *m);

int do_stats(struct punchctl *ctl, int argc, char **argv);
int do_flow(struct punchctl *ctl, int argc, char **argv);
int do_mapping(struct punchctl *ctl, int argc, char **argv);
int do_tcp_prime(struct punchctl *ctl, int argc, char **argv);
int do_monitor(struct punchctl *ctl, int argc, char **argv);
int do_config(struct punchctl *ctl, int argc, char **argv);

#endif /* PUNCHCTL_H */
