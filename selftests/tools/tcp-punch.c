// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp-punch - TCP hole punching from the command line, for the tests
 * (helper/common/tcp_punch.h does the work).
 *
 *   tcp-punch mapping LOCAL SERVER [TIMEOUT_MS]
 *   tcp-punch connect LOCAL PEER SECRET-HEX controlling|controlled
 *             [prime TTL | kprime TTL] [timeout MS] [say TEXT] [at EPOCH_MS]
 *
 * mapping prints "mapped ADDR:PORT". connect punches, proves the secret,
 * prints "ok ms=N attempts=N refused=N local=EP remote=EP", then sends
 * TEXT (default: the role) as one line and prints "heard LINE" for the
 * peer's. A failure prints "fail error=..." and exits 1. "at" holds the
 * first SYN until that wall-clock time (ms since the epoch), so that a
 * test can start two sides together, or a set time apart, whatever
 * their processes took to start. "prime" shortens the SYNs with
 * IP_TTL (userspace alone); "kprime" has the module do it (a TCP prime,
 * libnfpunch's nfp_tcp_prime_start()) for the whole timeout, and ends
 * the prime when the punch is over.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libnfpunch.h"
#include "sig.h"
#include "sig_auth.h"
#include "sockaddr.h"
#include "tcp_punch.h"

static int endpoint(const char *s, struct sockaddr_storage *ss)
{
	struct sig_ep ep;

	if (sig_ep_parse(s, strlen(s), &ep)) {
		fprintf(stderr, "tcp-punch: bad endpoint '%s'\n", s);
		exit(2);
	}
	sa_set(ss, ep.family, ep.addr, ep.port);
	return 0;
}

static const char *ep_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	struct sig_ep ep = { .family = ss->ss_family };

	ep.port = sa_get(ss, ep.addr);
	return sig_ep_format(&ep, buf, len);
}

/* The module's prime of local -> peer; exits on failure. */
static uint32_t kprime(struct nfp_handle **h, const struct tcp_punch *p,
		       int ttl)
{
	struct nfp_endpoint local = { .family = p->local.ss_family };
	struct nfp_endpoint peer = { .family = p->peer.ss_family };
	uint32_t id;
	int time_ms = p->timeout_ms < 30000 ? p->timeout_ms : 30000;

	local.port = sa_get(&p->local, local.addr);
	peer.port = sa_get(&p->peer, peer.addr);
	if (nfp_open(h) < 0 ||
	    nfp_tcp_prime_start(*h, &local, &peer, (unsigned int)ttl,
				(uint32_t)time_ms, &id) < 0) {
		printf("fail error=\"kprime: %s\"\n",
		       *h ? nfp_strerror(*h) : "no module");
		exit(1);
	}
	return id;
}

/* Sleeps until the wall clock reads @ms since the epoch (at once if past). */
static void start_at(long long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr, "usage: tcp-punch mapping LOCAL SERVER [TIMEOUT_MS]\n"
		"       tcp-punch connect LOCAL PEER SECRET-HEX controlling|controlled "
		"[prime TTL] [timeout MS] [say TEXT] [at EPOCH_MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct tcp_punch p = { .timeout_ms = 10000 };
	struct sockaddr_storage server, mapped, a;
	uint8_t secret[SIG_CLIENT_SECRET_MAX];
	struct tcp_punch_result res;
	char e1[SIG_EP_STRLEN], e2[SIG_EP_STRLEN], line[256];
	const char *say = NULL;
	struct nfp_handle *h = NULL;
	uint32_t prime_id = 0;
	int kprime_ttl = 0;
	long long at = 0;
	socklen_t alen = sizeof(a);
	int fd, len, i;
	ssize_t n;

	if (argc >= 4 && !strcmp(argv[1], "mapping")) {
		endpoint(argv[2], &p.local);
		endpoint(argv[3], &server);
		if (tcp_punch_mapping(&p.local, &server, argc > 4 ? atoi(argv[4]) : 3000,
				      &mapped)) {
			printf("fail error=\"%s\"\n", strerror(errno));
			return 1;
		}
		printf("mapped %s\n", ep_str(&mapped, e1, sizeof(e1)));
		return 0;
	}
	if (argc < 6 || strcmp(argv[1], "connect"))
		usage();
	endpoint(argv[2], &p.local);
	endpoint(argv[3], &p.peer);
	len = sig_secret_hex(argv[4], secret);
	if (len < 16)
		usage();
	p.secret = secret;
	p.secret_len = (size_t)len;
	if (strcmp(argv[5], "controlling") && strcmp(argv[5], "controlled"))
		usage();
	p.controlling = !strcmp(argv[5], "controlling");
	for (i = 6; i < argc; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "prime"))
			p.prime_ttl = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "kprime"))
			kprime_ttl = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "timeout"))
			p.timeout_ms = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "say"))
			say = argv[i + 1];
		else if (!strcmp(argv[i], "at"))
			at = atoll(argv[i + 1]);
		else
			usage();
	}
	if (at > 0)
		start_at(at);
	if (kprime_ttl)
		prime_id = kprime(&h, &p, kprime_ttl);
	fd = tcp_punch_connect(&p, &res);
	if (prime_id) {
		nfp_tcp_prime_stop(h, prime_id);
		nfp_close(h);
	}
	if (fd < 0) {
		printf("fail error=\"%s\" attempts=%u refused=%u\n", strerror(errno),
		       res.attempts, res.refused);
		return 1;
	}
	getpeername(fd, (struct sockaddr *)&a, &alen);
	printf("ok ms=%d attempts=%u refused=%u local=%s remote=%s\n",
	       res.ms, res.attempts, res.refused, ep_str(&p.local, e1, sizeof(e1)),
	       ep_str(&a, e2, sizeof(e2)));
	fflush(stdout);
	snprintf(line, sizeof(line), "%s\n", say ? say : argv[5]);
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0)
		return 1;
	n = read(fd, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf("heard %s\n", line);
	close(fd);
	return 0;
}
