// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * events-check - libnfpunch's events as an event loop sees them, against
 * the real module. Prints KTAP cases (the caller numbers nothing: one
 * "ok"/"not ok" line each, "# " diagnostics) and exits 1 if any failed.
 *
 *   events-check LOCAL_ADDR FIRST_PORT
 *
 * Flows are passive, towards 192.0.2.9:9 (TEST-NET-1: never answers);
 * each deletion is one DELETED event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libnfpunch.h"

static int failed;
static struct nfp_handle *h;
static const char *laddr;
static unsigned int port;

static void result(int ok, const char *what, const char *diag)
{
	printf("%s %s\n", ok ? "ok" : "not ok", what);
	if (!ok && diag)
		printf("# %s\n", diag);
	failed |= !ok;
	fflush(stdout);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A passive flow on the next port with an app tag (0: none): its id, or 0. */
static uint32_t add_tagged(uint32_t tag)
{
	struct nfp_flow *f = nfp_flow_alloc(), *out = nfp_flow_alloc();
	struct nfp_endpoint local, peer;
	static const uint8_t secret[16] = "events-check-key";
	char ep[64];
	uint32_t id = 0;

	snprintf(ep, sizeof(ep), "%s:%u", laddr, port++);
	if (f && out && !nfp_endpoint_parse(ep, &local, 0) &&
	    !nfp_endpoint_parse("192.0.2.9:9", &peer, 0) &&
	    !nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local) &&
	    !nfp_flow_add_peer(f, &peer) &&
	    !nfp_flow_set_secret(f, secret, sizeof(secret)) &&
	    !nfp_flow_set_u32(f, NFP_FLOW_ROLE, NFP_ROLE_CONTROLLED) &&
	    !nfp_flow_set_u32(f, NFP_FLOW_FLAGS, NFP_FLOW_F_PASSIVE) &&
	    (!tag || !nfp_flow_set_u32(f, NFP_FLOW_APP_TAG, tag)) &&
	    nfp_flow_add(h, f, out) == 0)
		id = nfp_flow_get_u32(out, NFP_FLOW_ID);
	else
		fprintf(stderr, "events-check: add %s: %s\n", ep, nfp_strerror(h));
	nfp_flow_free(f);
	nfp_flow_free(out);
	return id;
}

static uint32_t add_flow(void)
{
	return add_tagged(0);
}

struct seen {
	uint32_t ids[1024];
	int types[1024];
	unsigned int n, stop_at;	/* stop_at: refuse the Nth (1-based) */
};

static int record(const struct nfp_event *e, void *arg)
{
	const struct nfp_flow *f = nfp_event_get_flow(e);
	struct seen *s = arg;

	if (!f || s->n == 1024)
		return 0;
	s->types[s->n] = nfp_event_get_type(e);
	s->ids[s->n++] = nfp_flow_get_u32(f, NFP_FLOW_ID);
	return s->n == s->stop_at ? -ECANCELED : 0;
}

static void check_no_block(struct nfp_events *ev)
{
	struct seen s = { 0 };
	double t0 = now_ms();
	int ret = nfp_events_read(ev, record, &s);
	char diag[64];

	snprintf(diag, sizeof(diag), "ret %d after %.1f ms", ret, now_ms() - t0);
	result(ret == 0 && now_ms() - t0 < 100,
	       "nothing queued: nfp_events_read returns 0 at once", diag);
}

/* A refusing callback loses nothing: the rest comes with the next read. */
static void check_refusal(struct nfp_events *ev)
{
	uint32_t ids[10];
	struct seen s = { .stop_at = 3 };
	char diag[128];
	int i, r1, r2, ok = 1;

	for (i = 0; i < 10; i++)
		ids[i] = add_flow();
	for (i = 0; i < 10; i++)
		nfp_flow_del(h, ids[i]);
	r1 = nfp_events_read(ev, record, &s);
	r2 = nfp_events_read(ev, record, &s);
	for (i = 0; i < 10; i++)
		ok &= s.n == 10 && s.ids[i] == ids[i] &&
		      s.types[i] == NFP_EVENT_DELETED;
	snprintf(diag, sizeof(diag), "first read %d, second %d, events %u", r1, r2, s.n);
	result(r1 == -ECANCELED && r2 == 7 && ok,
	       "a callback refusing the 3rd of 10 events: read returns its error, the next read delivers the other 7 in order",
	       diag);
}

