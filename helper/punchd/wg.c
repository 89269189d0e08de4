// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small client of WireGuard's generic netlink family (see wg.h and
 * <linux/wireguard.h>): read an interface, set a peer's endpoint.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <openssl/evp.h>

#include "wg.h"

struct pd_wg {
	struct nl_sock *sk;
	int family;
};

/* libnl's codes as errno values, as far as a caller can act on them. */
static int nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_INVAL: return -EINVAL;
	case NLE_DUMP_INTR: return -EINTR;	/* pd_wg_get() reads again */
	}
	return -EIO;
}

int pd_wg_open(struct pd_wg **wgp)
{
	struct pd_wg *wg = calloc(1, sizeof(*wg));
	int ret = -ENOMEM;

	*wgp = NULL;
	if (!wg)
		return -ENOMEM;
	wg->sk = nl_socket_alloc();
	if (!wg->sk)
		goto err;
	ret = genl_connect(wg->sk);
	if (ret < 0) {
		ret = nl_errno(ret);
		goto err;
	}
	wg->family = genl_ctrl_resolve(wg->sk, WG_GENL_NAME);
	if (wg->family < 0) {
		ret = wg->family == -NLE_OBJ_NOTFOUND ? -ENOENT : nl_errno(wg->family);
		goto err;
	}
	*wgp = wg;
	return 0;
err:
	nl_socket_free(wg->sk);
	free(wg);
	return ret;
}

void pd_wg_close(struct pd_wg *wg)
{
	if (!wg)
		return;
	nl_socket_free(wg->sk);
	free(wg);
}

void pd_wg_device_clear(struct pd_wg_device *dev)
{
	free(dev->peers);
	memset(dev, 0, sizeof(*dev));
}

_Static_assert(offsetof(struct pd_wg_peer, key) == 0, "by_key() compares the start");

static int by_key(const void *a, const void *b)
{
	return memcmp(a, b, PD_WG_KEY_LEN);	/* the key leads the struct */
}

/* A hub reads a thousand peers and looks each one up: a search, not a scan. */
const struct pd_wg_peer *pd_wg_find_peer(const struct pd_wg_device *dev,
					 const uint8_t key[PD_WG_KEY_LEN])
{
	if (!dev->n_peers)
		return NULL;
	return bsearch(key, dev->peers, dev->n_peers, sizeof(*dev->peers), by_key);
}

static struct nla_policy peer_policy[WGPEER_A_MAX + 1] = {
	[WGPEER_A_PUBLIC_KEY] = { .type = NLA_UNSPEC, .minlen = PD_WG_KEY_LEN },
	[WGPEER_A_ENDPOINT] = { .type = NLA_UNSPEC },
	[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { .type = NLA_U16 },
	[WGPEER_A_LAST_HANDSHAKE_TIME] = { .type = NLA_UNSPEC },
	[WGPEER_A_RX_BYTES] = { .type = NLA_U64 },
	[WGPEER_A_TX_BYTES] = { .type = NLA_U64 },
};

static void get_endpoint(struct nlattr *a, struct sockaddr_storage *ss)
{
	const struct sockaddr *sa = nla_data(a);
	size_t len = (size_t)nla_len(a);

	if ((len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) ||
	    (len == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6))
		memcpy(ss, sa, len);
}

/*
 * One peer of a dump. A peer with many allowed IPs continues in the next
 * message, led by its key again: the same peer, not a new one.
 */
static int add_peer(struct pd_wg_device *dev, struct nlattr *nest)
{
	struct nlattr *tb[WGPEER_A_MAX + 1];
	struct pd_wg_peer *p, *grown;

	if (nla_parse_nested(tb, WGPEER_A_MAX, nest, peer_policy) < 0 ||
	    !tb[WGPEER_A_PUBLIC_KEY])
		return -EPROTO;
	if (dev->n_peers &&
	    !memcmp(dev->peers[dev->n_peers - 1].key,
		    nla_data(tb[WGPEER_A_PUBLIC_KEY]), PD_WG_KEY_LEN))
		return 0;
	if (dev->n_peers == dev->cap) {
		grown = reallocarray(dev->peers, dev->cap ? 2 * dev->cap : 16,
				     sizeof(*p));
		if (!grown)
			return -ENOMEM;
		dev->peers = grown;
		dev->cap = dev->cap ? 2 * dev->cap : 16;
	}
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->key, nla_data(tb[WGPEER_A_PUBLIC_KEY]), PD_WG_KEY_LEN);
	if (tb[WGPEER_A_ENDPOINT])
		get_endpoint(tb[WGPEER_A_ENDPOINT], &p->endpoint);
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		p->keepalive_s = nla_get_u16(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME] &&
	    nla_len(tb[WGPEER_A_LAST_HANDSHAKE_TIME]) == sizeof(struct __kernel_timespec)) {
		struct __kernel_timespec ts;

		/* Attribute data is 4-byte aligned; the struct wants 8. */
		memcpy(&ts, nla_data(tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof(ts));
		p->last_handshake_s = ts.tv_sec;
	}
	if (tb[WGPEER_A_RX_BYTES])
		p->rx_bytes = nla_get_u64(tb[WGPEER_A_RX_BYTES]);
	if (tb[WGPEER_A_TX_BYTES])
		p->tx_bytes = nla_get_u64(tb[WGPEER_A_TX_BYTES]);
	return 0;
}

