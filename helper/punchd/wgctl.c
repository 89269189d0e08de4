// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd and a kernel WireGuard interface (--wireguard IFNAME): punch
 * from the interface's own listen port with its fwmark, so the hole the
 * module opens and refreshes is the one WireGuard's packets use, and
 * point each peer (--wg-peer ID=KEY) at the path punchd found, with a
 * handshake at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "punchd.h"
#include "wg.h"

struct wg_peer_key {
	char id[SIG_ID_MAX + 1];
	uint8_t key[PD_WG_KEY_LEN];
	uint64_t seen_rx;		/* its rx bytes at the last check */
	uint64_t kick_at;		/* the callee's handshake, unless the peer's came */
	uint64_t kick_rx;		/* its rx bytes when the endpoint was set */
};

static struct pd_wg *wg;
/* The interface as last read for the caller's kicks (recent_read()). */
static struct pd_wg_device kick_read;
static uint64_t kick_read_at;
static bool kick_read_ok;
static struct wg_peer_key *keys;
static unsigned int n_keys;

/* "alice=BASE64KEY": an option's value. */
int pd_wgctl_add_peer(const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : 0;
	struct wg_peer_key *k;

	if (!eq || !len || len > SIG_ID_MAX || n_keys == PD_MAX_PEERS_LIMIT)
		return -1;
	k = realloc(keys, (n_keys + 1) * sizeof(*keys));
	if (!k)
		return -1;
	keys = k;
	k = &keys[n_keys];
	memset(k, 0, sizeof(*k));
	memcpy(k->id, arg, len);
	k->id[len] = '\0';
	if (!sig_word_ok(k->id) || pd_wg_key_parse(eq + 1, k->key))
		return -1;
	n_keys++;
	return 0;
}

static struct wg_peer_key *key_of(const char *id)
{
	unsigned int i;

	for (i = 0; i < n_keys; i++)
		if (!strcmp(keys[i].id, id))
			return &keys[i];
	return NULL;
}

int pd_wgctl_setup(void)
{
	struct pd_wg_device dev;
	unsigned int i;
	int ret;

	if (!pd_cfg.wg_ifname)
		return n_keys ? (fprintf(stderr, "punchd: --wg-peer needs --wireguard\n"), -1) : 0;
	/* A spray's paths leave from other ports than WireGuard's one. */
	if (pd_cfg.spray) {
		fprintf(stderr, "punchd: --spray and --wireguard exclude each other (a spray punches from other ports than %s's)\n",
			pd_cfg.wg_ifname);
		return -1;
	}
	ret = pd_wg_open(&wg);
	if (!ret)
		ret = pd_wg_get(wg, pd_cfg.wg_ifname, &dev);
	if (ret) {
		fprintf(stderr, "punchd: --wireguard %s: %s\n", pd_cfg.wg_ifname,
			ret == -ENOENT ? "no WireGuard in this kernel" : strerror(-ret));
		return -1;
	}
	if (!dev.listen_port) {
		fprintf(stderr, "punchd: %s has no listen port (wg set %s listen-port N)\n",
			pd_cfg.wg_ifname, pd_cfg.wg_ifname);
		pd_wg_device_clear(&dev);
		return -1;
	}
	if (pd_cfg.port && pd_cfg.port != dev.listen_port) {
		fprintf(stderr, "punchd: --port %u but %s listens on %u\n",
			pd_cfg.port, pd_cfg.wg_ifname, dev.listen_port);
		pd_wg_device_clear(&dev);
		return -1;
	}
	pd_cfg.port = dev.listen_port;
	/* WireGuard's own socket carries this mark: so do our probes. */
	pd_cfg.mark = dev.fwmark;
	for (i = 0; i < n_keys; i++)
		if (!pd_wg_find_peer(&dev, keys[i].key))
			pd_log("wg-peer-missing", "iface=%s peer=%s", pd_cfg.wg_ifname,
			       keys[i].id);
	pd_log("wireguard", "iface=%s port=%u fwmark=0x%x peers=%u keys=%u",
	       pd_cfg.wg_ifname, dev.listen_port, dev.fwmark, dev.n_peers, n_keys);
	pd_wg_device_clear(&dev);
	return 0;
}

void pd_wgctl_close(void)
{
	pd_wg_device_clear(&kick_read);
	kick_read_ok = false;
	pd_wg_close(wg);
	wg = NULL;
}

void pd_mark_socket(int fd)
{
	if (fd >= 0 && pd_cfg.mark &&
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &pd_cfg.mark, sizeof(pd_cfg.mark)))
		pd_log("mark-failed", "error=\"%s\"", strerror(errno));
}

static void to_sockaddr(const struct sig_ep *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, ep->addr, 4);
		s4->sin_port = htons(ep->port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ep->addr, 16);
		s6->sin6_port = htons(ep->port);
	}
}