/* Edge-triggered epoll: one wake-up per burst, and reading to empty. */
static void check_epoll_et(struct nfp_events *ev)
{
	struct epoll_event ee = { .events = EPOLLIN | EPOLLET }, out;
	struct seen s = { 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC), w1, w2, r1, r2, i;
	uint32_t id[5];
	char diag[128];

	epoll_ctl(ep, EPOLL_CTL_ADD, nfp_events_fd(ev), &ee);
	for (i = 0; i < 5; i++)
		id[i] = add_flow();
	for (i = 0; i < 5; i++)
		nfp_flow_del(h, id[i]);
	w1 = epoll_wait(ep, &out, 1, 1000);
	r1 = nfp_events_read(ev, record, &s);
	w2 = epoll_wait(ep, &out, 1, 50);
	r2 = nfp_events_read(ev, record, &s);
	snprintf(diag, sizeof(diag), "wake %d, read %d, wake %d, read %d", w1, r1, w2, r2);
	result(w1 == 1 && r1 == 5 && w2 == 0 && r2 == 0,
	       "edge-triggered epoll: one wake-up, all 5 events read, then no wake-up and an empty read",
	       diag);
	close(ep);
}

struct resynced {
	unsigned int exists, others, lookups_ok;
	uint32_t keep[4];
	unsigned int kept;
};

/* A resync's callback that asks the module about each flow on the same
 * handle: the dump is over by the time it runs. */
static int on_resync(const struct nfp_event *e, void *arg)
{
	const struct nfp_flow *f = nfp_event_get_flow(e);
	struct nfp_flow *again = nfp_flow_alloc();
	struct resynced *r = arg;
	uint32_t id = f ? nfp_flow_get_u32(f, NFP_FLOW_ID) : 0;
	unsigned int i;

	if (nfp_event_get_type(e) != NFP_EVENT_EXISTS) {
		r->others++;
	} else {
		r->exists++;
		for (i = 0; i < 4; i++)
			r->kept += id == r->keep[i];
		if (again && nfp_flow_lookup(h, id, again) == 0 &&
		    nfp_flow_get_u32(again, NFP_FLOW_ID) == id)
			r->lookups_ok++;
	}
	nfp_flow_free(again);
	return 0;
}

/*
 * Overflow: -ENOBUFS while stale events are still queued; the resync
 * drops them and reports every flow that exists, once.
 */
