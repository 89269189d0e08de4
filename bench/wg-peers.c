// SPDX-License-Identifier: GPL-2.0
/*
 * wg-peers - the far side of a WireGuard hub with many peers:
 * N peers in one process, each one a rendezvous client and a UDP port, as
 * a public host running punchd and the module would look to the hub.
 *
 *   wg-peers --server ADDR:PORT --secret HEX --peers N --bind ADDR
 *            --port-base P [--ca FILE --tls-name NAME] [--prefix ID]
 *            [--keepalive S] [--ramp N]
 *
 * Peer i registers as ID<i> (the one secret for all) and, when called,
 * answers the OFFER with ADDR:P+i. On that port it answers the hub's
 * authenticated Binding Requests as the module does (the response keyed
 * for the hub's direction), and from then on sends its own request every
 * --keepalive seconds (25), as the module's keepalive of an idle path
 * would. Anything else on the port is the hub's WireGuard (its handshake
 * initiations), counted and left unanswered. Each client pings the
 * server every 30 s, as punchd does. Runs until SIGTERM; prints
 * a line of counters every second:
 *   t=S registered=N offers=N keyed=N answered=N peers_answered=N
 *   requests=N acks=N wg=N peers_wg=N bad=N dropped=N
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hex.h"
#include "punch_keys.h"
#include "sig_clients.h"
#include "sig_tls.h"
#include "stun.h"
#include "stun_hmac.h"

#define USERNAME_PREFIX	"nfpunch:"
#define USERNAME_LEN	(sizeof(USERNAME_PREFIX) - 1 + 2 * PUNCH_TAG_LEN)

struct peer {
	struct sc_client sc;		/* first: a pointer to it is one to us */
	int udp;
	bool keyed;
	struct punch_dir hub;		/* the hub's requests, our answers */
	struct punch_dir ours;		/* our requests, its answers */
	char hub_user[USERNAME_LEN];
	struct sockaddr_in hub_at;	/* where its last request came from */
	double next_request;		/* 0: none yet */
	double next_ping;		/* the server drops a silent client */
	bool answered, wg_seen;
};

static struct peer *peers;
static unsigned int n_peers, ramp = 64;
static struct sockaddr_in server, bind_at;
static uint16_t port_base;
static const char *prefix = "p";
static double keepalive_s = 25;
static volatile sig_atomic_t stop;
static struct {
	unsigned int registered, offers, keyed, peers_answered, peers_wg, dropped;
	unsigned long answered, requests, acks, wg, bad;
} st;

/* As punchd: a PING every 30 s keeps the registration (idle-timeout 90). */
#define PING_S	30

static void on_registered(struct sc_client *sc, double now)
{
	((struct peer *)sc)->next_ping = now + PING_S * (double)random() / RAND_MAX;
	st.registered++;
}

static void on_dropped(struct sc_client *sc, const char *why)
{
	if (sc->st == SC_READY)
		st.registered--;
	if (++st.dropped <= 10)
		fprintf(stderr, "wg-peers: %s dropped: %s\n", sc->id, why);
}

static void hex_tag(char *out, const uint8_t *tag)
{
	memcpy(out, USERNAME_PREFIX, sizeof(USERNAME_PREFIX) - 1);
	hex_encode(out + sizeof(USERNAME_PREFIX) - 1, tag, PUNCH_TAG_LEN);
}

/* Called: keys for this session, and our port as the one candidate. */
static void on_message(struct sc_client *sc, const struct sig_msg *m, double now)
{
	struct peer *p = (struct peer *)sc;
	struct sig_ep cand = { .family = AF_INET };
	char user[USERNAME_LEN + 1];
	struct sig_msg r;

	(void)now;
	if (m->type != SIG_OFFER)
		return;
	st.offers++;
	if (punch_dir_derive(&p->hub, m->secret, SIG_SECRET_LEN,
			     PUNCH_ROLE_CONTROLLING, stun_hmac_openssl, NULL) ||
	    punch_dir_derive(&p->ours, m->secret, SIG_SECRET_LEN,
			     PUNCH_ROLE_CONTROLLED, stun_hmac_openssl, NULL)) {
		sc_drop(sc, "key derivation");
		return;
	}
	hex_tag(user, p->hub.tag);
	memcpy(p->hub_user, user, USERNAME_LEN);
	st.keyed += !p->keyed;
	p->keyed = true;
	p->next_request = 0;
	sig_init(&r, SIG_ANSWER);
	memcpy(r.sid, m->sid, SIG_SID_LEN);
	memcpy(cand.addr, &bind_at.sin_addr, 4);
	cand.port = (uint16_t)(port_base + (p - peers));
	sig_add_cand(&r, &cand);
	r.has |= SIG_K_SID;
	sc_send(sc, &r);
}

