// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Counters, and the Prometheus text format served by libmicrohttpd in
 * the main loop: no thread (MHD's epoll descriptor sits in ours), a few
 * connections with a short timeout, and nothing but GET /metrics. The
 * page holds counts only: no ids, addresses or secrets.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "metrics.h"
#include "rdv.h"

#define REASONS		32	/* distinct reasons per kind; more: "other" */
#define PAGE_MAX	16384

/* Added to by the STUN workers too: atomic, relaxed (counts only). */
static uint64_t counters[RDV_C_COUNT];
static struct {
	const char *reason;
	uint64_t n;
} reasons[RDV_R_COUNT][REASONS];

static struct MHD_Daemon *daemon_;
static struct rdv_io io = { .kind = RDV_METRICS, .fd = -1 };

void rdv_count(enum rdv_counter c, uint64_t n)
{
	__atomic_fetch_add(&counters[c], n, __ATOMIC_RELAXED);
}

uint64_t rdv_counter(enum rdv_counter c)
{
	return __atomic_load_n(&counters[c], __ATOMIC_RELAXED);
}

void rdv_count_reason(enum rdv_reason_kind k, const char *reason)
{
	unsigned int i;

	for (i = 0; i < REASONS - 1 && reasons[k][i].reason; i++)
		if (!strcmp(reasons[k][i].reason, reason))
			break;
	if (!reasons[k][i].reason)
		reasons[k][i].reason = i < REASONS - 1 ? reason : "other";
	reasons[k][i].n++;
}

struct page {
	char buf[PAGE_MAX];
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void put(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->len >= sizeof(p->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len, fmt, ap);
	va_end(ap);
	/* Cut short: the page is marked full, and served as an error. */
	if (n < 0 || (size_t)n >= sizeof(p->buf) - p->len)
		p->len = sizeof(p->buf);
	else
		p->len += (size_t)n;
}

static void metric(struct page *p, const char *name, const char *type,
		   const char *help)
{
	put(p, "# HELP rendezvousd_%s %s\n# TYPE rendezvousd_%s %s\n",
	    name, help, name, type);
}

static void counter(struct page *p, const char *name, enum rdv_counter c,
		    const char *help)
{
	metric(p, name, "counter", help);
	put(p, "rendezvousd_%s %llu\n", name, (unsigned long long)rdv_counter(c));
}

static void by_reason(struct page *p, const char *name, enum rdv_reason_kind k,
		      const char *help)
{
	unsigned int i;

	metric(p, name, "counter", help);
	for (i = 0; i < REASONS && reasons[k][i].reason; i++)
		put(p, "rendezvousd_%s{reason=\"%s\"} %llu\n", name,
		    reasons[k][i].reason, (unsigned long long)reasons[k][i].n);
}

/* The counters, as the page names and explains them. */
static const struct {
	const char *name;
	enum rdv_counter c;
	const char *help;
} counters_shown[] = {
	{ "stun_answers_total", RDV_C_STUN_ANSWERS,
	  "STUN responses sent, over UDP and TCP (errors included)." },
	{ "stun_limited_total", RDV_C_STUN_LIMITED,
	  "STUN requests not answered: their source was over --stun-rate (UDP) or its connection over --msg-rate (TCP)." },
	{ "stun_ignored_total", RDV_C_STUN_IGNORED,
	  "STUN datagrams or TCP messages left unanswered: no Binding request, or one refused." },
	{ "registrations_total", RDV_C_REGISTERED, "Successful registrations." },
	{ "auth_failures_total", RDV_C_AUTH_FAILURES,
	  "Registrations refused for a wrong proof or an unknown id." },
	{ "sessions_total", RDV_C_SESSIONS,
	  "Sessions started (CONNECTs taken, the callee online or not)." },
	{ "relays_total", RDV_C_RELAYS, "Relays allocated." },
	{ "trickles_total", RDV_C_TRICKLES,
	  "CANDIDATEs (trickled candidates) passed on to the other side." },
	{ "relay_packets_total", RDV_C_RELAY_PACKETS, "Datagrams relayed." },
	{ "relay_bytes_total", RDV_C_RELAY_BYTES, "Payload bytes relayed." },
	{ "relay_dropped_total", RDV_C_RELAY_DROPPED,
	  "Datagrams a relay did not forward (unknown source, over --relay-rate)." },
	{ "log_suppressed_total", RDV_C_LOG_SUPPRESSED,
	  "Log lines not written: over --log-rate." },
};

static void render(struct page *p)
{
	unsigned int hs = rdv_clients_handshaking(), stun = rdv_clients_stun(), i;

	metric(p, "clients", "gauge",
	       "Connections to the signaling port, by state (stun: STUN over TCP).");
	put(p, "rendezvousd_clients{state=\"registered\"} %u\n",
	    rdv_clients_count() - hs);
	put(p, "rendezvousd_clients{state=\"handshake\"} %u\n", hs - stun);
	put(p, "rendezvousd_clients{state=\"stun\"} %u\n", stun);
	metric(p, "sessions_open", "gauge", "Sessions open.");
	put(p, "rendezvousd_sessions_open %u\n", rdv_sessions_count());
	metric(p, "relays_active", "gauge", "Relays allocated now.");
	put(p, "rendezvousd_relays_active %u\n", rdv_relays_count());
	for (i = 0; i < sizeof(counters_shown) / sizeof(counters_shown[0]); i++)
		counter(p, counters_shown[i].name, counters_shown[i].c,
			counters_shown[i].help);
	by_reason(p, "connections_refused_total", RDV_R_REFUSED,
		  "Signaling connections refused at accept, by reason.");
	by_reason(p, "disconnects_total", RDV_R_DISCONNECTS,
		  "Signaling connections ended, by reason.");
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *text, size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)text,
					    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	static struct page page;
	static const char plain[] = "text/plain; charset=utf-8";

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		/* A body is not read: answer at once, MHD closes after it. */
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n", 9, plain);
	}
	(void)state;
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "/metrics only\n", 14, plain);
	page.len = 0;
	render(&page);
	if (page.len >= sizeof(page.buf))
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "page too long\n", 14, plain);
	return reply(conn, MHD_HTTP_OK, page.buf, page.len,
		     "text/plain; version=0.0.4; charset=utf-8");
}

