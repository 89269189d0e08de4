// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * How far our own NATs reach, for priming (prime.h): a walk towards the
 * server like traceroute's, from a socket of our own, never blocking the
 * event loop. A STUN Binding Request leaves with TTL 1, 2, ... in turn;
 * the router where it dies says so with an ICMP time exceeded, which
 * IP_RECVERR puts on the socket's error queue with the router's address
 * and our request (its transaction id tells a late answer from the
 * current one). The server's own answer ends the walk, as does a hop that
 * is not private. Run with NAT discovery: at start, on network changes
 * and when discovery runs again.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>		/* before linux/errqueue.h, which uses timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cand_filter.h"
#include "prime.h"
#include "punchd.h"
#include "sockaddr.h"
#include "stun.h"

#define HOP_WAIT_MS	500	/* a router that says nothing by then is silent */

static int fd = -1;
static unsigned int ttl;	/* the TTL in flight; 0: no walk */
static enum pd_hop hops[PD_HOPS_MAX];
static uint8_t tid[STUN_TID_LEN];
static uint64_t deadline;
static struct sockaddr_storage to;
static unsigned int result;	/* the priming TTL, 0: none */
static int result_family;
static bool known;		/* result is of this network */

static const char *const hop_names[] = {
	[PD_HOP_PRIVATE] = "private", [PD_HOP_PUBLIC] = "public",
	[PD_HOP_SILENT] = "silent", [PD_HOP_SERVER] = "server",
};

static void walk_stop(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	ttl = 0;
}

static void walk_end(void)
{
	char path[PD_HOPS_MAX * 9] = "";
	unsigned int i;
	size_t len = 0;

	for (i = 0; i < ttl; i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len, "%s%s",
					i ? "," : "", hop_names[hops[i]]);
	result = pd_prime_ttl(hops, ttl);
	result_family = to.ss_family;
	known = true;
	pd_log("hops", "path=%s prime_ttl=%u", path, result);
	walk_stop();
	pd_hops_walked();
}

static int set_ttl(unsigned int t)
{
	int v = (int)t;

	if (to.ss_family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v));
	return setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof(v));
}

static void hop_next(void)
{
	struct stun_builder b;
	uint8_t buf[64];
	int len;

	if (ttl == PD_HOPS_MAX) {
		walk_end();
		return;
	}
	ttl++;
	if (set_ttl(ttl) || sig_random(tid, sizeof(tid))) {
		pd_log("hops", "error=\"%s\"", strerror(errno));
		hops[ttl - 1] = PD_HOP_SILENT;
		walk_end();
		return;
	}
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	/* A send that fails (no route yet) counts as a silent hop. */
	if (len > 0)
		(void)sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&to,
			     sa_len(&to));
	deadline = pd_now_ms() + HOP_WAIT_MS;
}

static void hop_seen(enum pd_hop h)
{
	hops[ttl - 1] = h;
	if (h == PD_HOP_PRIVATE)
		hop_next();
	else
		walk_end();
}

/* A walk again keeps the last result for the calls made meanwhile. */
void pd_hops_start(void)
{
	int on = 1;

	walk_stop();
	if (!pd_cfg.prime || pd_server_sockaddr(&to, pd_cfg.stun_port) < 0)
		return;
	fd = socket(to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (to.ss_family == AF_INET6 ?
	     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)) :
	     setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)))) {
		pd_log("hops", "error=\"%s\"", strerror(errno));
		walk_stop();
		return;
	}
	pd_mark_socket(fd);
	hop_next();
}

/* Where an ICMP error came from: the server, or a router of which kind. */
static enum pd_hop offender_kind(const struct sockaddr *sa)
{
	struct sockaddr_storage ss;
	struct sig_ep ep = { .family = sa->sa_family, .port = 1 };
	uint8_t server[16];
	bool private;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						    sizeof(struct sockaddr_in));
	sa_get(&ss, ep.addr);
	sa_get(&to, server);
	if (!memcmp(ep.addr, server, sizeof(server)))
		return PD_HOP_SERVER;
	/* Loopback, link-local, unspecified: not a hop beyond any NAT. */
	if (pd_cand_scope(&ep, &private) || private)
		return PD_HOP_PRIVATE;
	return PD_HOP_PUBLIC;
}

/* One message of the error queue: an ICMP error about our request? */
static bool error_input(void)
{
	uint8_t data[64], control[256];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct sock_extended_err *ee = NULL;
	struct cmsghdr *c;
	ssize_t n;

	n = recvmsg(fd, &msg, MSG_ERRQUEUE);
	if (n < 0)
		return false;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR))
			ee = (struct sock_extended_err *)CMSG_DATA(c);
	/*
	 * Our request comes back with the error: is it the current one? A
	 * router that quotes only the UDP header (RFC 792's minimum) leaves
	 * nothing to compare: then it is taken for the current hop's, the one
	 * request in flight (the last hop's, over HOP_WAIT_MS late, is rare).
	 */
	if (!ttl || !ee || (n > 0 && n < STUN_HDR_LEN) ||
	    (n >= STUN_HDR_LEN && memcmp(data + 8, tid, sizeof(tid))))
		return true;
	if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)
		return true;
	if ((ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == ICMP_TIME_EXCEEDED) ||
	    (ee->ee_origin == SO_EE_ORIGIN_ICMP6 && ee->ee_type == ICMP6_TIME_EXCEEDED))
		hop_seen(offender_kind(SO_EE_OFFENDER(ee)));
	else	/* unreachable: the server's host, or a router that stops us */
		hop_seen(offender_kind(SO_EE_OFFENDER(ee)) == PD_HOP_SERVER ?
			 PD_HOP_SERVER : PD_HOP_SILENT);
	return true;
}

void pd_hops_input(void)
{
	uint8_t buf[512];
	struct stun_msg m;
	ssize_t n;

	while (fd >= 0 && error_input())
		;
	while (fd >= 0 && (n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		if (ttl && !stun_parse(&m, buf, (size_t)n) &&
		    m.type == STUN_BINDING_SUCCESS &&
		    !memcmp(m.tid, tid, sizeof(tid)))
			hop_seen(PD_HOP_SERVER);
	}
}

int pd_hops_fd(void)
{
	return fd;
}

void pd_hops_tick(uint64_t now, uint64_t *next)
{
	if (!ttl)
		return;
	if (now >= deadline)
		hop_seen(PD_HOP_SILENT);
	if (ttl && deadline < *next)
		*next = deadline;
}

unsigned int pd_hops_prime_ttl(int family)
{
	return family == result_family ? result : 0;
}

bool pd_hops_walking(void)
{
	return ttl != 0;
}

bool pd_hops_known(void)
{
	return known;
}

/* Stop any walk and forget its result: of a network we may have left. */
void pd_hops_close(void)
{
	walk_stop();
	result = 0;
	known = false;
}
