// SPDX-License-Identifier: GPL-2.0
/*
 * rdv-load - many punchd clients against one rendezvousd (issue 19).
 *
 *   rdv-load --server ADDR:PORT... --clients N --secret HEX [--ca FILE]
 *            [--pid PID...] [--sources N] [--idle S] [--ping S]
 *            [--churn S] [--window N] [--procs N]
 *
 * Registers N clients (ids c0..cN-1, one secret for all) over TLS (with
 * --ca; plaintext without), each from a source address 127.X.Y.Z of its
 * own group, so that the server's per-address limits see --sources
 * addresses. Then keeps them all registered for --idle seconds, each
 * pinging every --ping seconds, and then runs --churn seconds of session
 * churn: --window CONNECT/OFFER/ANSWER/ACCEPTED exchanges at once between
 * random pairs. With several --server (instances of a cluster, up to 8),
 * client i registers with server i mod their number, so most calls
 * cross instances. With --pid (up to 9: the servers, and what serves
 * them, such as Redis), reads their memory (VmRSS) and CPU time, summed,
 * from /proc around each phase. One line per figure, "key value".
 * Runs on one thread; TLS handshakes are its bottleneck, not the server's
 * memory or timers. --procs N: N processes share the clients (each one
 * a slice, with a descriptor per client of its own: more clients than one
 * process may hold), the phases kept in step by the first, which adds up
 * the figures; calls stay within a slice.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sig_clients.h"
#include "sig_tls.h"

struct client {
	struct sc_client sc;		/* first: a pointer to it is one to us */
	double next_ping;
	bool calling;			/* a CONNECT of ours is unanswered */
	bool crossing;			/* to a client of another server */
	double call_started;
};

static struct client *cl;
static unsigned int n_clients, n_sources = 1000, window = 16;
/* This process's slice: cl[i] is client first + i of all. */
static unsigned int first;
#define PROCS_MAX	16
#define GO_TOKEN	UINT32_MAX	/* epoll data of the parent's pipe */
static int go_fd = -1;
static bool go_seen;
static double idle_s = 10, ping_s = 30, churn_s = 10;
#define SERVERS_MAX	8
#define PIDS_MAX	9
static struct sockaddr_in servers[SERVERS_MAX];
static unsigned int n_servers, n_pids;
static int server_pids[PIDS_MAX];
static uint8_t secret[SIG_CLIENT_SECRET_MAX];
static int secret_len = -1;
static struct ssl_ctx_st *tls_ctx;
static int ep;
static unsigned int registered, in_flight, calls_done, call_errors, dropped;
static unsigned int cross_done;
static double call_ms_total, cross_ms_total;

/* A server's resident memory (kB) and CPU time (s), from /proc. */
static void pid_usage(int server_pid, long *rss_kb, double *cpu_s)
{
	char path[64], line[256];
	unsigned long ut = 0, st = 0;
	FILE *f;

	*rss_kb = 0;
	*cpu_s = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", server_pid);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "VmRSS: %ld", rss_kb) == 1)
				break;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", server_pid);
	f = fopen(path, "r");
	if (f) {
		/* Fields 14 and 15, after the command in parentheses. */
		if (fgets(line, sizeof(line), f)) {
			char *p = strrchr(line, ')');

			if (p)
				sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				       &ut, &st);
		}
		fclose(f);
	}
	*cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The servers', summed. */
static void server_usage(long *rss_kb, double *cpu_s)
{
	unsigned int i;
	double c;
	long r;

	*rss_kb = 0;
	*cpu_s = 0;
	for (i = 0; i < n_pids; i++) {
		pid_usage(server_pids[i], &r, &c);
		*rss_kb += r;
		*cpu_s += c;
	}
}

static void on_dropped(struct sc_client *sc, const char *why)
{
	struct client *c = (struct client *)sc;

	if (sc->st == SC_READY)
		registered--;
	if (c->calling)
		in_flight--;
	c->calling = false;
	dropped++;
	if (dropped <= 10)
		fprintf(stderr, "rdv-load: client %s dropped: %s\n", sc->id, why);
}

static void start_client(unsigned int i)
{
	unsigned int g = first + i, src = g % n_sources;
	struct sockaddr_in local = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(0x7f000000u | ((src + 2) << 8) | 1u),
	};
	char id[SIG_ID_MAX + 1];

	/* 127.S.S.1 for source group S. */
	snprintf(id, sizeof(id), "c%u", g);
	cl[i] = (struct client){ 0 };
	if (sc_start(&cl[i].sc, id, i, &local, &servers[g % n_servers])) {
		perror("rdv-load: connect");
		exit(1);
	}
}

