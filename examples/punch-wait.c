// SPDX-License-Identifier: MIT
/*
 * punch-wait - the smallest useful libnfpunch program: open a flow and
 * wait until the module has punched through to the peer.
 *
 *   punch-wait LOCAL PEER SECRET_HEX ROLE [SECONDS]
 *
 * ROLE is controlling or controlled; the peer holds the other one.
 * Prints the endpoint that answered and exits 0 once the flow is
 * ESTABLISHED; exits 1 when it dies or SECONDS (default 15) pass. The
 * flow is owned by this program: it goes away when the program ends, so
 * a real application keeps its handle open while it uses the path.
 *
 * Build against an installed libnfpunch:
 *   cc -o punch-wait punch-wait.c $(pkg-config --cflags --libs libnfpunch)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnfpunch.h>

struct wait {
	uint32_t id;
	uint32_t state;
	struct nfp_endpoint remote;
};

/* Flow events and, after lost events, the flows a resync found. */
static int on_event(const struct nfp_event *e, void *arg)
{
	const struct nfp_flow *f = nfp_event_get_flow(e);
	const struct nfp_endpoint *remote;
	struct wait *w = arg;

	if (!f || nfp_flow_get_u32(f, NFP_FLOW_ID) != w->id)
		return 0;
	w->state = nfp_flow_get_u32(f, NFP_FLOW_STATE);
	remote = nfp_flow_get_endpoint(f, NFP_FLOW_REMOTE);
	if (remote)
		w->remote = *remote;
	return 0;
}

/* The flow this program asks for, owned: it dies with the handle. */
static struct nfp_flow *make_flow(char **argv)
{
	struct nfp_flow *f = nfp_flow_alloc();
	uint8_t secret[NFP_SECRET_MAX];
	struct nfp_endpoint local, peer;
	int len, role;

	if (!f || nfp_endpoint_parse(argv[1], &local, 0) ||
	    nfp_endpoint_parse(argv[2], &peer, 1) ||
	    (len = nfp_secret_parse(argv[3], secret, sizeof(secret))) < 0 ||
	    (role = nfp_role_parse(argv[4])) < 0 ||
	    nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local) ||
	    nfp_flow_add_peer(f, &peer) ||
	    nfp_flow_set_secret(f, secret, (size_t)len) ||
	    nfp_flow_set_u32(f, NFP_FLOW_ROLE, (uint32_t)role) ||
	    nfp_flow_set_u32(f, NFP_FLOW_FLAGS, NFP_FLOW_F_OWNED)) {
		nfp_flow_free(f);
		return NULL;
	}
	return f;
}

int main(int argc, char **argv)
{
	struct nfp_flow *f, *out;
	struct wait w = { 0 };
	struct nfp_events *ev;
	struct nfp_handle *h;
	char buf[NFP_ENDPOINT_STRLEN];
	time_t deadline;
	int ret;

	if (argc < 5 || argc > 6) {
		fputs("Usage: punch-wait LOCAL PEER SECRET_HEX ROLE [SECONDS]\n", stderr);
		return 2;
	}
	f = make_flow(argv);
	out = nfp_flow_alloc();
	if (!f || !out) {
		fputs("punch-wait: bad endpoint, secret or role\n", stderr);
		return 2;
	}
	deadline = time(NULL) + (argc == 6 ? atoi(argv[5]) : 15);

	/* Subscribe first, so the ESTABLISHED event cannot slip past. */
	ret = nfp_events_open(&ev);
	if (ret < 0) {
		fprintf(stderr, "punch-wait: events: %s\n", strerror(-ret));
		return 1;
	}
	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "punch-wait: %s\n", strerror(-ret));
		return 1;
	}
	if (nfp_flow_add(h, f, out) < 0) {
		fprintf(stderr, "punch-wait: %s\n", nfp_strerror(h));
		return 1;
	}
	w.id = nfp_flow_get_u32(out, NFP_FLOW_ID);
	w.state = nfp_flow_get_u32(out, NFP_FLOW_STATE);
	printf("flow %u punching from %s\n", w.id,
	       nfp_endpoint_format(nfp_flow_get_endpoint(out, NFP_FLOW_LOCAL),
				   buf, sizeof(buf)));
	fflush(stdout);

	while (w.state == NFP_STATE_PUNCHING && time(NULL) < deadline) {
		struct pollfd p = { .fd = nfp_events_fd(ev), .events = POLLIN };

		if (poll(&p, 1, 200) <= 0)
			continue;
		/* Never blocks: it reads what is queued. */
		ret = nfp_events_read(ev, on_event, &w);
		if (ret == -ENOBUFS)	/* events lost: ask for the flows */
			ret = nfp_events_resync(ev, h, on_event, &w);
		if (ret < 0) {
			fprintf(stderr, "punch-wait: events: %s\n", strerror(-ret));
			break;
		}
	}
	if (w.state != NFP_STATE_ESTABLISHED) {
		printf("flow %u not established: %s\n", w.id, nfp_state_name((int)w.state));
		ret = 1;
	} else {
		printf("flow %u established with %s\n", w.id,
		       nfp_endpoint_format(&w.remote, buf, sizeof(buf)));
		ret = 0;
	}
	nfp_flow_free(f);
	nfp_flow_free(out);
	nfp_events_close(ev);
	nfp_close(h);
	return ret;
}
