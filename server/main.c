// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rendezvousd - the public side of nfpunch: STUN binding server (its
 * own threads), signaling and relay (one event loop). See rendezvousd(8).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "conf.h"
#include "cluster.h"
#include "metrics.h"
#include "rdv.h"
#include "relay_workers.h"
#include "timer.h"

#ifndef NFPUNCH_TOOLS_VERSION
#define NFPUNCH_TOOLS_VERSION "unknown"
#endif

static struct rdv_config cfg = {
	.stun_port = 3478,
	.signal_port = 3478,
	.log_level = RDV_LOG_INFO,
	.lim = {
		.max_clients = 10000,
		.register_timeout = 10,
		.idle_timeout = 90,
		.msg_rate = 20,
		.max_outbuf = 64 * 1024,
		.max_pending = 16,
		.answer_timeout = 10,
		.session_lifetime = 3600,
		.max_relays = 1000,
		/*
		 * punchd runs a relay beside every punch by default, held
		 * until --relay-idle after the move to direct: a host that
		 * calls a few peers at once needs more than a handful.
		 */
		.client_relays = 16,
		.relay_rate = 256 * 1024,
		.relay_lifetime = 0,
		.relay_idle = 120,
		.log_rate = 20,
		.stun_rate = 100,
		.ip_clients = 256,
		.ip_handshakes = 8,
		.ip_connects = 20,
		.client_sessions = 64,
		.max_handshakes = 1000,
	},
};
const struct rdv_config *rdv_cfg = &cfg;
static int epfd = -1;

int rdv_epoll_add(struct rdv_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, io->fd, &ev);
}