static void check_overflow(struct nfp_events *ev)
{
	int small = 1, ret, i, first;
	struct resynced r = { 0 };
	struct seen s = { 0 };
	char diag[192];
	uint32_t id;

	for (i = 0; i < 4; i++)
		r.keep[i] = add_flow();
	/* The smallest buffer the kernel allows. */
	setsockopt(nfp_events_fd(ev), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (i = 0; i < 400; i++) {
		id = add_flow();
		nfp_flow_del(h, id);
	}
	first = nfp_events_read(ev, record, &s);
	ret = nfp_events_resync(ev, h, on_resync, &r);
	snprintf(diag, sizeof(diag),
		 "first read %d (%u events), resync %d: exists %u (%u ours), other events %u, lookups %u",
		 first, s.n, ret, r.exists, r.kept, r.others, r.lookups_ok);
	result(first == -ENOBUFS,
	       "400 events into a tiny buffer: nfp_events_read reports -ENOBUFS", diag);
	result(ret == 4 && r.exists == 4 && r.kept == 4 && r.others == 0,
	       "nfp_events_resync drops the stale events and reports each flow once, as NFP_EVENT_EXISTS",
	       diag);
	result(r.lookups_ok == 4, "its callback may use the handle (a lookup per flow)", diag);
	memset(&s, 0, sizeof(s));
	ret = nfp_events_read(ev, record, &s);
	snprintf(diag, sizeof(diag), "read %d", ret);
	result(ret == 0, "after it, nothing stale is read", diag);
	for (i = 0; i < 4; i++)
		nfp_flow_del(h, r.keep[i]);
}

static int count_flow(const struct nfp_flow *f, void *arg)
{
	(void)f;
	++*(int *)arg;
	return 0;
}

/* A match object with only the app tag set, or with a state too. */
static struct nfp_flow *tag_match(uint32_t tag, int state)
{
	struct nfp_flow *m = nfp_flow_alloc();

	if (m && (nfp_flow_set_u32(m, NFP_FLOW_APP_TAG, tag) ||
		  (state && nfp_flow_set_u32(m, NFP_FLOW_STATE, state)))) {
		nfp_flow_free(m);
		m = NULL;
	}
	return m;
}

/*
 * Two programs in one namespace: an events object filtered on its app
 * tag sees only its flows' events, and only its flows in a resync; a
 * dump and a delete select by the tag.
 */
static void check_app_tag(void)
{
	struct nfp_flow *mine = tag_match(42, 0), *bad = tag_match(42, NFP_STATE_PUNCHING);
	struct nfp_flow *ranged = nfp_flow_alloc();
	int range_ret, range_del;
	struct nfp_endpoint range;
	char ep[64];
	uint32_t id[3], keep[4];
	struct resynced r = { 0 };
	struct seen s = { 0 };
	struct nfp_events *ev;
	int ret, i, n = 0, bad_ret, del_none, del_bad;
	char diag[160];

	if (!mine || !bad || !ranged || nfp_events_open(&ev) < 0) {
		result(0, "app tag: a second events object", "cannot open");
		return;
	}
	bad_ret = nfp_events_set_filter(ev, bad);
	snprintf(ep, sizeof(ep), "%s:%u-%u", laddr, port, port + 9);
	if (nfp_endpoint_parse(ep, &range, 1) ||
	    nfp_flow_set_endpoint(ranged, NFP_FLOW_LOCAL, &range))
		fprintf(stderr, "events-check: cannot make a range %s\n", ep);
	range_ret = nfp_events_set_filter(ev, ranged);
	range_del = nfp_flow_del_match(h, ranged);
	ret = nfp_events_set_filter(ev, mine);
	snprintf(diag, sizeof(diag), "with a state %d, a port range %d (delete %d), the tag alone %d",
		 bad_ret, range_ret, range_del, ret);
	result(bad_ret == -EINVAL && range_ret == -EINVAL && range_del == -EINVAL && ret == 0,
	       "nfp_events_set_filter takes a local endpoint (no range) and an app tag, nothing else",
	       diag);

	id[0] = add_tagged(43);
	id[1] = add_tagged(42);
	id[2] = add_tagged(0);
	for (i = 0; i < 3; i++)
		nfp_flow_del(h, id[i]);
	ret = nfp_events_read(ev, record, &s);
	snprintf(diag, sizeof(diag), "read %d, first id %u (tag 42's: %u)", ret,
		 s.n ? s.ids[0] : 0, id[1]);
	result(ret == 1 && s.n == 1 && s.ids[0] == id[1],
	       "filtered on tag 42: of three deletions (tags 43, 42, none) only tag 42's event is read",
	       diag);

	keep[0] = add_tagged(42);
	keep[1] = add_tagged(0);
	keep[2] = add_tagged(42);
	keep[3] = add_tagged(7);
	r.keep[0] = keep[0];
	r.keep[1] = keep[2];
	ret = nfp_events_resync(ev, h, on_resync, &r);
	snprintf(diag, sizeof(diag), "resync %d: exists %u (%u tag 42's)", ret, r.exists, r.kept);
	result(ret == 2 && r.exists == 2 && r.kept == 2,
	       "its resync reports the two tag-42 flows of four", diag);

	ret = nfp_flow_dump(h, mine, count_flow, &n);
	snprintf(diag, sizeof(diag), "dump %d, counted %d", ret, n);
	result(ret == 2 && n == 2, "nfp_flow_dump with a tag match: 2 flows", diag);
	bad_ret = nfp_flow_dump(h, bad, count_flow, &n);
	del_bad = nfp_flow_del_match(h, bad);
	del_none = nfp_flow_del_match(h, NULL);
	ret = nfp_flow_del_match(h, mine);
	n = 0;
	nfp_flow_dump(h, NULL, count_flow, &n);
	snprintf(diag, sizeof(diag), "dump with a state %d; del_match: with a state %d, NULL %d, tag %d; %d flows left",
		 bad_ret, del_bad, del_none, ret, n);
	result(bad_ret == 2 && del_bad == -EINVAL && del_none == -EINVAL,
	       "a dump also filters on the state; a delete refuses it and an empty match", diag);
	result(ret == 0 && n == 2, "nfp_flow_del_match deletes the two tag-42 flows, not the others",
	       diag);
	ret = nfp_flow_del_match(h, mine);
	snprintf(diag, sizeof(diag), "%d", ret);
	result(ret == -ENOENT, "deleting by a tag no flow has: -ENOENT", diag);
	nfp_flow_del(h, keep[1]);
	nfp_flow_del(h, keep[3]);
	nfp_events_close(ev);
	nfp_flow_free(mine);
	nfp_flow_free(bad);
	nfp_flow_free(ranged);
}

/*
 * Mapping queries through the blocking calls, to a server that never
 * answers (TEST-NET-1): a timeout is a result (0, error ETIMEDOUT).
 */
static void check_mapping(void)
{
	struct nfp_mapping *m = nfp_mapping_alloc(), *q = nfp_mapping_alloc();
	struct nfp_endpoint local, server;
	char at[64];
	int ret;

	snprintf(at, sizeof(at), "%s:%u", laddr, port + 900);
	if (!m || !q || nfp_endpoint_parse(at, &local, 0) ||
	    nfp_endpoint_parse("192.0.2.9:3478", &server, 0)) {
		result(0, "mapping: objects and endpoints", NULL);
		goto out;
	}
	ret = nfp_mapping_request(h, q);
	result(ret == -EINVAL && strstr(nfp_strerror(h), "local and a server"),
	       "mapping: a query without endpoints is refused, with a reason", nfp_strerror(h));

	nfp_mapping_set_endpoint(m, NFP_MAPPING_LOCAL, &local);
	nfp_mapping_set_endpoint(m, NFP_MAPPING_SERVER, &server);
	nfp_mapping_set_u32(m, NFP_MAPPING_TIMEOUT_MS, 200);
	nfp_mapping_set_u32(m, NFP_MAPPING_MARK, 0x77);
	ret = nfp_mapping_resolve(h, m);
	result(ret == 0 && nfp_mapping_get_u32(m, NFP_MAPPING_ERROR) == ETIMEDOUT &&
	       nfp_mapping_get_u32(m, NFP_MAPPING_ID) &&
	       nfp_mapping_get_u32(m, NFP_MAPPING_MARK) == 0x77 &&
	       !nfp_mapping_get_endpoint(m, NFP_MAPPING_MAPPED),
	       "mapping: resolve reports the timeout, the query's id and its mark",
	       nfp_strerror(h));
	/* The result's own endpoints as the next query's: read before written. */
	ret = nfp_mapping_query(h, nfp_mapping_get_endpoint(m, NFP_MAPPING_LOCAL),
				nfp_mapping_get_endpoint(m, NFP_MAPPING_SERVER), 200, m);
	result(ret == 0 && nfp_mapping_get_u32(m, NFP_MAPPING_ERROR) == ETIMEDOUT &&
	       nfp_mapping_get_u32(m, NFP_MAPPING_MARK) == 0 &&
	       nfp_mapping_get_endpoint(m, NFP_MAPPING_LOCAL) &&
	       nfp_mapping_get_endpoint(m, NFP_MAPPING_LOCAL)->port == port + 900,
	       "mapping: query again from a result's own endpoints, into that result",
	       nfp_strerror(h));
out:
	nfp_mapping_free(m);
	nfp_mapping_free(q);
}

int main(int argc, char **argv)
{
	struct nfp_events *ev;
	int ret;

	if (argc != 3) {
		fputs("usage: events-check LOCAL_ADDR FIRST_PORT\n", stderr);
		return 2;
	}
	laddr = argv[1];
	port = (unsigned int)strtoul(argv[2], NULL, 10);
	ret = nfp_events_open(&ev);
	if (ret == 0)
		ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "events-check: %s\n", strerror(-ret));
		return 2;
	}
	check_no_block(ev);
	check_refusal(ev);
	check_epoll_et(ev);
	check_overflow(ev);
	check_app_tag();
	check_mapping();
	nfp_events_close(ev);
	nfp_close(h);
	return failed;
}
