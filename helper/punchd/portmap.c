// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port mapping on the home gateway (--port-mapping): ask it, by PCP
 * (RFC 6887) and NAT-PMP (RFC 6886, libnatpmp) at once, to forward a
 * public port to our punch port; by UPnP-IGD (miniupnpc) only when
 * neither answers: one gateway often speaks all three over the same
 * table, and two mappings of one port would be deleted by either. A
 * mapped endpoint reaches us from anywhere, even from a peer behind a
 * symmetric NAT, so it goes first among our candidates. Renewed at half
 * its lifetime, deleted at exit; when no gateway answers, asked again
 * every ten minutes.
 */
#include <arpa/inet.h>
#include <errno.h>
#define ENABLE_STRNATPMPERR	/* its error strings */
#include <natpmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pcp.h"
#include "portmap_upnp.h"
#include "punchd.h"

#define PM_LIFETIME_S		7200
#define PM_TRIES		3
#define PM_FIRST_WAIT_MS	250	/* then doubling: 250, 500, 1000 */
#define PM_AGAIN_MS		(10 * 60 * 1000)

enum pm_state { PM_IDLE, PM_PROBING, PM_UPNP, PM_MAPPED, PM_NONE };

static struct {
	enum pm_state state;
	const char *method;		/* "pcp" or "natpmp" once mapped */
	uint64_t due;			/* next send, or the probe's end */
	unsigned int tries;
	/* PCP */
	int pcp_fd;
	struct pcp_map req;
	uint32_t epoch;
	bool has_epoch;
	/* NAT-PMP: a mapping, then the public address */
	natpmp_t np;
	bool np_open, np_mapped;
	uint16_t np_port;
	uint32_t np_lifetime;
	/* the result */
	struct sig_ep external;
	uint32_t lifetime;
	uint64_t renew_at, expires;
} pm = { .pcp_fd = -1 };

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
}

/* A UDP socket to the gateway's PCP port, and our address as it sees us. */
static int pcp_open(in_addr_t gateway)
{
	struct sockaddr_in gw = { .sin_family = AF_INET, .sin_port = htons(PCP_PORT),
				  .sin_addr.s_addr = gateway };
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
	return fd;
}

static void pcp_send(uint32_t lifetime)
{
	uint8_t buf[PCP_MAP_LEN];

	pm.req.lifetime = lifetime;
	if (pm.pcp_fd >= 0)
		(void)!send(pm.pcp_fd, buf, pcp_map_build(&pm.req, buf), 0);
}

static void np_send(uint32_t lifetime)
{
	if (pm.np_open)
		sendnewportmappingrequest(&pm.np, NATPMP_PROTOCOL_UDP, pd_cfg.port,
					  pm.np_port ? pm.np_port : pd_cfg.port,
					  lifetime);
}

void pd_portmap_start(void)
{
	pcp_close();
	np_close();
	memset(&pm.external, 0, sizeof(pm.external));
	pm.method = NULL;
	pm.np_mapped = false;
	pm.np_port = 0;
	if (!pd_cfg.port_mapping)
		return;
	/* libnatpmp finds the default gateway; PCP asks the same one. */
	if (initnatpmp(&pm.np, 0, 0) < 0) {
		pd_log("portmap", "result=none reason=no-gateway");
		pm.state = PM_NONE;
		pm.due = pd_now_ms() + PM_AGAIN_MS;
		return;
	}
	pm.np_open = true;
	pm.pcp_fd = pcp_open(pm.np.gateway);
	if (getrandom(pm.req.nonce, sizeof(pm.req.nonce), 0) != sizeof(pm.req.nonce))
		memset(pm.req.nonce, 0x5a, sizeof(pm.req.nonce));	/* never reached */
	pm.req.protocol = 17;
	pm.req.internal_port = pd_cfg.port;
	pm.req.external_port = pd_cfg.port;	/* a wish; the gateway decides */
	memset(pm.req.external, 0, sizeof(pm.req.external));
	pm.has_epoch = false;
	pm.state = PM_PROBING;
	pm.tries = 0;
	pm.due = pd_now_ms();
}