static const struct sc_ops peer_ops = {
	.registered = on_registered,
	.message = on_message,
	.dropped = on_dropped,
};

static void send_stun(struct peer *p, struct stun_builder *b,
		      const uint8_t *key, const struct sockaddr_in *to)
{
	int len;

	stun_add_integrity(b, key, PUNCH_KEY_LEN, stun_hmac_openssl, NULL);
	stun_add_fingerprint(b);
	len = stun_build_end(b);
	if (len > 0)
		sendto(p->udp, b->buf, (size_t)len, 0, (const struct sockaddr *)to,
		       sizeof(*to));
}

/* Our own check of the path, as the module's keepalive. */
static void request(struct peer *p, double now)
{
	char user[USERNAME_LEN + 1];
	uint8_t buf[128], tid[STUN_TID_LEN];
	struct stun_builder b;

	if (getrandom(tid, sizeof(tid), 0) != sizeof(tid))
		return;
	hex_tag(user, p->ours.tag);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_bytes(&b, STUN_A_USERNAME, user, USERNAME_LEN);
	stun_add_u64(&b, STUN_A_ICE_CONTROLLED, 0);
	send_stun(p, &b, p->ours.key, &p->hub_at);
	st.requests++;
	p->next_request = now + keepalive_s;
}

static void datagram(struct peer *p, const uint8_t *buf, size_t len,
		     const struct sockaddr_in *from, double now)
{
	uint8_t out[128];
	struct stun_builder b;
	struct stun_addr seen = { .family = STUN_AF_IPV4 };
	struct stun_msg m;

	if (!stun_looks_like(buf, len) || stun_parse(&m, buf, len) != STUN_OK) {
		st.wg++;
		st.peers_wg += !p->wg_seen;
		p->wg_seen = true;
		return;
	}
	if (!p->keyed)
		goto bad;
	if (m.type == STUN_BINDING_SUCCESS) {
		if (stun_check_integrity(&m, buf, p->ours.key, PUNCH_KEY_LEN,
					 stun_hmac_openssl, NULL) != STUN_OK)
			goto bad;
		st.acks++;
		return;
	}
	if (m.type != STUN_BINDING_REQUEST ||
	    !(m.seen & STUN_SEEN_USERNAME) || m.username_len != USERNAME_LEN ||
	    memcmp(m.username, p->hub_user, USERNAME_LEN) ||
	    stun_check_integrity(&m, buf, p->hub.key, PUNCH_KEY_LEN,
				 stun_hmac_openssl, NULL) != STUN_OK)
		goto bad;
	seen.port = ntohs(from->sin_port);
	memcpy(seen.ip, &from->sin_addr, 4);
	stun_build_start(&b, out, sizeof(out), STUN_BINDING_SUCCESS, m.tid);
	stun_add_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &seen);
	send_stun(p, &b, p->hub.key, from);
	st.answered++;
	st.peers_answered += !p->answered;
	p->answered = true;
	p->hub_at = *from;
	/* Our checks start a moment after its first, spread over the interval. */
	if (!p->next_request)
		p->next_request = now + keepalive_s * (double)random() / RAND_MAX;
	return;
bad:
	st.bad++;
}

static int open_udp(unsigned int i)
{
	struct sockaddr_in a = bind_at;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	a.sin_port = htons((uint16_t)(port_base + i));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("wg-peers: UDP port");
		exit(1);
	}
	return fd;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: wg-peers --server ADDR:PORT --secret HEX --peers N "
		"--bind ADDR --port-base P [--ca FILE --tls-name NAME] [--prefix ID] "
		"[--keepalive S] [--ramp N]\n");
	exit(2);
}