int rdv_metrics_open(const struct sockaddr_storage *addr)
{
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_EPOLL;

	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * Scrapes come once in a while from one collector: a few slots, two
	 * per address, 5 s of silence each and little memory keep a slow
	 * client from costing the server anything. (A client that trickles
	 * can hold its slots: the endpoint belongs on a private address.)
	 */
	errno = 0;
	daemon_ = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
				   MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
				   MHD_OPTION_CONNECTION_LIMIT, 16U,
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, 2U,
				   MHD_OPTION_CONNECTION_TIMEOUT, 5U,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
				   MHD_OPTION_END);
	if (!daemon_) {
		if (!errno)
			errno = EADDRNOTAVAIL;
		return -1;
	}
	info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		MHD_stop_daemon(daemon_);
		daemon_ = NULL;
		errno = ENOTSUP;
		return -1;
	}
	io.fd = info->epoll_fd;
	if (rdv_epoll_add(&io, EPOLLIN)) {
		MHD_stop_daemon(daemon_);
		daemon_ = NULL;
		return -1;
	}
	return 0;
}

void rdv_metrics_run(void)
{
	MHD_UNSIGNED_LONG_LONG ms;
	int rounds;

	/*
	 * With epoll, connections MHD has already seen ready do not wake its
	 * descriptor again: run while it says there is work now (bounded).
	 */
	for (rounds = 0; daemon_ && rounds < 8; rounds++) {
		MHD_run(daemon_);
		if (MHD_get_timeout(daemon_, &ms) != MHD_YES || ms > 0)
			break;
	}
}

void rdv_metrics_close(void)
{
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}
