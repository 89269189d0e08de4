// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port mapping on the home gateway (--port-mapping): ask it to forward a
 * public port to our punch port, by PCP (RFC 6887) first, NAT-PMP
 * (RFC 6886, libnatpmp) when PCP is refused or silent, UPnP-IGD
 * (miniupnpc, in a thread) last. One at a time: a gateway often serves
 * all three from one table, and a second mapping of the same port would
 * be relabelled, or deleted, by the other protocol.
 *
 * A mapping is only a claim by a box on the LAN (NAT-PMP and UPnP answers
 * can be forged there), so it is used only when its address is the one
 * the server sees us at (see pd_portmap_candidate()). Renewed at half its
 * lifetime, deleted at exit; when nothing answers, asked again every ten
 * minutes; IPv4 only (what the three protocols map for a home NAT).
 * A gateway that restarts says so to all hosts (PCP ANNOUNCE, NAT-PMP's
 * address announcement, to 224.0.0.1:5350): a mapping it lost is no
 * longer offered and is asked for again within a few seconds, not at the
 * next renewal, and a gateway that had nothing to offer is asked again.
 * Anyone on the LAN can send these from the gateway's address: at most
 * one is acted on every ANNOUNCE_GAP_MS, and the worst it does is a
 * renewal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#define ENABLE_STRNATPMPERR	/* its error strings */
#include <natpmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cand_filter.h"
#include "pcp.h"
#include "portmap_upnp.h"
#include "punchd.h"

#define PM_LIFETIME_S		7200
#define PM_MIN_LIFETIME_S	120	/* shorter: renewing would be all it does */
#define PM_TRIES		3
#define PM_FIRST_WAIT_MS	250	/* then doubling: 250, 500, 1000 */
#define PM_RENEW_RETRY_MS	5000
#define PM_AGAIN_MS		(10 * 60 * 1000)
/* After an announcement, within this much (RFC 6887 14.1.3: a random
 * wait, so that a LAN's hosts do not all ask at once). */
#define PM_ANNOUNCE_SPREAD_MS	3000
/* At most one announcement acted on in this long (a NAT-PMP gateway
 * repeats its own ten times; a forger, as often as it likes). */
#define PM_ANNOUNCE_GAP_MS	5000
/* Datagrams read per wakeup: a flood must not hold the loop. */
#define PM_ANNOUNCE_BATCH	8

enum pm_state { PM_IDLE, PM_PCP, PM_NATPMP, PM_UPNP, PM_MAPPED, PM_NONE };

static struct {
	enum pm_state state;
	const char *method;		/* "pcp", "natpmp", "upnp" once mapped */
	uint64_t due;			/* next send, or the step's end */
	unsigned int tries;
	in_addr_t gateway;
	int announce_fd;		/* 224.0.0.1:5350, from the gateway */
	uint64_t announce_at;		/* the last one acted on */
	bool withdrawn;			/* the gateway restarted: not offered */
	/* PCP */
	int pcp_fd;
	struct pcp_map req;
	uint32_t epoch;			/* RFC 6887 8.5: the gateway's clock */
	uint64_t epoch_at;		/* ours when it said so */
	bool has_epoch;
	/* NAT-PMP: a mapping, then the public address */
	natpmp_t np;
	bool np_open, np_mapped;
	uint16_t np_port;
	uint32_t np_lifetime;
	/* the result */
	struct sig_ep external;
	uint32_t lifetime;
	uint64_t expires;
} pm = { .pcp_fd = -1, .announce_fd = -1, .np = { .s = -1 } };

static void announce_close(void)
{
	if (pm.announce_fd >= 0)
		close(pm.announce_fd);
	pm.announce_fd = -1;
}

/*
 * 224.0.0.1:5350, where a gateway speaks to all hosts: bound to the group
 * (so nothing sent to our own addresses lands here), shared with the
 * host's other clients, of any user (SO_REUSEADDR) or ours (SO_REUSEPORT).
 * Every host is in the group already.
 */
static void announce_open(void)
{
	struct sockaddr_in group = {
		.sin_family = AF_INET, .sin_port = htons(PCP_ANNOUNCE_PORT),
		.sin_addr.s_addr = htonl(INADDR_ALLHOSTS_GROUP),
	};
	int fd, one = 1;

	if (pm.announce_fd >= 0)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&group, sizeof(group))) {
		pd_log("portmap", "announce=off error=\"%s\"", strerror(errno));
		close(fd);
		return;
	}
	pm.announce_fd = fd;
}

