// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fail-nth-add - make the n-th kernel allocation of FLOW_NEW fail, for
 * every n, and check that a failed request left no flow behind and a
 * successful one left exactly its flow.
 *
 *   fail-nth-add [--batch N] LOCAL PEER SECRET_HEX [MAX]
 *
 * --batch N: N flows (secrets SECRET_HEX with the last byte + i) in one
 * nfp_flow_add_batch() call, which must make all of them or none: after
 * a failure no flow may be left. A batch asks for no ACK, so none can be
 * lost after its flows are made.
 *
 * Uses /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION): N counts
 * every fault-injectable call of this task from the write on, so the
 * faults land in the request's send, its handler and its answers. The
 * caller lets failslab fail allocations that may sleep (ignore-gfp-wait
 * N). Starts at n = 1 and stops at the first n the request no longer
 * reaches (it succeeded with no fault injected), or at MAX (default 500).
 *
 * When the kernel answered with the flow and only the ACK after it was
 * lost (netlink_ack() could not allocate; the socket reports ENOBUFS
 * before the reply still queued on it), the request failed for the
 * library but the flow rightly exists: counted as "acklost", not an
 * orphan.
 *
 * Prints "tried N injected I failed F acklost A orphans O lost L
 * unexpected U end yes|no" (end: a request got past its last
 * allocation) and exits 1 when a failed request left its flow (orphan),
 * a reported flow is missing (lost) or a request failed with no fault
 * injected (unexpected); 2 when it cannot run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nfpunch.h>

#include "libnfpunch.h"
#include "../../helper/lib/internal.h"

#define BATCH_CAP	16

static int fail_nth_fd = -1;

static int fail_nth_set(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fail_nth_fd, buf, len, 0) == len ? 0 : -1;
}

/* 0 when the fault was injected, the countdown left otherwise. */
static long fail_nth_left(void)
{
	char buf[16] = "";
	ssize_t n = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* Is the kernel's answer to FLOW_NEW queued on the failed socket? */
static bool reply_queued(struct nfp_handle *h)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd = nl_socket_get_fd(h->sk);
	bool found = false;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int len = (int)n;

		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			struct genlmsghdr *g = NLMSG_DATA(nlh);

			if (nlh->nlmsg_type == h->family &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*g)) &&
			    (g->cmd == NFPUNCH_CMD_FLOW_NEW ||
			     g->cmd == NFPUNCH_CMD_FLOW_NEW_BATCH))
				found = true;
		}
	}
	return found;
}

static struct nfp_handle *reopen(struct nfp_handle *h)
{
	int ret;

	/* A failed request may leave the socket out of step: a new one. */
	nfp_close(h);
	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "fail-nth-add: %s\n", strerror(-ret));
		exit(2);
	}
	return h;
}

int main(int argc, char **argv)
{
	unsigned int n, max = 500, injected = 0, failed = 0, acklost = 0;
	unsigned int orphans = 0, lost = 0, unexpected = 0;
	struct nfp_flow *f = nfp_flow_alloc(), *out = NULL;
	struct nfp_endpoint local, peer;
	uint8_t secret[NFP_SECRET_MAX];
	static struct nfp_flow *batch[BATCH_CAP];
	static uint32_t ids[BATCH_CAP];
	unsigned long nbatch = 0, i;
	struct nfp_handle *h;
	bool end = false;
	uint32_t id;
	int ret;

	if (argc > 2 && strcmp(argv[1], "--batch") == 0) {
		nbatch = strtoul(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc < 4 || argc > 5 || nbatch > BATCH_CAP) {
		fputs("usage: fail-nth-add [--batch N] LOCAL PEER SECRET_HEX [MAX]\n",
		      stderr);
		return 2;
	}
	if (argc == 5)
		max = strtoul(argv[4], NULL, 10);
	if (!f || nfp_endpoint_parse(argv[1], &local, 0) ||
	    nfp_endpoint_parse(argv[2], &peer, 1) ||
	    (ret = nfp_secret_parse(argv[3], secret, sizeof(secret))) < 0) {
		fputs("fail-nth-add: bad endpoint or secret\n", stderr);
		return 2;
	}
	nfp_flow_set_u32(f, NFP_FLOW_ROLE, NFP_ROLE_CONTROLLING);
	nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local);
	nfp_flow_add_peer(f, &peer);
	nfp_flow_set_secret(f, secret, ret);
	for (i = 0; i < nbatch; i++) {
		batch[i] = nfp_flow_clone(f);
		secret[ret - 1]++;
		if (!batch[i] || nfp_flow_set_secret(batch[i], secret, ret) < 0)
			return 2;
	}
	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "fail-nth-add: %s\n", strerror(-ret));
		return 2;
	}
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_nth_fd < 0) {
		perror("fail-nth-add: /proc/thread-self/fail-nth");
		return 2;
	}

	for (n = 1; n <= max; n++) {
		char why[256];
		bool hit, answered;

		/* A fresh one (id 0), allocated before faults are injected. */
		nfp_flow_free(out);
		out = nfp_flow_alloc();
		if (!out)
			return 2;
		if (fail_nth_set(n)) {
			perror("fail-nth-add: fail-nth");
			return 2;
		}
		memset(ids, 0, sizeof(ids));
		ret = nbatch ? nfp_flow_add_batch(h, batch, nbatch, ids, NULL) :
			       nfp_flow_add(h, f, out);
		hit = fail_nth_left() == 0;
		fail_nth_set(0);	/* nothing below may fail */
		injected += hit;
		if (!nbatch)
			ids[0] = nfp_flow_get_u32(out, NFP_FLOW_ID);
		id = ids[0];
		if (ret == 0) {
			for (i = 0; i < (nbatch ? nbatch : 1); i++) {
				if (nfp_flow_lookup(h, ids[i], out) < 0) {
					lost++;
					printf("n=%u: flow %u was reported made but is not there\n",
					       n, ids[i]);
				} else if (nfp_flow_del(h, ids[i]) < 0) {
					fprintf(stderr, "fail-nth-add: delete: %s\n",
						nfp_strerror(h));
					return 2;
				}
			}
			if (!hit) {
				end = true;	/* past the request's last allocation */
				break;
			}
			continue;
		}

		failed++;
		snprintf(why, sizeof(why), "%s", nfp_strerror(h));
		if (!hit) {
			unexpected++;
			printf("n=%u: failed with no fault injected: %s\n", n, why);
		}
		/* A batch undoes its flows even then: never answered. */
		answered = !nbatch && (id || reply_queued(h));
		h = reopen(h);
		/* A failed request must have changed nothing... */
		if (nfp_flow_del_local(h, &local) < 0)
			continue;
		/* ...unless the kernel's answer came and only its ACK did not. */
		if (answered) {
			acklost++;
			continue;
		}
		orphans++;
		printf("n=%u: the request failed (%s) but its flow exists\n", n, why);
	}
	printf("tried %u injected %u failed %u acklost %u orphans %u lost %u "
	       "unexpected %u end %s\n", n > max ? max : n, injected, failed,
	       acklost, orphans, lost, unexpected, end ? "yes" : "no");
	nfp_close(h);
	nfp_flow_free(f);
	nfp_flow_free(out);
	for (i = 0; i < nbatch; i++)
		nfp_flow_free(batch[i]);
	return orphans || lost || unexpected ? 1 : 0;
}
