// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd - hole punching daemon for nfpunch. See punchd(8).
 *
 *   punchd [OPTIONS]                 run the daemon (in the foreground)
 *   punchd [--socket P] connect PEER ask the daemon, wait for the result
 *   punchd [--socket P] connect PEER --tcp | accept --tcp [PEER] [-- CMD...]
 *                                    a TCP connection, for CMD or stdio
 *   punchd [--socket P] status | disconnect PEER | discover
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "punchd.h"
#include "tcp.h"
#include "tcp_client.h"

#ifndef NFPUNCH_TOOLS_VERSION
#define NFPUNCH_TOOLS_VERSION "unknown"
#endif

struct pd_config pd_cfg = {
	.signal_port = 3478,
	.stun_port = 3478,
	.socket_path = "/run/punchd/punchd.sock",
	.state_dir = "/run",
	.punch_timeout_ms = 10000,
	.relay = true,
	.host_candidates = true,
	.keepalive_min_ms = 5000,
	.keepalive_max_ms = 120000,
	.rediscover_ms = 600000,
	.offer_rate = 60,
	.max_peers = PD_MAX_PEERS_DEFAULT,
	.connect_rate = 10,
	.peer_offer_rate = 20,
	.session_probes = 1000,
	.peer_probes = 20000,
	.tag = PD_DEFAULT_TAG,
	.port_mapping = true,
	.prime = true,
	.trickle = true,
	.relay_first = true,
};
struct nfp_handle *pd_nfp;

/*
 * CLOCK_BOOTTIME: a laptop's suspend counts. After a night asleep the
 * NAT mappings are long gone, and every deadline and retry must see
 * that the time passed (CLOCK_MONOTONIC stops while suspended).
 */