/*
 * Who sends the first handshake: when both sides kick at the moment the
 * path comes up, their initiations cross, each answers the other's, and
 * each answer is refused (a peer that answered an initiation no longer
 * waits for the answer to its own); both then wait WireGuard's 5 s
 * retransmission, and cross again while the retries stay closer than a
 * trip apart. So the caller kicks at once and the callee only sets its
 * endpoint, then kicks a moment later unless something came from the
 * peer meanwhile (its initiation, which WireGuard answers by itself):
 * its own initiation is then the one that goes, when the caller's cannot
 * (WireGuard sends at most one per 5 s, and an application's packets
 * before the path may have used that up).
 */
#define KICK_LATER_MIN_MS	200
#define KICK_LATER_MAX_MS	1000

static uint64_t kick_later_ms(void)
{
	uint64_t ms = 2ull * pd_link_rtt_ms() + 100;

	return ms < KICK_LATER_MIN_MS ? KICK_LATER_MIN_MS :
	       ms > KICK_LATER_MAX_MS ? KICK_LATER_MAX_MS : ms;
}

enum kick {
	KICK_NOW,
	KICK_LATER,	/* the endpoint only: kick_due() kicks */
	KICK_DUE,	/* the callee's kick, unless the peer's came meanwhile */
};

/*
 * The caller's kicks need of the interface only each peer's keepalive
 * setting, which is the admin's and rarely moves: one read serves the
 * kicks of a second. A hub whose thousand paths come up ten a second
 * then reads its thousand peers once a second, not once a path.
 */
#define KICK_READ_MAX_AGE_MS	1000

static const struct pd_wg_device *recent_read(void)
{
	uint64_t now = pd_now_ms();

	if (kick_read_ok && now - kick_read_at < KICK_READ_MAX_AGE_MS)
		return &kick_read;
	pd_wg_device_clear(&kick_read);
	kick_read_ok = !pd_wg_get(wg, pd_cfg.wg_ifname, &kick_read);
	kick_read_at = now;
	return kick_read_ok ? &kick_read : NULL;
}

/*
 * Set k's endpoint to p's path; 0 or a negative errno (logged). read is
 * the interface as the caller just read it, or NULL: then it is read
 * here (a thousand peers moved in one check need not be a thousand
 * reads of all of them). The callee's kicks read afresh: they compare
 * the peer's received bytes before and after.
 */
static int set_endpoint(struct wg_peer_key *k, const struct pd_peer *p,
			enum kick when, const struct pd_wg_device *read)
{
	bool kick = when != KICK_LATER;
	const struct pd_wg_peer *wp;
	struct sockaddr_storage ss;
	struct pd_wg_device dev;
	char ep[SIG_EP_STRLEN];
	uint16_t keepalive = 0;
	int ret = 0;

	if (!read && when == KICK_NOW)
		read = recent_read();
	/* A peer the last second's read lacks (just added): read afresh. */
	if (read == &kick_read && !pd_wg_find_peer(read, k->key)) {
		kick_read_ok = false;
		read = NULL;
	}
	if (!read) {
		ret = pd_wg_get(wg, pd_cfg.wg_ifname, &dev);
		read = ret ? NULL : &dev;	/* ours to clear */
	}
	wp = read ? pd_wg_find_peer(read, k->key) : NULL;
	if (wp && when == KICK_DUE && wp->rx_bytes != k->kick_rx) {
		pd_log("wg-handshake", "iface=%s peer=%s by=peer",
		       pd_cfg.wg_ifname, p->name);
		if (read == &dev)
			pd_wg_device_clear(&dev);
		return 0;
	}
	/* Its keepalive setting is the admin's: leave it as it is. */
	if (wp) {
		keepalive = wp->keepalive_s;
		k->kick_rx = wp->rx_bytes;
	} else if (!ret) {
		ret = -ENOENT;
	}
	if (read == &dev)
		pd_wg_device_clear(&dev);
	to_sockaddr(&p->remote, &ss);
	if (!ret)
		ret = pd_wg_set_endpoint(wg, pd_cfg.wg_ifname, k->key,
					 (struct sockaddr *)&ss, kick, keepalive);
	pd_log(ret ? "wg-endpoint-failed" : "wg-endpoint",
	       "iface=%s peer=%s endpoint=%s mode=%s handshake=%s%s%s",
	       pd_cfg.wg_ifname, p->name,
	       sig_ep_format(&p->remote, ep, sizeof(ep)),
	       p->relayed ? "relay" : "direct", kick ? "now" : "later",
	       ret ? " error=" : "",
	       ret ? (ret == -ENOENT ? "no-such-peer" : strerror(-ret)) : "");
	return ret;
}