static void call(struct client *c, double now)
{
	struct sig_msg m;
	struct sig_ep cand = { .family = AF_INET, .port = 4000 };
	unsigned int peer;

	do
		peer = (unsigned int)random() % n_clients;
	while (&cl[peer] == c || cl[peer].sc.st != SC_READY);
	sig_init(&m, SIG_CONNECT);
	snprintf(m.peer, sizeof(m.peer), "c%u", first + peer);
	memcpy(cand.addr, (uint8_t[]){ 198, 51, 100, 1 }, 4);
	sig_add_cand(&m, &cand);
	m.has |= SIG_K_PEER;
	c->calling = true;
	c->crossing = (first + (unsigned int)(c - cl)) % n_servers !=
		      (first + peer) % n_servers;
	c->call_started = now;
	in_flight++;
	sc_send(&c->sc, &m);
}

static void on_registered(struct sc_client *sc, double now)
{
	registered++;
	((struct client *)sc)->next_ping = now + ping_s * (double)random() / RAND_MAX;
}

static void on_message(struct sc_client *sc, const struct sig_msg *m, double now)
{
	struct client *c = (struct client *)sc;
	struct sig_ep cand = { .family = AF_INET, .port = 5000 };
	struct sig_msg r;

	switch (m->type) {
	case SIG_OFFER:
		sig_init(&r, SIG_ANSWER);
		memcpy(r.sid, m->sid, SIG_SID_LEN);
		memcpy(cand.addr, (uint8_t[]){ 203, 0, 113, 1 }, 4);
		sig_add_cand(&r, &cand);
		r.has |= SIG_K_SID;
		sc_send(sc, &r);
		break;
	case SIG_ACCEPTED:
	case SIG_ERROR:
		if (!c->calling)
			break;
		c->calling = false;
		in_flight--;
		if (m->type == SIG_ERROR) {
			call_errors++;
			if (call_errors <= 5)
				fprintf(stderr, "rdv-load: call refused: %s\n", m->code);
		} else {
			calls_done++;
			call_ms_total += (now - c->call_started) * 1000;
			if (c->crossing) {
				cross_done++;
				cross_ms_total += (now - c->call_started) * 1000;
			}
		}
		break;
	default:
		break;
	}
}

static const struct sc_ops client_ops = {
	.registered = on_registered,
	.message = on_message,
	.dropped = on_dropped,
};

/* Run the loop until deadline; start clients while fewer than ramp are
 * on their way; keep `window` calls going if calling. */
static void loop(double deadline, unsigned int *next, unsigned int ramp,
		 bool calling, bool until_go)
{
	struct epoll_event ev[256];
	double now, last_ping_scan = 0;
	unsigned int i;
	int n;

	for (;;) {
		now = sc_now();
		if (now >= deadline)
			return;
		while (*next < n_clients && *next - registered - dropped < ramp)
			start_client((*next)++);
		if (!calling && *next == n_clients && registered + dropped == n_clients &&
		    deadline > 1e17)
			return;	/* the registration phase is over */
		if (until_go && go_seen)
			return;
		n = epoll_wait(ep, ev, 256, 10);
		now = sc_now();
		for (i = 0; n > 0 && i < (unsigned int)n; i++) {
			struct client *c;
			char b;

			if (ev[i].data.u32 == GO_TOKEN) {
				if (read(go_fd, &b, 1) != 1)
					exit(1);	/* the parent is gone */
				go_seen = true;
				continue;
			}
			c = &cl[ev[i].data.u32];
			if (c->sc.fd >= 0)
				sc_event(&c->sc, now);
		}
		if (now - last_ping_scan >= 0.1) {
			last_ping_scan = now;
			for (i = 0; i < n_clients; i++) {
				struct sig_msg m;

				if (cl[i].sc.st != SC_READY || cl[i].next_ping > now)
					continue;
				cl[i].next_ping = now + ping_s;
				sig_init(&m, SIG_PING);
				sc_send(&cl[i].sc, &m);
			}
		}
		while (calling && in_flight < window && registered > 1) {
			struct client *c = &cl[(unsigned int)random() % n_clients];

			if (c->sc.st == SC_READY && !c->calling)
				call(c, now);
		}
	}
}

/* What a process's clients did, added up over the processes. */
struct result {
	unsigned int registered, dropped, idle_registered, churn_registered;
	unsigned int calls_done, call_errors, cross_done;
	double call_ms_total, cross_ms_total;
};

/* The phases the servers are measured between: before, registered, idled, churned. */
enum { P_BEFORE, P_REGISTERED, P_IDLED, P_CHURNED, P_N };

struct slice {
	pid_t pid;
	int up, down;		/* its end of the pipes: it says, we answer */
};

/*
 * A phase over in this process: alone, it measures the servers; as a
 * slice, it tells the parent and serves its clients until told to go on.
 */
