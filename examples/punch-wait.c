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
	int state;
	struct nfp_endpoint remote;
};

static int on_event(const struct nfp_event *e, void *arg)
{
	struct wait *w = arg;

	if (e->type != NFP_EVENT_MAPPING && e->flow.id == w->id) {
		w->state = e->flow.state;
		w->remote = e->flow.remote;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct wait w = { 0 };
	struct nfp_events *ev;
	struct nfp_handle *h;
	struct nfp_flow f, out;
	char buf[NFP_ENDPOINT_STRLEN];
	time_t deadline;
	int ret;

	if (argc < 5 || argc > 6) {
		fputs("Usage: punch-wait LOCAL PEER SECRET_HEX ROLE [SECONDS]\n", stderr);
		return 2;
	}
	memset(&f, 0, sizeof(f));
	f.flags = NFP_FLOW_OWNED;
	f.n_peers = 1;
	if (nfp_endpoint_parse(argv[1], &f.local, 0) ||
	    nfp_endpoint_parse(argv[2], &f.peers[0], 1) ||
	    (ret = nfp_secret_parse(argv[3], f.secret)) < 0 ||
	    (f.role = nfp_role_parse(argv[4])) < 0) {
		fputs("punch-wait: bad endpoint, secret or role\n", stderr);
		return 2;
	}
	f.secret_len = ret;
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
	if (nfp_flow_add(h, &f, &out) < 0) {
		fprintf(stderr, "punch-wait: %s\n", nfp_strerror(h));
		return 1;
	}
	w.id = out.id;
	w.state = out.state;
	printf("flow %u punching from %s\n", out.id,
	       nfp_endpoint_format(&out.local, buf, sizeof(buf)));
	fflush(stdout);

	while (w.state == NFP_STATE_PUNCHING && time(NULL) < deadline) {
		struct pollfd p = { .fd = nfp_events_fd(ev), .events = POLLIN };

		if (poll(&p, 1, 200) > 0) {
			ret = nfp_events_read(ev, on_event, &w);
			if (ret == -ENOBUFS) {	/* events lost: ask directly */
				if (nfp_flow_get(h, w.id, &out) == 0) {
					w.state = out.state;
					w.remote = out.remote;
				}
			} else if (ret < 0) {
				fprintf(stderr, "punch-wait: events: %s\n", strerror(-ret));
				break;
			}
		}
	}
	if (w.state != NFP_STATE_ESTABLISHED) {
		printf("flow %u not established: %s\n", w.id, nfp_state_name(w.state));
		ret = 1;
	} else {
		printf("flow %u established with %s\n", w.id,
		       nfp_endpoint_format(&w.remote, buf, sizeof(buf)));
		ret = 0;
	}
	nfp_events_close(ev);
	nfp_close(h);
	return ret;
}
