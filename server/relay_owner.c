// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A tree of the ids that hold relays: its size follows the relays (at
 * most --max-relays entries), and an entry goes with its id's last relay.
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_owner.h"

static void *tree;

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct relay_owner *)a)->id,
		      ((const struct relay_owner *)b)->id);
}

static struct relay_owner *find(const char *id)
{
	struct relay_owner key, **slot;

	snprintf(key.id, sizeof(key.id), "%s", id);
	slot = tfind(&key, &tree, cmp);
	return slot ? *slot : NULL;
}

struct relay_owner *relay_owner_get(const char *id)
{
	struct relay_owner *o = find(id), **slot;

	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	snprintf(o->id, sizeof(o->id), "%s", id);
	slot = tsearch(o, &tree, cmp);
	if (!slot) {
		free(o);
		return NULL;
	}
	return o;
}

unsigned int relay_owner_relays(const char *id)
{
	struct relay_owner *o = find(id);

	return o ? o->relays : 0;
}

void relay_owner_put(struct relay_owner *o)
{
	if (o->relays)
		return;
	tdelete(o, &tree, cmp);
	free(o);
}
