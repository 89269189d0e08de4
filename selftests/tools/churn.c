// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * churn - hammer the flow table from one process, for concurrency tests.
 *
 *   churn add-del LOCAL_ADDR FIRST_PORT SECONDS
 *   churn dump SECONDS
 *   churn dump-raw SECONDS
 *
 * add-del adds a flow on FIRST_PORT + i % 64, reads it back and deletes
 * it, over and over. dump dumps the table over and over and checks each
 * complete dump lists every id once; an interrupted dump (-EINTR: the
 * table changed under it) is counted and retried, as callers must.
 * Prints "ops=N errors=N intr=N" and exits 1 when any operation failed.
 *
 * dump-raw reads dumps itself, through a 4 KiB buffer, and counts where
 * NLM_F_DUMP_INTR shows: "dumps=N intr_msgs=N intr_done=N". The kernel
 * must flag the first flow message filled after a change, not only the
 * final NLMSG_DONE that the netlink core flags by itself.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nfpunch.h>
#include <sys/socket.h>

#include "../../helper/lib/internal.h"

#define MAX_IDS 65536

static time_t deadline;

static int running(void)
{
	return time(NULL) < deadline;
}

static int add_del(struct nfp_handle *h, const char *addr, unsigned int first)
{
	struct nfp_flow *f = nfp_flow_alloc(), *out = nfp_flow_alloc();
	unsigned long ops = 0, errors = 0, i;
	struct nfp_endpoint local, peer;
	uint8_t secret[16] = { 0 };
	char ep[64];

	if (!f || !out)
		return 2;
	nfp_endpoint_parse("192.0.2.77:9", &peer, 0);
	nfp_flow_add_peer(f, &peer);
	nfp_flow_set_u32(f, NFP_FLOW_ROLE, NFP_ROLE_CONTROLLING);
	nfp_flow_set_u32(f, NFP_FLOW_FLAGS, NFP_FLOW_F_PASSIVE);
	for (i = 0; running(); i++) {
		snprintf(ep, sizeof(ep), "%s:%lu", addr, first + i % 64);
		if (nfp_endpoint_parse(ep, &local, 0)) {
			fprintf(stderr, "churn: bad address %s\n", ep);
			return 2;
		}
		nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local);
		memcpy(secret, &i, sizeof(i));
		nfp_flow_set_secret(f, secret, sizeof(secret));
		if (nfp_flow_add(h, f, out) < 0 ||
		    nfp_flow_lookup(h, nfp_flow_get_u32(out, NFP_FLOW_ID), out) < 0 ||
		    nfp_flow_del(h, nfp_flow_get_u32(out, NFP_FLOW_ID)) < 0) {
			fprintf(stderr, "churn: %s\n", nfp_strerror(h));
			errors++;
			continue;
		}
		ops++;
	}
	nfp_flow_free(f);
	nfp_flow_free(out);
	printf("ops=%lu errors=%lu intr=0\n", ops, errors);
	return errors ? 1 : 0;
}

struct seen {
	unsigned char *bits;
	int dup;
};

static int mark(const struct nfp_flow *f, void *arg)
{
	struct seen *s = arg;
	unsigned int id = nfp_flow_get_u32(f, NFP_FLOW_ID) % (MAX_IDS * 8);

	if (s->bits[id / 8] & (1u << id % 8))
		s->dup = 1;
	s->bits[id / 8] |= 1u << id % 8;
	return 0;
}

static int dump(struct nfp_handle *h)
{
	unsigned long ops = 0, errors = 0, intr = 0;
	struct seen s = { .bits = malloc(MAX_IDS) };

	if (!s.bits)
		return 1;
	while (running()) {
		int ret;

		memset(s.bits, 0, MAX_IDS);
		s.dup = 0;
		ret = nfp_flow_dump(h, NULL, mark, &s);
		if (ret == -EINTR) {
			intr++;
			continue;
		}
		if (ret < 0 || s.dup) {
			fprintf(stderr, "churn: dump: %s\n",
				s.dup ? "an id was listed twice" : nfp_strerror(h));
			errors++;
			continue;
		}
		ops++;
	}
	free(s.bits);
	printf("ops=%lu errors=%lu intr=%lu\n", ops, errors, intr);
	return errors ? 1 : 0;
}

static int dump_raw(struct nfp_handle *h)
{
	static uint8_t buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	unsigned long dumps = 0, intr_msgs = 0, intr_done = 0, errors = 0;
	int fd = nl_socket_get_fd(h->sk);
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
	} req = {
		.n = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = (uint16_t)h->family,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.g = { .cmd = NFPUNCH_CMD_FLOW_GET, .version = NFPUNCH_GENL_VERSION },
	};
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	int n, done;

	while (running()) {
		req.n.nlmsg_seq++;
		if (send(fd, &req, sizeof(req), 0) < 0)
			return 1;
		for (done = 0; !done;) {
			if (poll(&p, 1, 2000) <= 0 ||
			    (n = (int)recv(fd, buf, sizeof(buf), 0)) < 0) {
				errors++;
				break;
			}
			for (nlh = (void *)buf; NLMSG_OK(nlh, (unsigned int)n);
			     nlh = NLMSG_NEXT(nlh, n)) {
				if (nlh->nlmsg_type == NLMSG_DONE ||
				    nlh->nlmsg_type == NLMSG_ERROR) {
					intr_done += !!(nlh->nlmsg_flags & NLM_F_DUMP_INTR);
					errors += nlh->nlmsg_type == NLMSG_ERROR;
					done = 1;
					break;
				}
				intr_msgs += !!(nlh->nlmsg_flags & NLM_F_DUMP_INTR);
			}
		}
		dumps++;
	}
	printf("dumps=%lu intr_msgs=%lu intr_done=%lu errors=%lu\n", dumps,
	       intr_msgs, intr_done, errors);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct nfp_handle *h;
	int ret;

	if (argc == 5 && strcmp(argv[1], "add-del") == 0)
		deadline = time(NULL) + atoi(argv[4]);
	else if (argc == 3 && (strcmp(argv[1], "dump") == 0 ||
				strcmp(argv[1], "dump-raw") == 0))
		deadline = time(NULL) + atoi(argv[2]);
	else {
		fputs("Usage: churn add-del LOCAL_ADDR FIRST_PORT SECONDS\n"
		      "       churn dump SECONDS\n"
		      "       churn dump-raw SECONDS\n", stderr);
		return 2;
	}
	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "churn: %s\n", strerror(-ret));
		return 1;
	}
	if (argc == 5)
		ret = add_del(h, argv[2], atoi(argv[3]));
	else if (strcmp(argv[1], "dump") == 0)
		ret = dump(h);
	else
		ret = dump_raw(h);
	nfp_close(h);
	return ret;
}