static void pcp_close(void)
{
	if (pm.pcp_fd >= 0)
		close(pm.pcp_fd);
	pm.pcp_fd = -1;
}

static void np_close(void)
{
	if (pm.np_open)
		closenatpmp(&pm.np);
	pm.np_open = false;
	pm.np.s = -1;
}

static int pcp_open(void)
{
	struct sockaddr_in gw = { .sin_family = AF_INET, .sin_port = htons(PCP_PORT),
				  .sin_addr.s_addr = pm.gateway };
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&gw, sizeof(gw)) ||
	    getsockname(fd, (struct sockaddr *)&me, &len)) {
		close(fd);
		return -1;
	}
	memset(pm.req.client, 0, 10);
	pm.req.client[10] = pm.req.client[11] = 0xff;
	memcpy(pm.req.client + 12, &me.sin_addr, 4);
	pm.pcp_fd = fd;
	return 0;
}

/* libnatpmp's socket, to the gateway we found ourselves. */
static int np_open(void)
{
	if (initnatpmp(&pm.np, 1, pm.gateway) < 0) {
		/* It returns without closing what it opened. */
		if (pm.np.s >= 0)
			close(pm.np.s);
		pm.np.s = -1;
		return -1;
	}
	fcntl(pm.np.s, F_SETFD, FD_CLOEXEC);	/* not the hook's */
	pm.np_open = true;
	pm.np_mapped = false;
	return 0;
}

static void pcp_send(uint32_t lifetime)
{
	uint8_t buf[PCP_MAP_LEN];
	size_t len;

	pm.req.lifetime = lifetime;
	len = pcp_map_build(&pm.req, buf);
	if (pm.pcp_fd >= 0)
		(void)!send(pm.pcp_fd, buf, len, 0);
}

static void np_send(uint32_t lifetime)
{
	/* A deletion suggests no public port (RFC 6886 3.4). */
	if (pm.np_open)
		sendnewportmappingrequest(&pm.np, NATPMP_PROTOCOL_UDP, pd_cfg.port,
					  lifetime ? (pm.np_port ? pm.np_port : pd_cfg.port) : 0,
					  lifetime);
}

static void step(enum pm_state state, uint64_t now)
{
	pm.state = state;
	pm.tries = 0;
	pm.due = now;
}

static void give_up(const char *reason, uint64_t now)
{
	pcp_close();
	np_close();
	pd_log("portmap", "result=none reason=%s", reason);
	pm.state = PM_NONE;
	pm.due = now + PM_AGAIN_MS;
}

void pd_portmap_start(void)
{
	uint64_t now = pd_now_ms();

	pcp_close();
	np_close();
	memset(&pm.external, 0, sizeof(pm.external));
	pm.method = NULL;
	pm.np_port = 0;
	pm.has_epoch = false;
	pm.withdrawn = false;
	if (!pd_cfg.port_mapping)
		return;
	pm.gateway = pd_default_gateway4();
	if (!pm.gateway) {
		give_up("no-gateway", now);
		return;
	}
	announce_open();
	if (getrandom(pm.req.nonce, sizeof(pm.req.nonce), 0) != sizeof(pm.req.nonce)) {
		give_up("no-random", now);
		return;
	}
	pm.req.protocol = 17;
	pm.req.internal_port = pd_cfg.port;
	pm.req.external_port = pd_cfg.port;	/* a wish; the gateway decides */
	/* An IPv4 mapping, any address: ::ffff:0.0.0.0 (RFC 6887 11.1). */
	memset(pm.req.external, 0, sizeof(pm.req.external));
	pm.req.external[10] = pm.req.external[11] = 0xff;
	if (pcp_open()) {
		step(PM_NATPMP, now);
		return;
	}
	step(PM_PCP, now);
}

int pd_portmap_fds(int *fds, int max)
{
	int n = 0;

	if (pm.pcp_fd >= 0 && n < max)
		fds[n++] = pm.pcp_fd;
	if (pm.announce_fd >= 0 && n < max)
		fds[n++] = pm.announce_fd;
	if (pm.np_open && n < max)
		fds[n++] = pm.np.s;
	if (pd_upnp_fd() >= 0 && n < max)
		fds[n++] = pd_upnp_fd();
	return n;
}