int rdv_epoll_mod(struct rdv_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

int rdv_epoll_del(struct rdv_io *io)
{
	return epoll_ctl(epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "other", required_argument, NULL, 'o' },
	{ "users", required_argument, NULL, 'u' },
	{ "stun-port", required_argument, NULL, 'p' },
	{ "alt-port", required_argument, NULL, 'P' },
	{ "signal-port", required_argument, NULL, 's' },
	{ "relay-address", required_argument, NULL, 'r' },
	{ "relay-ports", required_argument, NULL, 'R' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "tls-cert", required_argument, NULL, 'C' },
	{ "tls-key", required_argument, NULL, 'K' },
	{ "plaintext-testing-only", no_argument, NULL, 'T' },
	{ "max-clients", required_argument, NULL, 1 },
	{ "register-timeout", required_argument, NULL, 2 },
	{ "idle-timeout", required_argument, NULL, 3 },
	{ "msg-rate", required_argument, NULL, 4 },
	{ "max-outbuf", required_argument, NULL, 5 },
	{ "max-pending", required_argument, NULL, 6 },
	{ "answer-timeout", required_argument, NULL, 7 },
	{ "session-lifetime", required_argument, NULL, 8 },
	{ "max-relays", required_argument, NULL, 9 },
	{ "client-relays", required_argument, NULL, 10 },
	{ "relay-rate", required_argument, NULL, 11 },
	{ "relay-lifetime", required_argument, NULL, 12 },
	{ "relay-idle", required_argument, NULL, 13 },
	{ "log-rate", required_argument, NULL, 14 },
	{ "stun-rate", required_argument, NULL, 15 },
	{ "ip-clients", required_argument, NULL, 16 },
	{ "ip-handshakes", required_argument, NULL, 17 },
	{ "ip-connects", required_argument, NULL, 18 },
	{ "client-sessions", required_argument, NULL, 19 },
	{ "max-handshakes", required_argument, NULL, 20 },
	{ "stun-workers", required_argument, NULL, 'W' },
	{ "metrics", required_argument, NULL, 'M' },
	{ "redis", required_argument, NULL, 21 },
	{ "instance", required_argument, NULL, 22 },
	{ "redis-password-file", required_argument, NULL, 23 },
	{ "relay-workers", required_argument, NULL, 24 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: rendezvousd [OPTIONS]\n"
"STUN binding server, signaling and relay for nfpunch's punchd.\n"
"\n"
"  -c, --config FILE        read options from FILE (\"name value\" lines)\n"
"  -l, --listen ADDR        public address to serve on (repeat: v4 and v6)\n"
"  -o, --other ADDR         second address for RFC 5780 (per family)\n"
"  -u, --users FILE         \"id secret-hex [groups] [sessions=N] [relays=N]\"\n"
"                           lines; SIGHUP reloads\n"
"  -p, --stun-port PORT     STUN over UDP (3478)\n"
"  -P, --alt-port PORT      RFC 5780 alternate port (stun-port + 1)\n"
"  -s, --signal-port PORT   signaling over TCP (3478)\n"
"  -r, --relay-address ADDR relay on ADDR (the listen address)\n"
"  -R, --relay-ports LO-HI  relay port range (any free port)\n"
"  -L, --log-level LEVEL    err, warn, info or debug (info)\n"
"  -C, --tls-cert FILE      signaling's certificate chain, PEM (required)\n"
"  -K, --tls-key FILE       its private key, PEM (required)\n"
"      --plaintext-testing-only  signaling without TLS: for tests only\n"
"      --stun-workers N     threads answering STUN (0: one per CPU) [0]\n"
"      --relay-workers N    threads forwarding relayed datagrams (0: one\n"
"                           per CPU) [0]\n"
"      --metrics ADDR:PORT  Prometheus metrics at http://ADDR:PORT/metrics\n"
"                           (counts only; keep it on a private address)\n"
"      --redis ADDR:PORT    share clients and signaling with the other\n"
"                           instances on this Redis (a private network)\n"
"      --instance NAME      this instance's name there (the host name)\n"
"      --redis-password-file FILE  Redis's password, first line\n"
"Limits (defaults in brackets):\n"
"  --max-clients N [10000]       --max-handshakes N [1000]\n"
"  --register-timeout S [10]\n"
"  --idle-timeout S [90]         --msg-rate N/s [20]\n"
"  --max-outbuf BYTES [65536]    --max-pending N [16]\n"
"  --answer-timeout S [10]       --session-lifetime S [3600]\n"
"  --max-relays N [1000]         --client-relays N [16]\n"
"  --relay-rate BYTES/s [262144] --relay-lifetime S [0: while used]\n"
"  --relay-idle S [120]          --log-rate LINES/s [20]\n"
"  --client-sessions N [64]      --stun-rate N/s [100]\n"
"Per source address (IPv6: per /64):\n"
"  --ip-clients N [256]          --ip-handshakes N [8]\n"
"  --ip-connects N/s [20]\n"
"  -h, --help    -V, --version\n"
"See rendezvousd(8).\n");
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out < min || *out > max ? -1 : 0;
}

static int add_addr(struct sockaddr_storage *arr, unsigned int *n,
		    const char *s)
{
	if (*n >= RDV_MAX_LISTEN || sa_parse(&arr[*n], s, 0) < 0)
		return -1;
	(*n)++;
	return 0;
}

static unsigned int *limit_slot(int opt)
{
	struct rdv_limits *l = &cfg.lim;
	unsigned int *slots[] = {
		NULL, &l->max_clients, &l->register_timeout, &l->idle_timeout,
		&l->msg_rate, &l->max_outbuf, &l->max_pending,
		&l->answer_timeout, &l->session_lifetime, &l->max_relays,
		&l->client_relays, &l->relay_rate, &l->relay_lifetime,
		&l->relay_idle, &l->log_rate, &l->stun_rate, &l->ip_clients,
		&l->ip_handshakes, &l->ip_connects, &l->client_sessions,
		&l->max_handshakes,
	};

	return opt >= 1 && opt <= 20 ? slots[opt] : NULL;
}

/* The first line of path, for Redis's AUTH. */
static int read_password(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!ok || !line[0])
		return -1;
	free(cfg.redis_password);
	cfg.redis_password = strdup(line);
	return cfg.redis_password ? 0 : -1;
}

