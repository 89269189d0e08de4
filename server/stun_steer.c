// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which STUN worker takes a datagram. The workers' sockets share each
 * STUN address through SO_REUSEPORT, whose own choice hashes the whole
 * 4-tuple: a flood from one address over many source ports would reach
 * every worker, and each worker's per-source limit (--stun-rate) would
 * let N times the rate through. A classic BPF program on the group
 * chooses by the source address alone (IPv6: its /64, the unit of the
 * limit), so one source always meets the same worker and the same bucket.
 * The hash is keyed per process: sources that all meet one worker (and
 * crowd out a victim whose worker it is) cannot be computed offline.
 */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sig_auth.h"
#include "stun_steer.h"

int rdv_stun_steer_key(struct rdv_steer_key *k)
{
	if (sig_random(k, sizeof(*k)))
		return -1;
	k->mul |= 1;
	return 0;
}

int rdv_stun_steer(int fd, int family, unsigned int workers,
		   const struct rdv_steer_key *k)
{
	/* Offsets from the network header: the source address. */
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, k->salt),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, k->mul),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 8),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, k->salt),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, k->mul),
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = {
		.len = family == AF_INET6 ? sizeof(v6) / sizeof(v6[0]) :
					    sizeof(v4) / sizeof(v4[0]),
		.filter = family == AF_INET6 ? v6 : v4,
	};

	if (!workers) {
		errno = EINVAL;
		return -1;
	}
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
			  sizeof(prog));
}
