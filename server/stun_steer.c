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
 * It is MurmurHash3's finalizer over the keyed address, whose every
 * output bit depends on every input bit: a plain multiply-shift left
 * neighbouring addresses (a /24's clients) on one or two of four
 * workers for about one key in fifty.
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

/* A ^= A >> n, through X. */
#define XORSHIFT(n)						\
	BPF_STMT(BPF_MISC | BPF_TAX, 0),			\
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, n),			\
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0)
/*
 * A = fmix32(A ^ salt) % workers, the key's mul in place of fmix32's
 * second constant; k and workers are rdv_stun_steer()'s.
 */
#define MIX_AND_PICK						\
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, k->salt),		\
	XORSHIFT(16),						\
	BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x85ebca6b),	\
	XORSHIFT(13),						\
	BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, k->mul),		\
	XORSHIFT(16),						\
	BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, workers),		\
	BPF_STMT(BPF_RET | BPF_A, 0)

int rdv_stun_steer(int fd, int family, unsigned int workers,
		   const struct rdv_steer_key *k)
{
	/* Offsets from the network header: the source address. */
	struct sock_filter v4[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		MIX_AND_PICK,
	};
	struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 8),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
		MIX_AND_PICK,
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
