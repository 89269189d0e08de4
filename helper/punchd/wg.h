/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PD_WG_H
#define PD_WG_H

/*
 * Kernel WireGuard through its generic netlink family: what punchd needs
 * to punch from an interface's port and point its peers at the paths
 * found. Not a general client: no keys are set, no allowed IPs read.
 */
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define PD_WG_KEY_LEN	32

struct pd_wg_peer {
	uint8_t key[PD_WG_KEY_LEN];	/* its public key */
	struct sockaddr_storage endpoint;	/* ss_family 0: none */
	uint16_t keepalive_s;		/* persistent keepalive; 0: off */
	int64_t last_handshake_s;	/* wall clock; 0: never */
	uint64_t rx_bytes, tx_bytes;
};

struct pd_wg_device {
	char ifname[IF_NAMESIZE];
	uint32_t ifindex;
	uint16_t listen_port;		/* 0 if none was ever set */
	uint32_t fwmark;
	struct pd_wg_peer *peers;	/* sorted by key (pd_wg_find_peer()) */
	unsigned int n_peers, cap;
};

struct pd_wg;

/* 0, or a negative errno (-ENOENT: no wireguard module). */
int pd_wg_open(struct pd_wg **wgp);
void pd_wg_close(struct pd_wg *wg);

/* The interface's port, mark and peers into dev (pd_wg_device_clear()). */
int pd_wg_get(struct pd_wg *wg, const char *ifname, struct pd_wg_device *dev);
void pd_wg_device_clear(struct pd_wg_device *dev);
const struct pd_wg_peer *pd_wg_find_peer(const struct pd_wg_device *dev,
					 const uint8_t key[PD_WG_KEY_LEN]);

/*
 * Point an existing peer at ep. With kick, also make WireGuard send now
 * rather than on its next packet: it sends a keepalive when persistent
 * keepalive goes from off to on, which starts a handshake when there is
 * no session; keepalive_s is what the peer's setting is left at (without
 * kick the setting is not touched).
 */
int pd_wg_set_endpoint(struct pd_wg *wg, const char *ifname,
		       const uint8_t key[PD_WG_KEY_LEN],
		       const struct sockaddr *ep, bool kick, uint16_t keepalive_s);

/* "base64" (44 characters) to 32 bytes: 0, or -1. */
int pd_wg_key_parse(const char *b64, uint8_t key[PD_WG_KEY_LEN]);

#endif /* PD_WG_H */