struct get_ctx {
	struct pd_wg_device *dev;
	int err;
};

static int on_device(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[WGDEVICE_A_MAX + 1] = {
		[WGDEVICE_A_IFINDEX] = { .type = NLA_U32 },
		[WGDEVICE_A_LISTEN_PORT] = { .type = NLA_U16 },
		[WGDEVICE_A_FWMARK] = { .type = NLA_U32 },
		[WGDEVICE_A_PEERS] = { .type = NLA_NESTED },
	};
	struct nlattr *tb[WGDEVICE_A_MAX + 1], *a;
	struct get_ctx *c = arg;
	int rem, ret;

	/*
	 * An error is kept, never a reason to stop reading: the rest of the
	 * dump would stay queued and answer our next request.
	 */
	if (c->err)
		return NL_SKIP;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, WGDEVICE_A_MAX, policy) < 0) {
		c->err = -EPROTO;
		return NL_SKIP;
	}
	if (tb[WGDEVICE_A_IFINDEX])
		c->dev->ifindex = nla_get_u32(tb[WGDEVICE_A_IFINDEX]);
	if (tb[WGDEVICE_A_LISTEN_PORT])
		c->dev->listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
	if (tb[WGDEVICE_A_FWMARK])
		c->dev->fwmark = nla_get_u32(tb[WGDEVICE_A_FWMARK]);
	if (!tb[WGDEVICE_A_PEERS])
		return NL_OK;
	nla_for_each_nested(a, tb[WGDEVICE_A_PEERS], rem) {
		ret = add_peer(c->dev, a);
		if (ret) {
			c->err = ret;
			return NL_SKIP;
		}
	}
	return NL_OK;
}

/* After a failed exchange the socket may hold stale answers: a new one. */
static int reopen(struct pd_wg *wg)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk || genl_connect(sk) < 0) {
		nl_socket_free(sk);
		return -EIO;
	}
	nl_socket_free(wg->sk);
	wg->sk = sk;
	return 0;
}

/* Our request's answers through callbacks of this call only. */
static int exchange(struct pd_wg *wg, struct nl_msg *msg,
		    int (*valid)(struct nl_msg *, void *), void *arg)
{
	/* nl_socket_get_cb() hands us a reference of our own: put it back. */
	struct nl_cb *sk_cb = nl_socket_get_cb(wg->sk);
	struct nl_cb *cb = sk_cb ? nl_cb_clone(sk_cb) : NULL;
	int ret;

	if (sk_cb)
		nl_cb_put(sk_cb);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	if (valid)
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid, arg);
	ret = nl_send_auto(wg->sk, msg);
	nlmsg_free(msg);
	/* A dump ends with its DONE; a request with NLM_F_ACK, with the ack. */
	if (ret >= 0)
		ret = valid ? nl_recvmsgs(wg->sk, cb) : nl_wait_for_ack(wg->sk);
	nl_cb_put(cb);
	if (ret < 0) {
		ret = nl_errno(ret);
		reopen(wg);
	}
	return ret < 0 ? ret : 0;
}

