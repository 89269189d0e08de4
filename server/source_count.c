// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tree of the sources that have connections open: its size follows the
 * connections (at most --max-clients entries), and an entry goes with its
 * source's last connection.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "source_count.h"
#include "source_rate.h"

static void *tree;

static int cmp(const void *a, const void *b)
{
	const struct source_count *x = a, *y = b;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

struct source_count *source_count_get(const struct sockaddr_storage *ss,
				      bool site)
{
	struct source_count key = { 0 }, *s, **slot;

	source_key(ss, &key.key, &key.tag);
	if (site) {
		if (key.tag != 6)
			return NULL;
		/* The /48 in network order: the /64's first six bytes. */
		memset((uint8_t *)&key.key + 6, 0, 2);
		key.tag = 48;
	}
	slot = tfind(&key, &tree, cmp);
	if (slot)
		return *slot;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = key;
	slot = tsearch(s, &tree, cmp);
	if (!slot) {
		free(s);
		return NULL;
	}
	return s;
}

void source_count_put(struct source_count *s)
{
	if (s->conns)
		return;
	tdelete(s, &tree, cmp);
	free(s);
}
