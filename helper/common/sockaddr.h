/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket addresses, IPv4 or IPv6 in a sockaddr_storage, for both daemons:
 * each converts them to its own endpoint type (sig_ep, nfp_endpoint,
 * stun_addr) through these, so the family switch is written once.
 */
#ifndef NFPUNCH_SOCKADDR_H
#define NFPUNCH_SOCKADDR_H

#include <stdint.h>
#include <sys/socket.h>

/* A numeric address (no names) and a host-order port; the length, or -1. */
int sa_parse(struct sockaddr_storage *ss, const char *ip, uint16_t port);

/* AF_INET with 4 bytes of addr, or AF_INET6 with 16; port in host order. */
void sa_set(struct sockaddr_storage *ss, int family, const uint8_t *addr,
	    uint16_t port);

/* Only the port (host order), keeping the address. */
void sa_set_port(struct sockaddr_storage *ss, uint16_t port);

/* The address bytes into addr (zero-padded to 16); the host-order port. */
uint16_t sa_get(const struct sockaddr_storage *ss, uint8_t addr[16]);

/* What bind, connect and sendto want as the length. */
socklen_t sa_len(const struct sockaddr_storage *ss);

#endif