static void mapped(const char *method, const uint8_t *addr4, uint16_t port,
		   uint32_t lifetime)
{
	char ep[SIG_EP_STRLEN];
	uint64_t now = pd_now_ms();
	bool fresh = pm.state != PM_MAPPED || pm.external.port != port ||
		     memcmp(pm.external.addr, addr4, 4);

	/* Too short to be worth it; and never longer than asked. */
	if (lifetime < PM_MIN_LIFETIME_S) {
		pd_log("portmap", "method=%s result=refused reason=lifetime-%us", method,
		       lifetime);
		return;
	}
	if (lifetime > PM_LIFETIME_S)
		lifetime = PM_LIFETIME_S;
	memset(&pm.external, 0, sizeof(pm.external));
	pm.external.family = AF_INET;
	memcpy(pm.external.addr, addr4, 4);
	pm.external.port = port;
	pm.method = method;
	pm.withdrawn = false;
	pm.lifetime = lifetime;
	pm.expires = now + lifetime * 1000ull;
	pm.state = PM_MAPPED;
	pm.due = now + lifetime * 500ull;
	pm.tries = 0;
	/* Renewals suggest what was given (RFC 6887 11.2). */
	pm.req.external_port = port;
	memcpy(pm.req.external + 12, addr4, 4);
	if (strcmp(method, "pcp"))
		pcp_close();
	if (strcmp(method, "natpmp"))
		np_close();
	if (fresh)
		pd_log("portmap", "result=mapped method=%s external=%s lifetime_s=%u",
		       method, sig_ep_format(&pm.external, ep, sizeof(ep)), lifetime);
}

/*
 * RFC 6887 8.5: the gateway lost its state if its clock ran slower than
 * ours since the last answer (with its tolerance), or went backwards.
 */
static bool gateway_restarted(uint32_t epoch, uint64_t now)
{
	uint64_t client_delta, server_delta;
	bool lost;

	if (!pm.has_epoch) {
		lost = false;
	} else if (epoch + 1 < pm.epoch) {
		lost = true;
	} else {
		client_delta = (now - pm.epoch_at) / 1000;
		server_delta = epoch > pm.epoch ? epoch - pm.epoch : 0;
		lost = client_delta + 2 < server_delta - server_delta / 16 ||
		       server_delta + 2 < client_delta - client_delta / 16;
	}
	pm.epoch = epoch;
	pm.epoch_at = now;
	pm.has_epoch = true;
	return lost;
}