static void phase_done(int up, long *rss, double *cpu, unsigned int *next)
{
	char b = 1;

	if (up < 0) {
		server_usage(rss, cpu);
		return;
	}
	if (write(up, &b, 1) != 1)
		exit(1);
	go_seen = false;
	loop(1e18, next, 0, false, true);
}

/* The three phases for this process's clients. */
static double run_phases(struct result *r, int up, long *rss, double *cpu)
{
	unsigned int next = 0;
	double t0 = sc_now(), t_reg;

	loop(1e18, &next, 256, false, false);
	t_reg = sc_now() - t0;
	r->registered = registered;
	phase_done(up, &rss[P_REGISTERED], &cpu[P_REGISTERED], &next);
	loop(sc_now() + idle_s, &next, 0, false, false);
	r->idle_registered = registered;
	phase_done(up, &rss[P_IDLED], &cpu[P_IDLED], &next);
	calls_done = call_errors = cross_done = 0;
	call_ms_total = cross_ms_total = 0;
	loop(sc_now() + churn_s, &next, 0, true, false);
	r->churn_registered = registered;
	r->dropped = dropped;
	r->calls_done = calls_done;
	r->call_errors = call_errors;
	r->cross_done = cross_done;
	r->call_ms_total = call_ms_total;
	r->cross_ms_total = cross_ms_total;
	return t_reg;
}

static void add(struct result *sum, const struct result *r)
{
	sum->registered += r->registered;
	sum->dropped += r->dropped;
	sum->idle_registered += r->idle_registered;
	sum->churn_registered += r->churn_registered;
	sum->calls_done += r->calls_done;
	sum->call_errors += r->call_errors;
	sum->cross_done += r->cross_done;
	sum->call_ms_total += r->call_ms_total;
	sum->cross_ms_total += r->cross_ms_total;
}

/* Each child's next word: one byte per phase, then its result. */
static void hear_all(struct slice *sl, unsigned int n, struct result *sum)
{
	struct result r;
	unsigned int i;
	char b;

	for (i = 0; i < n; i++) {
		if (sum ? read(sl[i].up, &r, sizeof(r)) != sizeof(r) :
			  read(sl[i].up, &b, 1) != 1) {
			fprintf(stderr, "rdv-load: process %u ended early\n", i);
			exit(1);
		}
		if (sum)
			add(sum, &r);
	}
}

static void go_all(struct slice *sl, unsigned int n)
{
	unsigned int i;
	char b = 1;

	for (i = 0; i < n; i++)
		if (write(sl[i].down, &b, 1) != 1)
			exit(1);
}

/* Set up this process's clients (n_clients from first). */
static int clients_init(void)
{
	struct rlimit rl = { .rlim_cur = n_clients + 64, .rlim_max = n_clients + 64 };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = GO_TOKEN };
	unsigned int i;

	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("rdv-load: RLIMIT_NOFILE");
		return -1;
	}
	cl = calloc(n_clients, sizeof(*cl));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cl || ep < 0 || (go_fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, go_fd, &ev)))
		return -1;
	sc_setup(ep, tls_ctx, "127.0.0.1", secret, (size_t)secret_len, &client_ops);
	for (i = 0; i < n_clients; i++)
		cl[i].sc.fd = -1;
	srandom(1 + first);
	return 0;
}

