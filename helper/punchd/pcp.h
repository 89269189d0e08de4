/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PD_PCP_H
#define PD_PCP_H

/*
 * The Port Control Protocol's MAP request and answer (RFC 6887): what
 * punchd asks a home gateway for, a public port that forwards to its
 * punch port. A codec only, no I/O: it builds a request into a buffer
 * and checks an answer against the request it was for, and it reads a
 * gateway's announcement that it restarted.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCP_PORT		5351
/* Where a gateway that restarted says so to all (224.0.0.1). */
#define PCP_ANNOUNCE_PORT	5350
#define PCP_VERSION		2
#define PCP_MAP_LEN		60	/* header 24 + MAP 36, no option */
#define PCP_MAX_LEN		1100	/* RFC 6887 7: no message is longer */
#define PCP_NONCE_LEN		12

enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

/* A MAP request, and what its answer must repeat. Addresses are 16
 * bytes, IPv4 as ::ffff:a.b.c.d (RFC 6887 5). */
struct pcp_map {
	uint8_t nonce[PCP_NONCE_LEN];	/* random, kept for renewals */
	uint8_t client[16];		/* our address as the gateway sees it */
	uint8_t protocol;		/* 17: UDP; 0 with lifetime 0: all */
	uint16_t internal_port;		/* host order */
	uint16_t external_port;		/* suggested; 0: any */
	uint8_t external[16];		/* suggested; all zero: any */
	uint32_t lifetime;		/* seconds; 0 deletes the mapping */
};

/* What a valid answer says. */
struct pcp_answer {
	uint8_t version;		/* 2, or 0 from a NAT-PMP-only gateway */
	uint8_t result;			/* enum pcp_result */
	uint32_t lifetime;		/* granted, seconds */
	uint32_t epoch;			/* the gateway's; backwards: it restarted */
	uint16_t external_port;
	uint8_t external[16];
};

/* The request into buf (at least PCP_MAP_LEN): its length. */
size_t pcp_map_build(const struct pcp_map *req, uint8_t *buf);

/*
 * Check an answer to req: 0 with *ans filled, or -1 when it is not one
 * (too short or long, not a MAP answer, another mapping's nonce,
 * protocol or port, a malformed option). A gateway that speaks only
 * NAT-PMP answers version 0: 0 with ans->version 0 and
 * ans->result PCP_UNSUPP_VERSION, and nothing else read.
 */
int pcp_map_parse(const struct pcp_map *req, const uint8_t *buf, size_t len,
		  struct pcp_answer *ans);

/* What a gateway says to all hosts. */
struct pcp_announce {
	uint32_t epoch;			/* its clock: back to 0 when it restarted */
	bool has_address;		/* NAT-PMP: its public address (too) changed */
	uint8_t address[4];
};

/*
 * A gateway's word to all hosts that it (re)started: a PCP ANNOUNCE
 * (RFC 6887 14.1.3) or a NAT-PMP public address announcement (RFC 6886
 * 3.2.1), which is also sent when that address changes. 0 with *a
 * filled, or -1 when buf is neither.
 */
int pcp_announce_parse(const uint8_t *buf, size_t len, struct pcp_announce *a);

const char *pcp_result_name(unsigned int result);

#endif /* PD_PCP_H */