int pd_wg_get(struct pd_wg *wg, const char *ifname, struct pd_wg_device *dev)
{
	struct get_ctx c = { .dev = dev };
	struct nl_msg *msg;
	int ret, tries;

	for (tries = 0; tries < 2; tries++) {
		memset(dev, 0, sizeof(*dev));
		if (strlen(ifname) >= sizeof(dev->ifname))
			return -EINVAL;
		strcpy(dev->ifname, ifname);
		c.err = 0;
		msg = nlmsg_alloc();
		if (!msg)
			return -ENOMEM;
		if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, wg->family, 0,
				 NLM_F_DUMP, WG_CMD_GET_DEVICE, WG_GENL_VERSION) ||
		    nla_put_string(msg, WGDEVICE_A_IFNAME, ifname) < 0) {
			nlmsg_free(msg);
			return -EMSGSIZE;
		}
		ret = exchange(wg, msg, on_device, &c);
		if (!ret && !c.err) {
			if (dev->n_peers)
				qsort(dev->peers, dev->n_peers, sizeof(*dev->peers),
				      by_key);
			return 0;
		}
		pd_wg_device_clear(dev);
		/* A dump the interface changed under: once more. */
		if (ret != -EINTR)
			break;
	}
	return c.err ? c.err : ret;
}

int pd_wg_set_endpoint(struct pd_wg *wg, const char *ifname,
		       const uint8_t key[PD_WG_KEY_LEN],
		       const struct sockaddr *ep, bool kick, uint16_t keepalive_s)
{
	/*
	 * Off, then on (the kick), then what it is to stay at: the same
	 * peer nested once per step in one request, which WireGuard applies
	 * in order under its lock, so no state between steps is ever seen
	 * or left behind.
	 */
	uint16_t steps[3] = { 0, keepalive_s ? keepalive_s : 1, keepalive_s };
	unsigned int i, n = !kick ? 1 : keepalive_s ? 2 : 3;
	struct nlattr *peers, *peer;
	struct nl_msg *msg;

	if (ep->sa_family != AF_INET && ep->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, wg->family, 0,
			 NLM_F_ACK, WG_CMD_SET_DEVICE, WG_GENL_VERSION) ||
	    nla_put_string(msg, WGDEVICE_A_IFNAME, ifname) < 0 ||
	    !(peers = nla_nest_start(msg, WGDEVICE_A_PEERS)))
		goto err;
	for (i = 0; i < n; i++) {
		if (!(peer = nla_nest_start(msg, 0)) ||
		    nla_put(msg, WGPEER_A_PUBLIC_KEY, PD_WG_KEY_LEN, key) < 0 ||
		    /* Never add a peer that was removed meanwhile. */
		    nla_put_u32(msg, WGPEER_A_FLAGS, WGPEER_F_UPDATE_ONLY) < 0 ||
		    (i == 0 && nla_put(msg, WGPEER_A_ENDPOINT,
				       ep->sa_family == AF_INET ?
				       sizeof(struct sockaddr_in) :
				       sizeof(struct sockaddr_in6), ep) < 0) ||
		    (kick && nla_put_u16(msg, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
					 steps[i]) < 0))
			goto err;
		nla_nest_end(msg, peer);
	}
	nla_nest_end(msg, peers);
	return exchange(wg, msg, NULL, NULL);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int pd_wg_key_parse(const char *b64, uint8_t key[PD_WG_KEY_LEN])
{
	unsigned char out[36];

	/* 32 bytes are 43 characters and one '=' of padding. */
	if (strlen(b64) != 44 || b64[43] != '=' || b64[42] == '=' ||
	    EVP_DecodeBlock(out, (const unsigned char *)b64, 44) != 33)
		return -1;
	memcpy(key, out, PD_WG_KEY_LEN);
	return 0;
}