static int apply(int opt, const char *arg)
{
	static const char *const levels[] = { "err", "warn", "info", "debug" };
	unsigned long v, lo;
	unsigned int i;
	char *dash;

	switch (opt) {
	case 'l':
		return add_addr(cfg.listen, &cfg.n_listen, arg);
	case 'o':
		return add_addr(cfg.other, &cfg.n_other, arg);
	case 'r':
		return add_addr(cfg.relay_addr, &cfg.n_relay_addr, arg);
	case 'u':
	case 'C':
	case 'K': {
		const char **slot = opt == 'u' ? &cfg.users_file :
				    opt == 'C' ? &cfg.tls_cert : &cfg.tls_key;

		free((char *)*slot);
		*slot = strdup(arg);
		return *slot ? 0 : -1;
	}
	case 'T':
		cfg.plaintext = true;
		return 0;
	case 'M': {
		struct sig_ep ep;

		if (sig_ep_parse(arg, strlen(arg), &ep))
			return -1;
		sa_set(&cfg.metrics, ep.family, ep.addr, ep.port);
		return 0;
	}
	case 'p':
	case 'P':
	case 's':
		if (parse_uint(arg, 1, 65535, &v))
			return -1;
		*(opt == 'p' ? &cfg.stun_port : opt == 'P' ? &cfg.alt_port :
		  &cfg.signal_port) = (uint16_t)v;
		return 0;
	case 'R': {
		char lo_s[8];

		dash = strchr(arg, '-');
		if (!dash || dash - arg >= (long)sizeof(lo_s))
			return -1;
		memcpy(lo_s, arg, (size_t)(dash - arg));
		lo_s[dash - arg] = '\0';
		if (parse_uint(lo_s, 1024, 65535, &lo) ||
		    parse_uint(dash + 1, lo, 65535, &v))
			return -1;
		cfg.relay_port_min = (uint16_t)lo;
		cfg.relay_port_max = (uint16_t)v;
		return 0;
	}
	case 21: {
		struct sig_ep ep;

		if (sig_ep_parse(arg, strlen(arg), &ep) ||
		    !inet_ntop(ep.family, ep.addr, cfg.redis_host, sizeof(cfg.redis_host)))
			return -1;
		cfg.redis_port = ep.port;
		return 0;
	}
	case 22:
		if (!sig_word_ok(arg))
			return -1;
		snprintf(cfg.instance, sizeof(cfg.instance), "%s", arg);
		return 0;
	case 23:
		return read_password(arg);
	case 'W':
		if (parse_uint(arg, 0, RDV_STUN_WORKERS_MAX, &v))
			return -1;
		cfg.stun_workers = (unsigned int)v;
		return 0;
	case 24:
		if (parse_uint(arg, 0, RDV_RELAY_WORKERS_MAX, &v))
			return -1;
		cfg.relay_workers = (unsigned int)v;
		return 0;
	case 'L':
		for (i = 0; i < 4; i++)
			if (!strcmp(arg, levels[i]))
				cfg.log_level = (int)i;
		return strcmp(arg, levels[cfg.log_level]) ? -1 : 0;
	default:
		/* --relay-lifetime 0: no limit but --relay-idle. */
		if (!limit_slot(opt) ||
		    parse_uint(arg, opt == 12 ? 0 : 1, UINT_MAX, &v))
			return -1;
		*limit_slot(opt) = (unsigned int)v;
		return 0;
	}
}

static void help(void)
{
	usage(stdout);
}

static void version(void)
{
	printf("rendezvousd %s\n", NFPUNCH_TOOLS_VERSION);
}

static int parse_args(int argc, char **argv)
{
	if (conf_getopt(argc, argv, ":c:l:o:u:p:P:s:r:R:L:C:K:hV", longopts, apply,
			help, version))
		return -1;
	if (optind < argc) {
		fprintf(stderr, "rendezvousd: unexpected argument %s\n",
			argv[optind]);
		return -1;
	}
	if (!cfg.n_listen) {
		fprintf(stderr, "rendezvousd: --listen ADDR is required\n");
		return -1;
	}
	if (!cfg.users_file) {
		fprintf(stderr, "rendezvousd: --users FILE is required\n");
		return -1;
	}
	if (!cfg.plaintext && (!cfg.tls_cert || !cfg.tls_key)) {
		fprintf(stderr, "rendezvousd: --tls-cert and --tls-key are required\n");
		return -1;
	}
	if (!cfg.alt_port)
		cfg.alt_port = cfg.stun_port == 65535 ? 65534 : cfg.stun_port + 1;
	if (cfg.redis_host[0] && !cfg.instance[0] &&
	    (gethostname(cfg.instance, sizeof(cfg.instance) - 1) ||
	     !sig_word_ok(cfg.instance))) {
		fprintf(stderr, "rendezvousd: --redis needs --instance NAME "
			"(the host name is not one)\n");
		return -1;
	}
	return 0;
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void log_stats(void)
{
	rdv_log(RDV_LOG_INFO, "stats", "clients=%u sessions=%u relays=%u stun_limited=%llu",
		rdv_clients_count(), rdv_sessions_count(), rdv_relays_count(),
		(unsigned long long)rdv_counter(RDV_C_STUN_LIMITED));
}

/* 1 to stop. */
/*
 * A reload revokes users, which frees their clients: that waits for the
 * end of the event round, when no event of this round names them.
 */
static bool reload_pending;

static int signal_input(int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			log_stats();
		} else if (si.ssi_signo == SIGHUP) {
			reload_pending = true;
		} else {
			rdv_log(RDV_LOG_INFO, "stop", "signal=%s",
				strsignal((int)si.ssi_signo));
			return 1;
		}
	}
	return 0;
}