/* Point k at p's path (read: the interface as just read, or NULL). */
static void follow(struct wg_peer_key *k, const struct pd_peer *p,
		   const struct pd_wg_device *read)
{
	/* A path from another port than WireGuard's is of no use to it. */
	if (p->local.port != pd_cfg.port) {
		pd_log("wg-endpoint-skipped", "iface=%s peer=%s local_port=%u",
		       pd_cfg.wg_ifname, p->name, p->local.port);
		return;
	}
	k->kick_at = 0;
	if (p->caller) {
		set_endpoint(k, p, KICK_NOW, read);
		return;
	}
	if (!set_endpoint(k, p, KICK_LATER, read))
		k->kick_at = pd_now_ms() + kick_later_ms();
}

/*
 * A result for peer p: on up (direct or relayed) and changed, its
 * WireGuard peer goes to the new endpoint. Down and failed leave the
 * endpoint: WireGuard keeps trying the last one, and punchd re-punches.
 */
void pd_wgctl_follow(const char *event, const struct pd_peer *p)
{
	struct wg_peer_key *k;

	if (!wg || (strcmp(event, "up") && strcmp(event, "changed")) ||
	    !p->remote.family || !(k = key_of(p->name)))
		return;
	follow(k, p, NULL);
}

/* The callee's kicks that are due: unless the peer's handshake came first. */
static void kick_due(uint64_t now, uint64_t *next)
{
	const struct pd_peer *p;
	struct wg_peer_key *k;
	unsigned int i;

	for (i = 0; i < n_keys; i++) {
		k = &keys[i];
		if (!k->kick_at)
			continue;
		if (now < k->kick_at) {
			if (k->kick_at < *next)
				*next = k->kick_at;
			continue;
		}
		k->kick_at = 0;
		p = pd_peer_get(k->id, false);
		if (p && p->state == PD_UP && p->remote.family)
			set_endpoint(k, p, KICK_DUE, NULL);
	}
}

/*
 * WireGuard has no events: read the interface every few seconds. A new
 * listen port or mark means every path from the old one is useless; a
 * peer whose endpoint is not the path punchd found (an admin's or
 * wg-quick's doing, or a peer added after it came up) is pointed back at
 * it, unless traffic came in since the last check: then WireGuard itself
 * moved it, after authenticating the peer's packets from there.
 */
#define WG_CHECK_MS	5000

void pd_wgctl_tick(uint64_t now, uint64_t *next)
{
	static uint64_t due;
	static bool read_failed;
	struct wg_peer_key *k;
	const struct pd_wg_peer *wp;
	struct sockaddr_storage ss;
	struct pd_wg_device dev;
	const struct pd_peer *p;
	unsigned int i;
	bool moved;

	if (!wg)
		return;
	kick_due(now, next);
	if (now < due) {
		if (due < *next)
			*next = due;
		return;
	}
	due = now + WG_CHECK_MS;
	if (due < *next)
		*next = due;
	if (pd_wg_get(wg, pd_cfg.wg_ifname, &dev)) {
		if (!read_failed)
			pd_log("wg-read-failed", "iface=%s", pd_cfg.wg_ifname);
		read_failed = true;
		return;
	}
	read_failed = false;
	if ((dev.listen_port && dev.listen_port != pd_cfg.port) ||
	    dev.fwmark != pd_cfg.mark) {
		pd_log("wg-changed", "iface=%s port=%u->%u fwmark=0x%x->0x%x",
		       pd_cfg.wg_ifname, pd_cfg.port, dev.listen_port ?
		       dev.listen_port : pd_cfg.port, pd_cfg.mark, dev.fwmark);
		if (dev.listen_port)
			pd_cfg.port = dev.listen_port;
		/*
		 * A new fwmark (wg-quick's full tunnel sets one and sends all
		 * else into wg0): the server link must keep to the underlay
		 * as WireGuard's own socket does. Marking it again resets its
		 * cached route; the flows are made again with the mark.
		 */
		if (dev.fwmark != pd_cfg.mark) {
			pd_cfg.mark = dev.fwmark;
			pd_mark_socket(pd_link_fd());
		}
		pd_peers_repunch_all("wireguard-changed");
		pd_portmap_start();	/* the gateway's mapping was of the old port */
	}
	for (i = 0; i < n_keys; i++) {
		k = &keys[i];
		p = pd_peer_get(k->id, false);
		wp = pd_wg_find_peer(&dev, k->key);
		if (!wp)
			continue;
		moved = wp->rx_bytes != k->seen_rx;
		k->seen_rx = wp->rx_bytes;
		if (!p || p->state != PD_UP || !p->remote.family || moved ||
		    p->local.port != pd_cfg.port)
			continue;
		to_sockaddr(&p->remote, &ss);
		if (wp->endpoint.ss_family == ss.ss_family &&
		    !memcmp(&wp->endpoint, &ss, ss.ss_family == AF_INET ?
			    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
			continue;
		follow(k, p, &dev);
	}
	pd_wg_device_clear(&dev);
}