int pd_portmap_fds(int *fds, int max)
{
	int n = 0;

	if (pm.pcp_fd >= 0 && n < max)
		fds[n++] = pm.pcp_fd;
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

	memset(&pm.external, 0, sizeof(pm.external));
	pm.external.family = AF_INET;
	memcpy(pm.external.addr, addr4, 4);
	pm.external.port = port;
	pm.method = method;
	pm.lifetime = lifetime;
	pm.expires = now + lifetime * 1000ull;
	pm.renew_at = now + lifetime * 500ull;
	pm.state = PM_MAPPED;
	pm.due = pm.renew_at;
	pm.tries = 0;
	/* The other method's request is moot now: keep one. */
	if (!strcmp(method, "pcp"))
		np_close();
	else
		pcp_close();
	if (fresh)
		pd_log("portmap", "result=mapped method=%s external=%s lifetime_s=%u",
		       method, sig_ep_format(&pm.external, ep, sizeof(ep)), lifetime);
}

static void pcp_input(void)
{
	uint8_t buf[PCP_MAX_LEN + 4];
	struct pcp_answer a;
	ssize_t n;

	while ((n = recv(pm.pcp_fd, buf, sizeof(buf), 0)) >= 0) {
		if (pcp_map_parse(&pm.req, buf, (size_t)n, &a))
			continue;	/* not ours: nothing is learnt from it */
		if (a.version == 0 || a.result == PCP_UNSUPP_VERSION) {
			pcp_close();	/* NAT-PMP may still answer */
			return;
		}
		if (a.result != PCP_SUCCESS) {
			pd_log("portmap", "method=pcp result=%s", pcp_result_name(a.result));
			pcp_close();
			return;
		}
		/* The gateway restarted: its mappings are gone; ask again. */
		if (pm.has_epoch && a.epoch < pm.epoch) {
			pd_log("portmap", "method=pcp event=gateway-restarted");
			pm.due = pd_now_ms();
		}
		pm.epoch = a.epoch;
		pm.has_epoch = true;
		if (a.external[10] != 0xff || a.external[11] != 0xff ||
		    memcmp(a.external, "\0\0\0\0\0\0\0\0\0\0", 10))
			continue;	/* an IPv6 mapping: not asked for */
		mapped("pcp", a.external + 12, a.external_port, a.lifetime);
	}
	/* An ICMP port unreachable: no PCP server there. */
	if (errno == ECONNREFUSED)
		pcp_close();
}

static void np_input(void)
{
	natpmpresp_t r;
	int ret;

	ret = readnatpmpresponseorretry(&pm.np, &r);
	if (ret == NATPMP_TRYAGAIN)
		return;
	if (ret < 0) {
		/* Refused, or no NAT-PMP there: PCP may still answer. */
		pd_log("portmap", "method=natpmp result=\"%s\"", strnatpmperr(ret));
		np_close();
		return;
	}
	if (r.type == NATPMP_RESPTYPE_UDPPORTMAPPING) {
		pm.np_port = r.pnu.newportmapping.mappedpublicport;
		pm.np_lifetime = r.pnu.newportmapping.lifetime;
		pm.np_mapped = true;
		sendpublicaddressrequest(&pm.np);	/* where that port is */
	} else if (r.type == NATPMP_RESPTYPE_PUBLICADDRESS && pm.np_mapped) {
		mapped("natpmp", (const uint8_t *)&r.pnu.publicaddress.addr,
		       pm.np_port, pm.np_lifetime);
	}
}