/* Fork the slices; in a child, run its phases and exit. */
static void fork_slices(struct slice *sl, unsigned int procs)
{
	unsigned int i, all = n_clients, per = (all + procs - 1) / procs;
	int up[2], down[2];
	struct result r = { 0 };
	double cpu[P_N];
	long rss[P_N];

	for (i = 0; i < procs; i++) {
		if (pipe(up) || pipe(down)) {
			perror("rdv-load: pipe");
			exit(1);
		}
		sl[i].pid = fork();
		if (sl[i].pid < 0) {
			perror("rdv-load: fork");
			exit(1);
		}
		if (!sl[i].pid) {
			close(up[0]);
			close(down[1]);
			first = i * per;
			n_clients = first + per > all ? all - first : per;
			go_fd = down[0];
			if (clients_init())
				exit(1);
			run_phases(&r, up[1], rss, cpu);
			exit(write(up[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
		}
		close(up[1]);
		close(down[0]);
		sl[i].up = up[0];
		sl[i].down = down[1];
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: rdv-load --server ADDR:PORT... --clients N --secret HEX "
		"[--ca FILE] [--pid PID...] [--sources N] [--idle S] [--ping S] "
		"[--churn S] [--window N] [--procs N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'n' },
		{ "secret", required_argument, NULL, 'k' },
		{ "ca", required_argument, NULL, 'a' },
		{ "pid", required_argument, NULL, 'p' },
		{ "sources", required_argument, NULL, 'S' },
		{ "idle", required_argument, NULL, 'i' },
		{ "ping", required_argument, NULL, 'P' },
		{ "churn", required_argument, NULL, 'c' },
		{ "window", required_argument, NULL, 'w' },
		{ "procs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct slice sl[PROCS_MAX];
	struct result sum = { 0 };
	const char *ca = NULL;
	char err[256];
	double t_reg, cpu[P_N] = { 0 };
	long rss[P_N] = { 0 };
	unsigned int procs = 1, i;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (n_servers == SERVERS_MAX ||
			    sc_server_parse(optarg, &servers[n_servers++]))
				usage();
			break;
		case 'n': n_clients = (unsigned int)atoi(optarg); break;
		case 'k': secret_len = sig_secret_hex(optarg, secret); break;
		case 'a': ca = optarg; break;
		case 'p':
			if (n_pids == PIDS_MAX)
				usage();
			server_pids[n_pids++] = atoi(optarg);
			break;
		case 'S': n_sources = (unsigned int)atoi(optarg); break;
		case 'i': idle_s = atof(optarg); break;
		case 'P': ping_s = atof(optarg); break;
		case 'c': churn_s = atof(optarg); break;
		case 'w': window = (unsigned int)atoi(optarg); break;
		case 'j': procs = (unsigned int)atoi(optarg); break;
		default: usage();
		}
	}
	if (!n_servers || n_clients < 2 || secret_len < 0 || !n_sources ||
	    n_sources > 60000 || ping_s <= 0 || !window || !procs || procs > PROCS_MAX ||
	    n_clients / procs < 2)
		usage();
	if (ca && !(tls_ctx = sig_tls_client_ctx(ca, NULL, err, sizeof(err)))) {
		fprintf(stderr, "rdv-load: %s\n", err);
		return 1;
	}

	server_usage(&rss[P_BEFORE], &cpu[P_BEFORE]);
	if (procs == 1) {
		if (clients_init())
			return 1;
		t_reg = run_phases(&sum, -1, rss, cpu);
		server_usage(&rss[P_CHURNED], &cpu[P_CHURNED]);
	} else {
		double t0 = sc_now();

		fork_slices(sl, procs);
		hear_all(sl, procs, NULL);
		t_reg = sc_now() - t0;
		server_usage(&rss[P_REGISTERED], &cpu[P_REGISTERED]);
		go_all(sl, procs);
		hear_all(sl, procs, NULL);
		server_usage(&rss[P_IDLED], &cpu[P_IDLED]);
		go_all(sl, procs);
		hear_all(sl, procs, &sum);
		server_usage(&rss[P_CHURNED], &cpu[P_CHURNED]);
		for (i = 0; i < procs; i++) {
			int st;

			if (waitpid(sl[i].pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
				sum.dropped += !sum.dropped;	/* a slice failed */
		}
	}
	printf("clients %u\nregistered %u\ndropped %u\n", n_clients, sum.registered,
	       sum.dropped);
	printf("register_seconds %.2f\nregistrations_per_second %.0f\n", t_reg,
	       sum.registered / t_reg);
	if (n_pids && sum.registered)
		printf("server_rss_kb_before %ld\nserver_rss_kb_registered %ld\n"
		       "server_bytes_per_client %.0f\n", rss[P_BEFORE], rss[P_REGISTERED],
		       (rss[P_REGISTERED] - rss[P_BEFORE]) * 1024.0 / sum.registered);
	printf("idle_seconds %.0f\nidle_registered %u\n", idle_s, sum.idle_registered);
	if (n_pids)
		printf("server_cpu_idle_percent %.2f\n",
		       (cpu[P_IDLED] - cpu[P_REGISTERED]) / idle_s * 100);
	printf("churn_seconds %.0f\nsessions_per_second %.0f\nsession_errors %u\n"
	       "session_ms_mean %.1f\nchurn_registered %u\n", churn_s,
	       sum.calls_done / churn_s, sum.call_errors,
	       sum.calls_done ? sum.call_ms_total / sum.calls_done : 0.0,
	       sum.churn_registered);
	if (n_servers > 1)
		printf("sessions_crossing %u\nsession_ms_mean_crossing %.1f\n", sum.cross_done,
		       sum.cross_done ? sum.cross_ms_total / sum.cross_done : 0.0);
	if (n_pids)
		printf("server_cpu_churn_percent %.2f\nserver_rss_kb_after %ld\n",
		       (cpu[P_CHURNED] - cpu[P_IDLED]) / churn_s * 100, rss[P_CHURNED]);
	return sum.churn_registered == n_clients && !sum.dropped ? 0 : 1;
}