uint64_t pd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pd_log(const char *event, const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "ts=%s.%03ldZ id=%s event=%s ", when,
		ts.tv_nsec / 1000000, pd_cfg.id, event);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "server", required_argument, NULL, 's' },
	{ "signal-port", required_argument, NULL, 'P' },
	{ "stun-port", required_argument, NULL, 'S' },
	{ "id", required_argument, NULL, 'i' },
	{ "secret-file", required_argument, NULL, 'k' },
	{ "port", required_argument, NULL, 'p' },
	{ "hook", required_argument, NULL, 'H' },
	{ "socket", required_argument, NULL, 'u' },
	{ "state-dir", required_argument, NULL, 'd' },
	{ "keepalive", required_argument, NULL, 1 },
	{ "punch-timeout", required_argument, NULL, 2 },
	{ "timeout", required_argument, NULL, 3 },
	{ "relay", required_argument, NULL, 4 },
	{ "host-candidates", required_argument, NULL, 5 },
	{ "keepalive-min", required_argument, NULL, 6 },
	{ "keepalive-max", required_argument, NULL, 7 },
	{ "spray", required_argument, NULL, 8 },
	{ "peer", required_argument, NULL, 9 },
	{ "tls-ca", required_argument, NULL, 12 },
	{ "tls-pin", required_argument, NULL, 13 },
	{ "tls-name", required_argument, NULL, 14 },
	{ "plaintext-testing-only", no_argument, NULL, 15 },
	{ "offer-rate", required_argument, NULL, 10 },
	{ "peer-offer-rate", required_argument, NULL, 11 },
	{ "session-probes", required_argument, NULL, 16 },
	{ "peer-probes", required_argument, NULL, 17 },
	{ "tag", required_argument, NULL, 18 },
	{ "exclude-interface", required_argument, NULL, 19 },
	{ "include-interface", required_argument, NULL, 20 },
	{ "wireguard", required_argument, NULL, 21 },
	{ "wg-peer", required_argument, NULL, 22 },
	{ "port-mapping", required_argument, NULL, 23 },
	{ "connect", required_argument, NULL, 24 },
	{ "prime", required_argument, NULL, 25 },
	{ "relay-first", required_argument, NULL, 26 },
	{ "trickle", required_argument, NULL, 27 },
	{ "max-peers", required_argument, NULL, 28 },
	{ "connect-rate", required_argument, NULL, 29 },
	{ "rediscover", required_argument, NULL, 30 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: punchd [OPTIONS]                  run the daemon\n"
"       punchd [--socket PATH] connect PEER\n"
"       punchd [--socket PATH] connect PEER --tcp [-- CMD [ARG...]]\n"
"       punchd [--socket PATH] accept --tcp [PEER] [-- CMD [ARG...]]\n"
"       punchd [--socket PATH] disconnect PEER\n"
"       punchd [--socket PATH] status [-j]\n"
"       punchd [--socket PATH] discover\n"
"NAT hole punching daemon: registers with rendezvousd and opens direct\n"
"paths to peers through the nfpunch kernel module (relay if none works).\n"
"\n"
"  -c, --config FILE       read options from FILE (\"name value\" lines)\n"
"  -s, --server ADDR       rendezvousd's address (required); repeat for\n"
"                          instances of one cluster (up to 4): the link\n"
"                          fails over to the next when one goes\n"
"  -P, --signal-port PORT  its signaling port, TCP (3478)\n"
"      --tls-ca FILE       trust the server's certificate from this CA, or\n"
"      --tls-pin HEX       its key by SHA-256 (openssl pkey -pubout -outform\n"
"                          DER | sha256sum); one of them is required\n"
"      --tls-name NAME     the name its certificate has (--server)\n"
"      --plaintext-testing-only  signaling without TLS: for tests only\n"
"  -S, --stun-port PORT    its STUN port, UDP (3478)\n"
"  -i, --id ID             our id at the server (required)\n"
"  -k, --secret-file FILE  our secret, hex, first line (required)\n"
"  -p, --port PORT         local UDP port to punch from (required)\n"
"  -H, --hook CMD          run CMD EVENT PEER ENDPOINT MODE MS on results\n"
"  -u, --socket PATH       control socket (/run/punchd/punchd.sock)\n"
"  -d, --state-dir DIR     where flows are remembered (/run)\n"
"      --keepalive S       fixed keepalive interval (default: from the\n"
"                          measured NAT mapping lifetime, 25 until known)\n"
"      --keepalive-min S   lower bound of the measured interval (5)\n"
"      --keepalive-max S   upper bound of the measured interval (120)\n"
"      --rediscover S      run NAT discovery again this often (600)\n"
"      --punch-timeout S   direct attempts before the relay (10)\n"
"      --timeout S         silence before a path is dead (module default)\n"
"      --relay yes|no      fall back to the relay (yes)\n"
"      --host-candidates yes|no  offer LAN addresses (yes)\n"
"      --spray yes|no      agree to birthday spraying against a random\n"
"                          symmetric NAT: up to 256 local ports and 2048\n"
"                          probed ports, paced by the module (no)\n"
"      --peer ID           only ID may call us, and we only call it;\n"
"                          repeat for more (default: any user)\n"
"      --max-peers N       peers at once, callers and called (1024)\n"
"      --connect-rate N    our calls (--connect, retries) started per\n"
"                          second, 8 at most before the server's answer (10)\n"
"      --connect ID        keep a path to ID from the start, through\n"
"                          deaths, server loss and restarts (repeat)\n"
"      --offer-rate N      OFFERs accepted per minute (60)\n"
"      --peer-offer-rate N  the same from one peer (20)\n"
"      --session-probes N  probes one punch may send (1000; a spray 12x)\n"
"      --peer-probes N     punch probes per peer and minute (20000)\n"
"      --tag N             the application tag of our flows (1; 0: none)\n"
"      --exclude-interface GLOB  offer no address of these interfaces\n"
"                          (repeat; tunnels and container bridges never)\n"
"      --include-interface GLOB  offer these interfaces' addresses all\n"
"                          the same (repeat; wins over the above)\n"
"      --wireguard IFNAME  punch from this WireGuard interface's port (and\n"
"                          fwmark); --port may then be left out\n"
"      --wg-peer ID=KEY    ID's public key on it: its endpoint follows\n"
"                          the path found, with a handshake at once\n"
"      --port-mapping yes|no  ask the gateway to map our port, by PCP,\n"
"                          NAT-PMP or UPnP-IGD (yes)\n"
"      --prime yes|no      when called, open our NATs first with probes\n"
"                          whose TTL dies beyond them (yes)\n"
"      --relay-first yes|no  run the relay beside the punch from the start,\n"
"                          move to direct when it is up (yes)\n"
"      --trickle yes|no    while punching, ask our mapping again and send\n"
"                          the peer a new one; punch what the peer sends (yes)\n"
"  -h, --help    -V, --version\n"
"See punchd(8).\n");
}