static void upnp_input(void)
{
	struct pd_upnp_result r;

	if (!pd_upnp_done(&r))
		return;
	if (r.ok) {
		/* A permanent mapping is renewed all the same. */
		mapped("upnp", r.external, r.port, r.lease ? r.lease : PM_LIFETIME_S);
		return;
	}
	pd_log("portmap", "method=upnp result=%s", r.error);
	if (pm.state == PM_UPNP) {
		pd_log("portmap", "result=none reason=no-answer");
		pm.state = PM_NONE;
		pm.due = pd_now_ms() + PM_AGAIN_MS;
	}
}

void pd_portmap_input(int fd)
{
	if (fd == pm.pcp_fd)
		pcp_input();
	else if (pm.np_open && fd == pm.np.s)
		np_input();
	else if (fd == pd_upnp_fd())
		upnp_input();
}

void pd_portmap_tick(uint64_t now, uint64_t *next)
{
	if (pm.state == PM_IDLE || now < pm.due) {
		if (pm.state != PM_IDLE && pm.due < *next)
			*next = pm.due;
		return;
	}
	switch (pm.state) {
	case PM_PROBING:
		if (pm.tries == PM_TRIES || (pm.pcp_fd < 0 && !pm.np_open)) {
			pcp_close();
			np_close();
			/* Neither PCP nor NAT-PMP: UPnP, in its thread. */
			if (pd_upnp_map(pd_cfg.port, PM_LIFETIME_S) == 0) {
				pm.state = PM_UPNP;
				pm.due = now + PM_AGAIN_MS;	/* a bound; its answer ends it */
				break;
			}
			pd_log("portmap", "result=none reason=no-answer");
			pm.state = PM_NONE;
			pm.due = now + PM_AGAIN_MS;
			break;
		}
		pcp_send(PM_LIFETIME_S);
		if (!pm.np_mapped)
			np_send(PM_LIFETIME_S);
		pm.due = now + ((uint64_t)PM_FIRST_WAIT_MS << pm.tries++);
		break;
	case PM_MAPPED:
		if (now >= pm.expires) {
			pd_log("portmap", "result=expired method=%s", pm.method);
			pd_portmap_start();
			break;
		}
		/* Renew: the same request (PCP: the same nonce). */
		if (!strcmp(pm.method, "pcp"))
			pcp_send(PM_LIFETIME_S);
		else if (!strcmp(pm.method, "natpmp"))
			np_send(PM_LIFETIME_S);
		else
			pd_upnp_map(pd_cfg.port, PM_LIFETIME_S);
		pm.due = now + 5000 < pm.expires ? now + 5000 : pm.expires;
		break;
	case PM_UPNP:
		/* Its thread has not answered in ten minutes: a wedged IGD. */
		pd_log("portmap", "result=none reason=upnp-timeout");
		pm.state = PM_NONE;
		pm.due = now + PM_AGAIN_MS;
		break;
	case PM_NONE:
		pd_portmap_start();
		break;
	case PM_IDLE:
		break;
	}
	if (pm.due < *next)
		*next = pm.due;
}

void pd_portmap_stop(void)
{
	/* Lifetime 0 deletes it; no answer is awaited at exit. */
	if (pm.state == PM_MAPPED) {
		if (!strcmp(pm.method, "pcp"))
			pcp_send(0);
		else if (!strcmp(pm.method, "natpmp"))
			np_send(0);
		pd_log("portmap", "result=deleted method=%s", pm.method);
	}
	pd_upnp_delete();
	pcp_close();
	np_close();
	pm.state = PM_IDLE;
}

bool pd_portmap_candidate(struct sig_ep *ep)
{
	if (pm.state != PM_MAPPED || !pm.external.family)
		return false;
	*ep = pm.external;
	return true;
}

void pd_portmap_info(struct pd_portmap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = !pd_cfg.port_mapping ? "off" : pm.state == PM_MAPPED ? "mapped" :
		      pm.state == PM_PROBING || pm.state == PM_UPNP ? "probing" : "none";
	if (pm.state != PM_MAPPED)
		return;
	info->method = pm.method;
	info->external = pm.external;
	info->lifetime_s = pm.lifetime;
}
