// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * genl-send - send one hand-made nfpunch request and print the answer.
 *
 *   genl-send [-r RESERVED] [-v VERSION] [-f NLMSG_FLAGS] CMD [HEX]
 *
 * HEX is the raw attribute payload, so tests can send what no well-behaved
 * client would: wrong types, bad lengths, unknown attributes. Prints one
 * line per message received: "reply CMD", or "error ERRNO MESSAGE" where
 * ERRNO is 0 for a plain ack; exits 0 when an answer arrived.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nfpunch.h>
#include <netlink/genl/ctrl.h>
#include <sys/socket.h>

#include "../../helper/lib/internal.h"
#include "../../helper/common/hex.h"

int main(int argc, char **argv)
{
	unsigned int reserved = 0, version = NFPUNCH_GENL_VERSION, flags = NLM_F_ACK;
	char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nfp_handle *h;
	struct nlmsghdr *nlh = (void *)buf;
	struct genlmsghdr *g;
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	const char *hex = "";
	int c, fd, ret, n;

	while ((c = getopt(argc, argv, "r:v:f:")) != -1) {
		switch (c) {
		case 'r': reserved = strtoul(optarg, NULL, 0); break;
		case 'v': version = strtoul(optarg, NULL, 0); break;
		case 'f': flags = strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: genl-send [-r N] [-v N] [-f FLAGS] CMD [HEX]\n");
		return 2;
	}
	if (optind + 1 < argc)
		hex = argv[optind + 1];
	n = hex_decode(hex, (uint8_t *)buf + len, sizeof(buf) - len);
	if (n < 0) {
		fprintf(stderr, "genl-send: bad hex payload\n");
		return 2;
	}
	len += n;

	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "genl-send: %s\n", strerror(-ret));
		return 1;
	}
	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_len = len;
	nlh->nlmsg_type = h->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = 1;
	g = NLMSG_DATA(nlh);
	g->cmd = strtoul(argv[optind], NULL, 0);
	g->version = version;
	g->reserved = reserved;

	fd = nl_socket_get_fd(h->sk);
	if (send(fd, buf, len, 0) < 0) {
		perror("genl-send: send");
		return 1;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			perror("genl-send: recv");
			return 1;
		}
		for (nlh = (void *)buf; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);
				char msg[256];

				nfp_extack_message(e, msg, sizeof(msg));
				printf("error %d %s\n", -e->error, msg);
				nfp_close(h);
				return 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				printf("done\n");
				nfp_close(h);
				return 0;
			}
			g = NLMSG_DATA(nlh);
			printf("reply %u\n", g->cmd);
		}
	}
}