static unsigned int number(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || !v || v > max)
		usage();
	return (unsigned int)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "secret", required_argument, NULL, 'k' },
		{ "peers", required_argument, NULL, 'n' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port-base", required_argument, NULL, 'P' },
		{ "ca", required_argument, NULL, 'a' },
		{ "tls-name", required_argument, NULL, 't' },
		{ "prefix", required_argument, NULL, 'x' },
		{ "keepalive", required_argument, NULL, 'K' },
		{ "ramp", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t secret[SIG_CLIENT_SECRET_MAX];
	const char *ca = NULL, *tls_name = NULL;
	struct ssl_ctx_st *tls = NULL;
	struct epoll_event ev[256];
	unsigned int next = 0, i, base = 0;
	double now, t0, last_print = 0;
	int secret_len = -1, ep, n, o;
	struct rlimit rl;
	char err[256];

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (sc_server_parse(optarg, &server))
				usage();
			break;
		case 'k': secret_len = sig_secret_hex(optarg, secret); break;
		case 'n': n_peers = number(optarg, 60000); break;
		case 'b':
			bind_at.sin_family = AF_INET;
			if (inet_pton(AF_INET, optarg, &bind_at.sin_addr) != 1)
				usage();
			break;
		case 'P': base = number(optarg, 65535); break;
		case 'a': ca = optarg; break;
		case 't': tls_name = optarg; break;
		case 'x': prefix = optarg; break;
		case 'K': keepalive_s = atof(optarg); break;
		case 'r': ramp = number(optarg, 60000); break;
		default: usage();
		}
	}
	if (!server.sin_family || secret_len < 0 || !n_peers || n_peers > 60000 ||
	    !bind_at.sin_family || !base || base + n_peers > 65536 ||
	    keepalive_s <= 0 || !ramp || !ca != !tls_name)
		usage();
	port_base = (uint16_t)base;
	if (ca && !(tls = sig_tls_client_ctx(ca, NULL, err, sizeof(err)))) {
		fprintf(stderr, "wg-peers: %s\n", err);
		return 1;
	}
	rl.rlim_cur = rl.rlim_max = 2 * n_peers + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("wg-peers: RLIMIT_NOFILE");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	peers = calloc(n_peers, sizeof(*peers));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!peers || ep < 0)
		return 1;
	sc_setup(ep, tls, tls_name, secret, (size_t)secret_len, &peer_ops);
	for (i = 0; i < n_peers; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = n_peers + i };

		peers[i].sc.fd = -1;
		peers[i].udp = open_udp(i);
		epoll_ctl(ep, EPOLL_CTL_ADD, peers[i].udp, &e);
	}
	srandom((unsigned int)getpid());
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = sc_now();
	while (!stop) {
		/* Registrations a few at a time: the server limits handshakes. */
		while (next < n_peers && next - st.registered - st.dropped < ramp) {
			char id[SIG_ID_MAX + 1];

			snprintf(id, sizeof(id), "%s%u", prefix, next);
			if (sc_start(&peers[next].sc, id, next, NULL, &server)) {
				perror("wg-peers: connect");
				return 1;
			}
			next++;
		}
		n = epoll_wait(ep, ev, 256, 50);
		now = sc_now();
		for (o = 0; o < n; o++) {
			uint32_t t = ev[o].data.u32;

			if (t < n_peers) {
				if (peers[t].sc.fd >= 0)
					sc_event(&peers[t].sc, now);
				continue;
			}
			for (;;) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				uint8_t buf[2048];
				ssize_t len;

				len = recvfrom(peers[t - n_peers].udp, buf, sizeof(buf), 0,
					       (struct sockaddr *)&from, &fl);
				if (len < 0)
					break;
				datagram(&peers[t - n_peers], buf, (size_t)len, &from, now);
			}
		}
		for (i = 0; i < n_peers; i++) {
			struct peer *p = &peers[i];

			if (p->next_request && now >= p->next_request)
				request(p, now);
			if (p->sc.st == SC_READY && now >= p->next_ping) {
				struct sig_msg m;

				sig_init(&m, SIG_PING);
				p->next_ping = now + PING_S;
				sc_send(&p->sc, &m);
			}
		}
		if (now - last_print >= 1) {
			last_print = now;
			printf("t=%.0f registered=%u offers=%u keyed=%u answered=%lu "
			       "peers_answered=%u requests=%lu acks=%lu wg=%lu "
			       "peers_wg=%u bad=%lu dropped=%u\n", now - t0,
			       st.registered, st.offers, st.keyed, st.answered,
			       st.peers_answered, st.requests, st.acks, st.wg,
			       st.peers_wg, st.bad, st.dropped);
		}
	}
	return 0;
}