static int seconds_ms(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || v == 0 || v > 86400)
		return -1;
	*out = (uint32_t)(v * 1000);
	return 0;
}

static int yes_no(const char *s, bool *out)
{
	if (!strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "no"))
		*out = false;
	else
		return -1;
	return 0;
}

static int port_arg(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || !v || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int count_arg(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || *s == '-' || !v || v > 100000)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* Decimal or 0x hex, as punchctl takes it; 0 (no tag) too. */
static int tag_arg(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || *s < '0' || *s > '9' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int glob_arg(const char **globs, const char *glob)
{
	unsigned int n = 0;

	while (globs[n])
		n++;
	if (n == PD_IFACE_MAX_GLOBS || !*glob || strlen(glob) > PD_IFACE_GLOB_MAX)
		return -1;
	globs[n] = strdup(glob);
	return globs[n] ? 0 : -1;
}

static int connect_arg(const char *id)
{
	unsigned int n = 0;
	const char **more;

	while (pd_cfg.connect && pd_cfg.connect[n])
		n++;
	if (n == PD_MAX_PEERS_LIMIT || !sig_word_ok(id))
		return -1;
	more = realloc(pd_cfg.connect, (n + 2) * sizeof(*more));
	if (!more)
		return -1;
	pd_cfg.connect = more;
	more[n] = strdup(id);
	more[n + 1] = NULL;
	return more[n] ? 0 : -1;
}

static int apply(int opt, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;
	char *dup;

	switch (opt) {
	case 's':
		if (strlen(arg) >= sizeof(pd_cfg.server) ||
		    pd_cfg.n_servers == PD_MAX_SERVERS ||
		    (inet_pton(AF_INET, arg, &a4) != 1 &&
		     inet_pton(AF_INET6, arg, &a6) != 1))
			return -1;
		strcpy(pd_cfg.servers[pd_cfg.n_servers++], arg);
		if (pd_cfg.n_servers == 1)
			strcpy(pd_cfg.server, arg);
		return 0;
	case 'P':
		return port_arg(arg, &pd_cfg.signal_port);
	case 'S':
		return port_arg(arg, &pd_cfg.stun_port);
	case 'p':
		return port_arg(arg, &pd_cfg.port);
	case 'i':
		if (!sig_word_ok(arg))
			return -1;
		strcpy(pd_cfg.id, arg);
		return 0;
	case 'k':
		pd_cfg.secret_len = sig_secret_file(arg, pd_cfg.secret);
		return pd_cfg.secret_len < 0 ? -1 : 0;
	case 'H':
	case 'u':
	case 'd':
		dup = strdup(arg);
		if (!dup)
			return -1;
		*(opt == 'H' ? &pd_cfg.hook : opt == 'u' ? &pd_cfg.socket_path :
		  &pd_cfg.state_dir) = dup;
		return 0;
	case 1:
		return seconds_ms(arg, &pd_cfg.keepalive_ms);
	case 2:
		return seconds_ms(arg, &pd_cfg.punch_timeout_ms);
	case 3:
		return seconds_ms(arg, &pd_cfg.timeout_ms);
	case 4:
		return yes_no(arg, &pd_cfg.relay);
	case 6:
		return seconds_ms(arg, &pd_cfg.keepalive_min_ms);
	case 7:
		return seconds_ms(arg, &pd_cfg.keepalive_max_ms);
	case 8:
		return yes_no(arg, &pd_cfg.spray);
	case 5:
		return yes_no(arg, &pd_cfg.host_candidates);
	case 9:
		return pd_policy_add_peer(arg);
	case 12:
	case 13:
		dup = strdup(arg);
		if (!dup)
			return -1;
		free((char *)(opt == 12 ? pd_cfg.tls_ca : pd_cfg.tls_pin));
		*(opt == 12 ? &pd_cfg.tls_ca : &pd_cfg.tls_pin) = dup;
		return 0;
	case 14:
		if (strlen(arg) >= sizeof(pd_cfg.tls_name))
			return -1;
		strcpy(pd_cfg.tls_name, arg);
		return 0;
	case 15:
		pd_cfg.plaintext = true;
		return 0;
	case 10:
	case 11:
		return count_arg(arg, opt == 10 ? &pd_cfg.offer_rate :
				 &pd_cfg.peer_offer_rate);
	case 16:
	case 17:
		return count_arg(arg, opt == 16 ? &pd_cfg.session_probes :
				 &pd_cfg.peer_probes);
	case 18:
		return tag_arg(arg, &pd_cfg.tag);
	case 19:
		return glob_arg(pd_cfg.exclude_ifaces, arg);
	case 20:
		return glob_arg(pd_cfg.include_ifaces, arg);
	case 21:
		if (strlen(arg) >= IF_NAMESIZE || !*arg)
			return -1;
		free((char *)pd_cfg.wg_ifname);
		pd_cfg.wg_ifname = strdup(arg);
		return pd_cfg.wg_ifname ? 0 : -1;
	case 22:
		return pd_wgctl_add_peer(arg);
	case 23:
		return yes_no(arg, &pd_cfg.port_mapping);
	case 24:
		return connect_arg(arg);
	case 25:
		return yes_no(arg, &pd_cfg.prime);
	case 26:
		return yes_no(arg, &pd_cfg.relay_first);
	case 27:
		return yes_no(arg, &pd_cfg.trickle);
	case 28:
		return count_arg(arg, &pd_cfg.max_peers) ||
		       pd_cfg.max_peers > PD_MAX_PEERS_LIMIT ? -1 : 0;
	case 29:
		return count_arg(arg, &pd_cfg.connect_rate) ||
		       pd_cfg.connect_rate > 1000 ? -1 : 0;
	case 30:
		return seconds_ms(arg, &pd_cfg.rediscover_ms);
	}
	return -1;
}

static void help(void)
{
	usage(stdout);
}

static void version(void)
{
	printf("punchd %s\n", NFPUNCH_TOOLS_VERSION);
}

static int parse_args(int argc, char **argv)
{
	return conf_getopt(argc, argv, "+:c:s:P:S:i:k:p:H:u:d:hV", longopts,
			   apply, help, version);
}

/*
 * "connect PEER --tcp [-- CMD...]" or "accept --tcp [PEER] [-- CMD...]":
 * what it asks (enum nfp_tcp_how), *peer and *cmd; -1 if it is not one.
 */
static int tcp_command(int argc, char **argv, const char **peer, char ***cmd)
{
	bool tcp = false;
	int i;

	*peer = NULL;
	*cmd = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			*cmd = argv + i + 1;
			break;
		}
		if (!strcmp(argv[i], "--tcp") && !tcp)
			tcp = true;
		else if (!*peer && sig_word_ok(argv[i]))
			*peer = argv[i];
		else
			return -1;
	}
	if (!tcp || (*cmd && !**cmd))
		return -1;
	if (!strcmp(argv[0], "connect") && *peer)
		return NFP_TCP_CONNECT;
	if (!strcmp(argv[0], "accept"))
		return NFP_TCP_ACCEPT;
	return -1;
}