static void run(int sigfd)
{
	struct rdv_io sigio = { .kind = RDV_LISTENER, .fd = sigfd };
	uint64_t next_tick = 0, next_stats = 0, now;
	struct epoll_event ev[64];
	int n, i;

	ev[0].events = EPOLLIN;
	ev[0].data.ptr = &sigio;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev[0]);
	for (;;) {
		n = epoll_wait(epfd, ev, 64, 1000);
		for (i = 0; i < n; i++) {
			struct rdv_io *io = ev[i].data.ptr;

			if (io == &sigio) {
				if (signal_input(sigfd))
					return;
				continue;
			}
			switch (io->kind) {
			case RDV_LISTENER:
				rdv_listen_accept(io);
				break;
			case RDV_CLIENT:
				rdv_client_event(io, ev[i].events);
				break;
			case RDV_RELAY:	/* never: relay_workers.c reads them */
				break;
			case RDV_METRICS:
				rdv_metrics_run();
				break;
			case RDV_REDIS:
				rdv_cluster_event(io, ev[i].events);
				break;
			}
		}
		/* Nothing is freed inside the round: epoll may still name it. */
		if (reload_pending) {
			reload_pending = false;
			rdv_log(RDV_LOG_INFO, "reload", "what=users");
			rdv_users_load(cfg.users_file, rdv_client_revoke);
		}
		rdv_clients_reap();
		now = rdv_now_ms();
		rdv_timers_run(now);
		rdv_clients_reap();	/* what the deadlines closed */
		if (now >= next_tick) {
			rdv_clients_tick();
			rdv_metrics_run();	/* its connections' timeouts */
			next_tick = now + 1000;
		}
		if (now >= next_stats) {
			log_stats();
			next_stats = now + 60000;
		}
	}
}

int main(int argc, char **argv)
{
	int sigfd;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "Try 'rendezvousd --help'.\n");
		return 2;
	}
	rdv_log_level = cfg.log_level;
	rdv_log_set_rate(cfg.lim.log_rate);
	setvbuf(stderr, NULL, _IOLBF, 0);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	sigfd = signals_open();
	if (epfd < 0 || sigfd < 0 || rdv_users_load(cfg.users_file, NULL) ||
	    rdv_stun_open() || rdv_relay_workers_start() || rdv_listen_open() ||
	    (cfg.metrics.ss_family && rdv_metrics_open(&cfg.metrics)) ||
	    rdv_cluster_open(cfg.redis_host[0] ? cfg.redis_host : NULL, cfg.redis_port,
			     cfg.instance, cfg.redis_password)) {
		int err = errno;

		rdv_stun_close();	/* its threads may be answering */
		rdv_relay_workers_stop();
		rdv_log(RDV_LOG_ERR, "startup-failed", "error=\"%s\"",
			strerror(err));
		return 1;
	}
	rdv_log(RDV_LOG_INFO, "start", "version=%s", NFPUNCH_TOOLS_VERSION);
	run(sigfd);
	rdv_metrics_close();
	rdv_clients_shutdown();
	rdv_sessions_shutdown();
	rdv_clients_reap();	/* the stubs the sessions held */
	rdv_cluster_close();
	rdv_relays_shutdown();
	rdv_relay_workers_stop();	/* they free the relays */
	rdv_timers_free();
	rdv_stun_close();
	rdv_users_free();
	close(sigfd);
	close(epfd);
	free((char *)cfg.users_file);
	free((char *)cfg.tls_cert);
	free((char *)cfg.tls_key);
	free(cfg.redis_password);
	return 0;
}