static void pcp_input(void)
{
	uint8_t buf[PCP_MAX_LEN + 4];
	struct pcp_answer a;
	uint64_t now;
	ssize_t n;

	while ((n = recv(pm.pcp_fd, buf, sizeof(buf), 0)) >= 0) {
		if (pcp_map_parse(&pm.req, buf, (size_t)n, &a))
			continue;	/* not ours: nothing is learnt from it */
		now = pd_now_ms();
		if (a.version == 0 || a.result == PCP_UNSUPP_VERSION) {
			pcp_close();	/* RFC 6887 9: a NAT-PMP gateway */
			if (pm.state == PM_PCP)
				step(PM_NATPMP, now);
			return;
		}
		if (a.result != PCP_SUCCESS) {
			pd_log("portmap", "method=pcp result=%s", pcp_result_name(a.result));
			if (pm.state == PM_PCP) {
				pcp_close();
				step(PM_NATPMP, now);
			}
			return;
		}
		if (memcmp(a.external, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			continue;	/* not the IPv4 mapping asked for */
		if (gateway_restarted(a.epoch, now) && pm.state == PM_MAPPED)
			pd_log("portmap", "method=pcp event=gateway-restarted");
		mapped("pcp", a.external + 12, a.external_port, a.lifetime);
	}
	/* An ICMP port unreachable: no PCP server there. */
	if (errno == ECONNREFUSED && pm.state == PM_PCP) {
		pcp_close();
		step(PM_NATPMP, pd_now_ms());
	}
}

static void np_input(void)
{
	natpmpresp_t r;
	int ret;

	ret = readnatpmpresponseorretry(&pm.np, &r);
	/* Nothing pending: a duplicate answer to a resent request. */
	if (ret == NATPMP_TRYAGAIN || ret == NATPMP_ERR_NOPENDINGREQ) {
		char drop[16];

		while (recv(pm.np.s, drop, sizeof(drop), MSG_DONTWAIT) >= 0)
			;
		return;
	}
	if (ret < 0) {
		pd_log("portmap", "method=natpmp result=\"%s\"", strnatpmperr(ret));
		np_close();
		if (pm.state == PM_NATPMP)
			step(PM_UPNP, pd_now_ms());
		return;
	}
	if (r.type == NATPMP_RESPTYPE_UDPPORTMAPPING) {
		if (r.pnu.newportmapping.privateport != pd_cfg.port ||
		    !r.pnu.newportmapping.mappedpublicport)
			return;
		pm.np_port = r.pnu.newportmapping.mappedpublicport;
		pm.np_lifetime = r.pnu.newportmapping.lifetime;
		pm.np_mapped = true;
		sendpublicaddressrequest(&pm.np);	/* where that port is */
	} else if (r.type == NATPMP_RESPTYPE_PUBLICADDRESS && pm.np_mapped) {
		if (gateway_restarted(r.epoch, pd_now_ms()) && pm.state == PM_MAPPED)
			pd_log("portmap", "method=natpmp event=gateway-restarted");
		mapped("natpmp", (const uint8_t *)&r.pnu.publicaddress.addr,
		       pm.np_port, pm.np_lifetime);
	}
}

static void upnp_input(void)
{
	struct pd_upnp_result r;

	if (!pd_upnp_done(&r))
		return;
	/* Only what was asked for: not a late answer after a restart. */
	if (pm.state != PM_UPNP &&
	    !(pm.state == PM_MAPPED && !strcmp(pm.method, "upnp")))
		return;
	if (r.ok) {
		/* A permanent mapping is renewed all the same. */
		mapped("upnp", r.external, r.port, r.lease ? r.lease : PM_LIFETIME_S);
		return;
	}
	pd_log("portmap", "method=upnp result=%s", r.error);
	if (pm.state == PM_UPNP)
		give_up("no-answer", pd_now_ms());
}

/*
 * What an announcement from the gateway changes, if anything: true when
 * it was acted on. A restart (by the epoch, RFC 6887 8.5) or a new public
 * address withdraws the mapping until a renewal confirms it; a gateway
 * that had none to give is asked from the start; a UPnP mapping (no epoch
 * to judge by) is renewed.
 */
static bool announced(const struct pcp_announce *a, uint64_t now, uint64_t when)
{
	if (pm.state == PM_NONE) {
		pd_log("portmap", "event=gateway-announce result=none");
		pm.due = when;	/* the tick starts over */
		return true;
	}
	if (pm.state != PM_MAPPED)
		return false;	/* asking already */
	if (!strcmp(pm.method, "upnp")) {
		pd_log("portmap", "method=upnp event=gateway-announce");
	} else if (gateway_restarted(a->epoch, now)) {
		pd_log("portmap", "method=%s event=gateway-restarted source=announce", pm.method);
		pm.withdrawn = true;
	} else if (a->has_address && memcmp(a->address, pm.external.addr, 4)) {
		pd_log("portmap", "method=%s event=gateway-address-changed source=announce",
		       pm.method);
		pm.withdrawn = true;
	} else {
		return false;	/* a repeat */
	}
	pm.due = when;
	return true;
}

static void announce_input(void)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	uint8_t buf[PCP_MAX_LEN + 4];
	struct pcp_announce a;
	uint32_t spread;
	uint64_t now;
	ssize_t n;
	int i;

	for (i = 0; i < PM_ANNOUNCE_BATCH; i++) {
		n = recvfrom(pm.announce_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		flen = sizeof(from);
		now = pd_now_ms();
		if (!pm.gateway || from.sin_family != AF_INET ||
		    from.sin_addr.s_addr != pm.gateway || from.sin_port != htons(PCP_PORT) ||
		    pcp_announce_parse(buf, (size_t)n, &a) ||
		    (pm.announce_at && now < pm.announce_at + PM_ANNOUNCE_GAP_MS))
			continue;
		/* Not all of a LAN's hosts at once (RFC 6887 14.1.3). */
		if (getrandom(&spread, sizeof(spread), 0) != sizeof(spread))
			spread = 0;
		if (announced(&a, now, now + spread % PM_ANNOUNCE_SPREAD_MS))
			pm.announce_at = now;
	}
}

void pd_portmap_input(int fd)
{
	if (fd == pm.announce_fd)
		announce_input();
	else if (fd == pm.pcp_fd)
		pcp_input();
	else if (pm.np_open && fd == pm.np.s)
		np_input();
	else if (fd == pd_upnp_fd())
		upnp_input();
}

static void renew(uint64_t now)
{
	if (now >= pm.expires) {
		pd_log("portmap", "result=expired method=%s", pm.method);
		pd_portmap_start();
		return;
	}
	/* The same request (PCP: the same nonce), resent until answered. */
	if (!strcmp(pm.method, "pcp")) {
		if (pm.pcp_fd < 0 && pcp_open())
			return;
		pcp_send(PM_LIFETIME_S);
	} else if (!strcmp(pm.method, "natpmp")) {
		if (!pm.np_open && np_open())
			return;
		np_send(PM_LIFETIME_S);
	} else {
		pd_upnp_map(pm.gateway, pd_cfg.port, PM_LIFETIME_S);
	}
	pm.due = now + PM_RENEW_RETRY_MS < pm.expires ? now + PM_RENEW_RETRY_MS :
		 pm.expires;
}

void pd_portmap_tick(uint64_t now, uint64_t *next)
{
	int ret;

	if (pm.state == PM_IDLE)
		return;
	if (now < pm.due)
		goto out;
	switch (pm.state) {
	case PM_PCP:
		/*
		 * Answers that came while the loop was busy (a slow start
		 * under emulation) count before the wait is declared over:
		 * the tick runs before the sockets are read.
		 */
		if (pm.tries == PM_TRIES && pm.pcp_fd >= 0)
			pcp_input();
		if (pm.state != PM_PCP)
			break;
		if (pm.tries == PM_TRIES) {
			pcp_close();
			step(PM_NATPMP, now);
			break;
		}
		pcp_send(PM_LIFETIME_S);
		pm.due = now + ((uint64_t)PM_FIRST_WAIT_MS << pm.tries++);
		break;
	case PM_NATPMP:
		if (pm.tries == PM_TRIES) {
			np_close();
			step(PM_UPNP, now);
			break;
		}
		if (!pm.np_open && np_open()) {
			step(PM_UPNP, now);
			break;
		}
		if (pm.np_mapped)
			sendpublicaddressrequest(&pm.np);	/* its answer was lost */
		else
			np_send(PM_LIFETIME_S);
		pm.due = now + ((uint64_t)PM_FIRST_WAIT_MS << pm.tries++);
		break;
	case PM_UPNP:
		if (!pm.tries) {
			ret = pd_upnp_map(pm.gateway, pd_cfg.port, PM_LIFETIME_S);
			if (ret == -EBUSY) {	/* an old network's still runs */
				pm.due = now + PM_RENEW_RETRY_MS;
				break;
			}
			pm.tries++;
			if (ret)
				give_up("no-answer", now);
			else
				pm.due = now + PM_AGAIN_MS;	/* a bound; its answer ends it */
			break;
		}
		/* Its thread has not answered in ten minutes: a wedged IGD. */
		give_up("upnp-timeout", now);
		break;
	case PM_MAPPED:
		renew(now);
		break;
	case PM_NONE:
		pd_portmap_start();
		break;
	case PM_IDLE:
		break;
	}
out:
	if (pm.state != PM_IDLE && pm.due < *next)
		*next = pm.due;
}

void pd_portmap_stop(void)
{
	/* Lifetime 0 deletes it; no answer is awaited at exit. */
	if (pm.state == PM_MAPPED && strcmp(pm.method, "upnp")) {
		if (!strcmp(pm.method, "pcp") && (pm.pcp_fd >= 0 || !pcp_open()))
			pcp_send(0);
		else if (!strcmp(pm.method, "natpmp") && (pm.np_open || !np_open()))
			np_send(0);
		pd_log("portmap", "result=deleted method=%s", pm.method);
	}
	pd_upnp_delete();
	pcp_close();
	np_close();
	announce_close();
	pm.state = PM_IDLE;
}

void pd_portmap_network_changed(void)
{
	/* The old gateway's mapping cannot be deleted from here: it expires. */
	if (pm.state == PM_MAPPED)
		pd_log("portmap", "result=dropped method=%s reason=network-changed",
		       pm.method);
	pm.state = PM_IDLE;
	pd_upnp_forget();
	pd_portmap_start();
}

bool pd_portmap_candidate(const struct sig_ep *seen, struct sig_ep *ep)
{
	bool private;

	/*
	 * Only what the server confirms: the mapping's address is where it
	 * sees us (not a double NAT's inner address, nor a LAN forger's),
	 * and a public one.
	 */
	if (pm.state != PM_MAPPED || pm.withdrawn || !seen || seen->family != AF_INET ||
	    memcmp(seen->addr, pm.external.addr, 4) ||
	    pd_cand_scope(&pm.external, &private) || private)
		return false;
	*ep = pm.external;
	return true;
}

void pd_portmap_info(struct pd_portmap_info *info)
{
	bool mapped = pm.state == PM_MAPPED && !pm.withdrawn;

	memset(info, 0, sizeof(*info));
	info->state = !pd_cfg.port_mapping ? "off" : mapped ? "mapped" :
		      pm.state == PM_NONE || pm.state == PM_IDLE ? "none" : "probing";
	if (!mapped)
		return;
	info->method = pm.method;
	info->external = pm.external;
	info->lifetime_s = pm.lifetime;
}