/* The client side of the control socket: one command, print the answer. */
static int client(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	bool json = argc == 2 && !strcmp(argv[0], "status") &&
		    (!strcmp(argv[1], "-j") || !strcmp(argv[1], "--json"));
	char buf[4096], line[128], head[6] = "", **cmd;
	size_t used = 0, head_len = 0;
	const char *peer;
	int how = tcp_command(argc, argv, &peer, &cmd);
	int fd, ok = 1;
	ssize_t n, i;

	if (how >= 0)
		return pd_tcp_client(pd_cfg.socket_path, how, peer, cmd);
	if (!strcmp(argv[0], "status") ? argc != 1 && !json :
	    !strcmp(argv[0], "discover") ? argc != 1 :
	    (strcmp(argv[0], "connect") && strcmp(argv[0], "disconnect")) ||
	    argc != 2 || !sig_word_ok(argv[1])) {
		fprintf(stderr, "punchd: bad command; see punchd --help\n");
		return 2;
	}
	if (json)
		snprintf(line, sizeof(line), "status json\n");
	else
		snprintf(line, sizeof(line), "%s%s%s\n", argv[0], argc > 1 ? " " : "",
			 argc > 1 ? argv[1] : "");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", pd_cfg.socket_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "punchd: %s: %s (is punchd running?)\n",
			pd_cfg.socket_path, strerror(errno));
		return 1;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "punchd: %s\n", strerror(errno));
		return 1;
	}
	/* Any length (a status of many peers); a line starting "error" fails. */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		used += (size_t)n;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				head_len = 0;
			} else if (head_len < 5) {
				head[head_len++] = buf[i];
				if (head_len == 5 && !memcmp(head, "error", 5))
					ok = 0;
			}
		}
	}
	close(fd);
	return used && ok ? 0 : 1;
}

