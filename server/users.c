// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who may register, and whom they may call: a file of
 * "id secret-in-hex [group,group...] [sessions=N] [relays=N]" lines ('#'
 * comments). Two users may call each other when they share a group; a
 * line without groups is in the group "default", so a file without any
 * lets everyone call everyone. sessions= and relays= replace
 * --client-sessions and --client-relays for that user: a hub keeping
 * thousands of peers needs more than a laptop, and a guest may get none.
 * Loaded at start and again on SIGHUP; a file with any bad line is
 * refused as a whole and the old table stays.
 */
#include <errno.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdv.h"

#define MAX_GROUPS	8
/* Far above any sane hub, and each is bounded by the server's own
 * totals (--max-relays, memory) anyway. */
#define MAX_USER_LIMIT	1000000
/* A limit the line does not set: the command line's applies. */
#define LIMIT_UNSET	UINT_MAX

struct rdv_user {
	char id[SIG_ID_MAX + 1];
	uint8_t secret[SIG_CLIENT_SECRET_MAX];
	size_t len;
	char groups[MAX_GROUPS][SIG_ID_MAX + 1];
	unsigned int n_groups;
	unsigned int limit[RDV_USER_LIMITS];
};

static const char *const limit_names[RDV_USER_LIMITS] = {
	[RDV_USER_SESSIONS] = "sessions",
	[RDV_USER_RELAYS] = "relays",
};

static void *users;

struct reload {
	void *fresh;
	void (*revoked)(const char *id);
};

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rdv_user *)a)->id,
		      ((const struct rdv_user *)b)->id);
}

static int parse_groups(char *list, struct rdv_user *u)
{
	char *g, *save;

	for (g = strtok_r(list, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		if (!sig_word_ok(g) || u->n_groups == MAX_GROUPS)
			return -1;
		snprintf(u->groups[u->n_groups++], sizeof(u->groups[0]), "%s", g);
	}
	return u->n_groups ? 0 : -1;
}

/* "name=N": each name once, N a plain decimal up to MAX_USER_LIMIT. */
static int parse_limit(const char *word, struct rdv_user *u)
{
	const char *eq = strchr(word, '=');
	unsigned long v;
	unsigned int i;
	char *end;

	for (i = 0; i < RDV_USER_LIMITS; i++)
		if (strlen(limit_names[i]) == (size_t)(eq - word) &&
		    !strncmp(word, limit_names[i], (size_t)(eq - word)))
			break;
	if (i == RDV_USER_LIMITS || u->limit[i] != LIMIT_UNSET ||
	    eq[1] < '0' || eq[1] > '9')
		return -1;
	errno = 0;
	v = strtoul(eq + 1, &end, 10);
	if (errno || *end || v > MAX_USER_LIMIT)
		return -1;
	u->limit[i] = (unsigned int)v;
	return 0;
}

static int parse_line(char *line, struct rdv_user *u)
{
	char *id, *hex, *word, *save;
	bool groups = false;
	unsigned int i;
	int n;

	for (i = 0; i < RDV_USER_LIMITS; i++)
		u->limit[i] = LIMIT_UNSET;
	id = strtok_r(line, " \t", &save);
	hex = strtok_r(NULL, " \t", &save);
	if (!id || !hex || !sig_word_ok(id))
		return -1;
	n = sig_secret_hex(hex, u->secret);
	if (n < 0)
		return -1;
	snprintf(u->id, sizeof(u->id), "%s", id);
	u->len = (size_t)n;
	/* The groups come first, if at all; then the limits. */
	for (i = 0; (word = strtok_r(NULL, " \t", &save)); i++) {
		if (strchr(word, '=')) {
			if (parse_limit(word, u))
				return -1;
		} else if (i || parse_groups(word, u)) {
			return -1;
		} else {
			groups = true;
		}
	}
	if (!groups) {
		snprintf(u->groups[0], sizeof(u->groups[0]), "default");
		u->n_groups = 1;
	}
	return 0;
}

static const struct rdv_user *find(void *tree, const char *id)
{
	struct rdv_user key, **found;

	snprintf(key.id, sizeof(key.id), "%s", id);
	found = tfind(&key, &tree, user_cmp);
	return found ? *found : NULL;
}

/* An old entry gone from the new table, or changed, is revoked. */
static void check_revoked(const void *node, VISIT which, void *closure)
{
	const struct rdv_user *old = *(const struct rdv_user *const *)node;
	const struct reload *r = closure;
	const struct rdv_user *now;

	if (which != postorder && which != leaf)
		return;
	now = find(r->fresh, old->id);
	if (!now || now->len != old->len ||
	    memcmp(now->secret, old->secret, old->len))
		r->revoked(old->id);
}

int rdv_users_load(const char *path, void (*revoked)(const char *id))
{
	char line[1024];
	void *fresh = NULL;
	unsigned int lineno = 0, count = 0;
	struct rdv_user *u;
	FILE *f;
	int bad = 0;

	f = fopen(path, "re");
	if (!f) {
		rdv_log(RDV_LOG_ERR, "users", "file=%s error=\"%s\"", path,
			strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n#")] = '\0';
		if (strspn(line, " \t") == strlen(line))
			continue;
		u = calloc(1, sizeof(*u));
		if (!u || parse_line(line, u) ||
		    *(struct rdv_user **)tsearch(u, &fresh, user_cmp) != u) {
			rdv_log(RDV_LOG_ERR, "users", "file=%s line=%u error=%s",
				path, lineno, u ? "\"bad or duplicate entry\"" :
				"\"out of memory\"");
			free(u);
			bad = 1;
			break;
		}
		count++;
	}
	fclose(f);
	if (bad) {
		tdestroy(fresh, free);
		return -1;
	}
	if (revoked) {
		struct reload r = { .fresh = fresh, .revoked = revoked };

		twalk_r(users, check_revoked, &r);
	}
	tdestroy(users, free);
	users = fresh;
	rdv_log(RDV_LOG_INFO, "users", "file=%s loaded=%u", path, count);
	return 0;
}

const uint8_t *rdv_users_secret(const char *id, size_t *len)
{
	const struct rdv_user *u = find(users, id);

	if (!u)
		return NULL;
	*len = u->len;
	return u->secret;
}

bool rdv_users_may_call(const char *a, const char *b)
{
	const struct rdv_user *x = find(users, a), *y = find(users, b);
	unsigned int i, j;

	if (!x || !y)
		return false;
	for (i = 0; i < x->n_groups; i++)
		for (j = 0; j < y->n_groups; j++)
			if (!strcmp(x->groups[i], y->groups[j]))
				return true;
	return false;
}

unsigned int rdv_users_limit(const char *id, enum rdv_user_limit which)
{
	const struct rdv_user *u = find(users, id);
	const unsigned int dflt[RDV_USER_LIMITS] = {
		[RDV_USER_SESSIONS] = rdv_cfg->lim.client_sessions,
		[RDV_USER_RELAYS] = rdv_cfg->lim.client_relays,
	};

	return u && u->limit[which] != LIMIT_UNSET ? u->limit[which] : dflt[which];
}

void rdv_users_free(void)
{
	tdestroy(users, free);
	users = NULL;
}