/*
 * A module older than app tags (0.1.0, still loaded after an upgrade of
 * the package) refuses the attribute in every request: work untagged
 * until it is reloaded, rather than fail every connect.
 */
static bool module_has_tags(void)
{
	struct nfp_flow *match = nfp_flow_alloc();
	int ret = -ENOMEM;

	if (match && !nfp_flow_set_u32(match, NFP_FLOW_APP_TAG, pd_cfg.tag))
		ret = nfp_flow_dump(pd_nfp, match, NULL, NULL);
	nfp_flow_free(match);
	if (ret == -EINVAL) {
		pd_log("module-without-tags", "tag=none error=\"%s\" fix=\"reload the nfpunch module\"",
		       nfp_strerror(pd_nfp));
		return false;
	}
	return true;
}

/*
 * Only our flows' events, and only our flows in a resync: another
 * program's flows in this namespace are none of punchd's business.
 */
static int events_only_ours(struct nfp_events *ev)
{
	struct nfp_flow *match = nfp_flow_alloc();
	int ret;

	if (!match)
		return -ENOMEM;
	ret = nfp_flow_set_u32(match, NFP_FLOW_APP_TAG, pd_cfg.tag) ?:
	      nfp_events_set_filter(ev, match);
	nfp_flow_free(match);
	return ret;
}

static int signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	/* Every way to ask us to stop ends the loop: the state is written. */
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static int on_event(const struct nfp_event *e, void *arg)
{
	pd_peers_event(e);
	return 0;
}

/*
 * What is queued, and after a loss (the socket's buffer overflowed) what
 * the module has: the flows' states stand in for the lost events.
 */
static bool need_resync;

static void read_events(struct nfp_events *ev)
{
	int ret = 0, rounds;

	/* Bounded: a flood of events cannot keep the loop here; a resync
	 * that failed is tried again on the next round (and the tick). */
	for (rounds = 0; rounds < 8; rounds++) {
		if (!need_resync) {
			ret = nfp_events_read(ev, on_event, NULL);
			if (ret != -ENOBUFS)
				break;
			need_resync = true;
		}
		pd_peers_resync_begin();
		ret = nfp_events_resync(ev, pd_nfp, on_event, NULL);
		pd_peers_resync_end(ret >= 0);
		pd_log("events-lost", "resync=%s events=%d", ret < 0 ? "failed" : "done",
		       ret < 0 ? 0 : ret);
		if (ret >= 0)
			need_resync = false;
	}
	if (ret < 0 && ret != -ENOBUFS && ret != -EINTR)
		pd_log("events-failed", "error=\"%s\"", strerror(-ret));
}

enum { FD_SIG, FD_EVENTS, FD_CTL, FD_LINK, FD_FIRST_CLIENT };
#define MAX_CLIENTS	16
#define MAX_NAT_FDS	20
#define MAX_PM_FDS	5	/* and the TCP calls' and the network watch */

static void run(int sigfd, struct nfp_events *ev)
{
	struct pollfd pfd[FD_FIRST_CLIENT + MAX_CLIENTS + MAX_NAT_FDS + MAX_PM_FDS];
	struct signalfd_siginfo si;
	int clients[MAX_CLIENTS], n_clients, i;
	int nat_fds[MAX_NAT_FDS], n_nat, nat_at;
	int pm_fds[MAX_PM_FDS], n_pm, pm_at;
	uint64_t now, next;

	for (;;) {
		now = pd_now_ms();
		next = now + 5000;
		pd_link_tick(now, &next);
		pd_peers_tick(now, &next);
		pd_nat_tick(now, &next);
		pd_wgctl_tick(now, &next);
		pd_portmap_tick(now, &next);
		pd_netwatch_tick(now, &next);
		pd_tcp_tick(now, &next);
		pd_state_tick(now, &next);
		if (need_resync && next > now + 1000)
			next = now + 1000;	/* a failed resync: again soon */
		pfd[FD_SIG] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		pfd[FD_EVENTS] = (struct pollfd){ .fd = nfp_events_fd(ev),
						  .events = POLLIN };
		pfd[FD_CTL] = (struct pollfd){ .fd = pd_control_fd(),
					       .events = POLLIN };
		pfd[FD_LINK] = (struct pollfd){ .fd = pd_link_fd(),
						.events = pd_link_events() };
		n_clients = pd_control_fds(clients, MAX_CLIENTS);
		for (i = 0; i < n_clients; i++)
			pfd[FD_FIRST_CLIENT + i] = (struct pollfd){
				.fd = clients[i], .events = POLLIN };
		nat_at = FD_FIRST_CLIENT + n_clients;
		n_nat = pd_nat_fds(nat_fds, MAX_NAT_FDS);
		for (i = 0; i < n_nat; i++)
			pfd[nat_at + i] = (struct pollfd){
				.fd = nat_fds[i], .events = POLLIN };
		pm_at = nat_at + n_nat;
		n_pm = pd_portmap_fds(pm_fds, MAX_PM_FDS - 2);
		if (pd_tcp_fd() >= 0)
			pm_fds[n_pm++] = pd_tcp_fd();
		if (pd_netwatch_fd() >= 0)	/* last of all */
			pm_fds[n_pm++] = pd_netwatch_fd();
		for (i = 0; i < n_pm; i++)
			pfd[pm_at + i] = (struct pollfd){
				.fd = pm_fds[i], .events = POLLIN };
		if (poll(pfd, (nfds_t)(pm_at + n_pm),
			 (int)(next > now ? next - now : 0)) < 0 && errno != EINTR)
			return;
		if (pfd[FD_SIG].revents) {
			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					pd_hook_reap();
					continue;
				}
				pd_log("stop", "signal=%s flows=kept",
				       strsignal((int)si.ssi_signo));
				return;
			}
		}
		if (pfd[FD_EVENTS].revents || need_resync)
			read_events(ev);
		if (pfd[FD_LINK].fd >= 0 && pfd[FD_LINK].revents)
			pd_link_input();
		if (pfd[FD_CTL].revents)
			pd_control_accept();
		for (i = 0; i < n_clients; i++)
			if (pfd[FD_FIRST_CLIENT + i].revents)
				pd_control_input(clients[i]);
		for (i = 0; i < n_nat; i++)
			if (pfd[nat_at + i].revents)
				pd_nat_input(nat_fds[i]);
		for (i = 0; i < n_pm; i++) {
			if (!pfd[pm_at + i].revents)
				continue;
			if (pm_fds[i] == pd_netwatch_fd())
				pd_netwatch_input();
			else if (pm_fds[i] == pd_tcp_fd())
				pd_tcp_input();
			else
				pd_portmap_input(pm_fds[i]);
		}
	}
}

/* --connect ids must be others, and callable under --peer. */
static int check_connect(void)
{
	unsigned int i;

	for (i = 0; pd_cfg.connect && pd_cfg.connect[i]; i++) {
		if (!strcmp(pd_cfg.connect[i], pd_cfg.id) ||
		    !pd_policy_allowed(pd_cfg.connect[i])) {
			fprintf(stderr, "punchd: --connect %s: %s\n", pd_cfg.connect[i],
				!strcmp(pd_cfg.connect[i], pd_cfg.id) ? "that is us" :
				"not among the --peer ids");
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nfp_events *ev;
	int sigfd, ret, i;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "Try 'punchd --help'.\n");
		return 2;
	}
	if (optind < argc)
		return client(argc - optind, argv + optind);
	if (pd_wgctl_setup())
		return 1;
	if (!pd_cfg.server[0] || !pd_cfg.id[0] || pd_cfg.secret_len <= 0 ||
	    !pd_cfg.port) {
		fprintf(stderr, "punchd: --server, --id, --secret-file and --port (or --wireguard) are required\n");
		return 2;
	}
	if (check_connect())
		return 2;
	if (!pd_cfg.plaintext && !pd_cfg.tls_ca == !pd_cfg.tls_pin) {
		fprintf(stderr, "punchd: give --tls-ca FILE or --tls-pin HEX (one of them)\n");
		return 2;
	}
	if (pd_link_setup())
		return 1;
	if (pd_peers_init(pd_cfg.max_peers)) {
		fprintf(stderr, "punchd: --max-peers %u: %s\n", pd_cfg.max_peers,
			strerror(ENOMEM));
		return 1;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	sigfd = signals_open();
	ret = nfp_events_open(&ev);
	if (sigfd < 0 || ret < 0) {
		fprintf(stderr, "punchd: events: %s\n", strerror(ret < 0 ? -ret : errno));
		return 1;
	}
	ret = nfp_open(&pd_nfp);
	if (ret < 0) {
		fprintf(stderr, "punchd: module: %s\n", strerror(-ret));
		return 1;
	}
	if (pd_cfg.tag && !module_has_tags())
		pd_cfg.tag = 0;
	if (pd_cfg.tag && (ret = events_only_ours(ev)) < 0) {
		fprintf(stderr, "punchd: events: %s\n", strerror(-ret));
		return 1;
	}
	pd_tcp_init();
	if (pd_control_open()) {
		fprintf(stderr, "punchd: %s: %s\n", pd_cfg.socket_path,
			strerror(errno));
		return 1;
	}
	pd_log("start", "version=%s server=%s port=%u", NFPUNCH_TOOLS_VERSION,
	       pd_cfg.server, pd_cfg.port);
	pd_state_load();
	pd_state_sweep();
	for (i = 0; pd_cfg.connect && pd_cfg.connect[i]; i++)
		if (pd_peer_want(pd_cfg.connect[i]))
			pd_log("connect-failed", "peer=%s reason=too-many-peers",
			       pd_cfg.connect[i]);
	pd_portmap_start();
	if (pd_netwatch_open())
		pd_log("netwatch-failed", "error=\"%s\"", strerror(errno));
	run(sigfd, ev);
	pd_state_flush();
	pd_netwatch_close();
	pd_wgctl_close();
	pd_portmap_stop();
	pd_control_close();
	pd_link_teardown();
	pd_tcp_close();
	nfp_events_close(ev);
	nfp_close(pd_nfp);
	return 0;
}
