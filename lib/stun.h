/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * STUN message codec (RFC 8489), shared by the kernel module, the userspace
 * tools and the fuzzers. Freestanding: no libc and nothing of the kernel
 * beyond fixed-width types, so one parser is tested and fuzzed in userspace
 * and runs unchanged in the packet path.
 *
 * The parser never allocates and never reads outside [buf, buf + len);
 * pointers in struct stun_msg point into the caller's buffer.
 */
#ifndef NFPUNCH_STUN_H
#define NFPUNCH_STUN_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#define STUN_HDR_LEN		20
#define STUN_MAGIC		0x2112A442u
#define STUN_TID_LEN		12
#define STUN_HMAC_SHA1_LEN	20
#define STUN_FINGERPRINT_XOR	0x5354554Eu
#define STUN_MAX_UNKNOWN	4

/* Message types: method Binding with each class. */
#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_INDICATION	0x0011
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_BINDING_ERROR	0x0111

/* Attributes this codec understands. */
#define STUN_A_MAPPED_ADDRESS		0x0001
#define STUN_A_CHANGE_REQUEST		0x0003
#define STUN_A_USERNAME			0x0006
#define STUN_A_MESSAGE_INTEGRITY	0x0008
#define STUN_A_ERROR_CODE		0x0009
#define STUN_A_UNKNOWN_ATTRIBUTES	0x000A
#define STUN_A_MESSAGE_INTEGRITY_SHA256	0x001C
#define STUN_A_XOR_MAPPED_ADDRESS	0x0020
#define STUN_A_PRIORITY			0x0024
#define STUN_A_USE_CANDIDATE		0x0025
#define STUN_A_PADDING			0x0026
#define STUN_A_RESPONSE_PORT		0x0027
#define STUN_A_SOFTWARE			0x8022
#define STUN_A_FINGERPRINT		0x8028
#define STUN_A_ICE_CONTROLLED		0x8029
#define STUN_A_ICE_CONTROLLING		0x802A
#define STUN_A_RESPONSE_ORIGIN		0x802B
#define STUN_A_OTHER_ADDRESS		0x802C

/* CHANGE-REQUEST flags (RFC 5780). */
#define STUN_CHANGE_IP		0x4
#define STUN_CHANGE_PORT	0x2

/* Address families as STUN encodes them. */
#define STUN_AF_IPV4	1
#define STUN_AF_IPV6	2

enum stun_err {
	STUN_OK = 0,
	STUN_E_SHORT,		/* shorter than a header */
	STUN_E_NOT_STUN,	/* no magic cookie or class bits set */
	STUN_E_LENGTH,		/* length field disagrees with the datagram */
	STUN_E_ATTR,		/* an attribute overruns or has a bad value */
	STUN_E_ORDER,		/* something after FINGERPRINT */
	STUN_E_NO_INTEGRITY,	/* MESSAGE-INTEGRITY missing */
	STUN_E_INTEGRITY,	/* MESSAGE-INTEGRITY does not match */
	STUN_E_NO_FINGERPRINT,	/* FINGERPRINT missing */
	STUN_E_FINGERPRINT,	/* FINGERPRINT does not match */
	STUN_E_SPACE,		/* builder: buffer too small */
	STUN_E_HMAC,		/* the HMAC callback failed */
	__STUN_E_MAX,
};

struct stun_addr {
	uint8_t family;		/* STUN_AF_IPV4 or STUN_AF_IPV6 */
	uint16_t port;		/* host order */
	uint8_t ip[16];		/* network order; 4 bytes used for IPv4 */
};

/* Which attributes a parsed message carried (struct stun_msg.seen). */
enum {
	STUN_SEEN_XOR_MAPPED	= 1u << 0,
	STUN_SEEN_MAPPED	= 1u << 1,
	STUN_SEEN_OTHER		= 1u << 2,
	STUN_SEEN_ORIGIN	= 1u << 3,
	STUN_SEEN_CHANGE	= 1u << 4,
	STUN_SEEN_USERNAME	= 1u << 5,
	STUN_SEEN_SOFTWARE	= 1u << 6,
	STUN_SEEN_ERROR		= 1u << 7,
	STUN_SEEN_PRIORITY	= 1u << 8,
	STUN_SEEN_CONTROLLED	= 1u << 9,
	STUN_SEEN_CONTROLLING	= 1u << 10,
	STUN_SEEN_USE_CAND	= 1u << 11,
	STUN_SEEN_INTEGRITY	= 1u << 12,
	STUN_SEEN_FINGERPRINT	= 1u << 13,
	STUN_SEEN_RESPONSE_PORT	= 1u << 14,
};

struct stun_msg {
	uint16_t type;
	uint16_t len;			/* body length, from the header */
	const uint8_t *tid;		/* STUN_TID_LEN bytes */
	uint32_t seen;			/* STUN_SEEN_* */
	struct stun_addr xor_mapped, mapped, other, origin;
	uint32_t change_request;
	uint16_t response_port;		/* RFC 5780: answer to this port */
	uint32_t priority;
	uint64_t tiebreaker;		/* ICE-CONTROLLED/-CONTROLLING value */
	uint16_t error_code;		/* 300..699 */
	const uint8_t *username;
	uint16_t username_len;
	const uint8_t *software;
	uint16_t software_len;
	uint16_t integrity_at;		/* offset of MESSAGE-INTEGRITY's header */
	uint16_t fingerprint_at;	/* offset of FINGERPRINT's header */
	/* Comprehension-required attributes we do not know (for a 420). */
	uint16_t unknown[STUN_MAX_UNKNOWN];
	uint8_t n_unknown;
};

/*
 * Cheap test for the packet path: does this datagram claim to be STUN
 * (header, magic cookie, length matching the datagram)?
 */
bool stun_looks_like(const uint8_t *buf, size_t len);

/* Parse one datagram; returns STUN_OK or a positive enum stun_err. */
int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len);

/* One piece of the data an HMAC covers. */
struct stun_iov {
	const uint8_t *base;
	size_t len;
};

/*
 * HMAC-SHA1 of the concatenated pieces with key; 0 on success. The kernel
 * passes the crypto API, userspace a crypto library: the codec stays
 * freestanding.
 */
typedef int (*stun_hmac_fn)(void *ctx, const uint8_t *key, size_t keylen,
			    const struct stun_iov *iov, int n,
			    uint8_t out[STUN_HMAC_SHA1_LEN]);

int stun_check_integrity(const struct stun_msg *m, const uint8_t *buf,
			 const uint8_t *key, size_t keylen,
			 stun_hmac_fn hmac, void *ctx);
int stun_check_fingerprint(const struct stun_msg *m, const uint8_t *buf);

/* CRC-32 (IEEE 802.3), as FINGERPRINT uses it. */
uint32_t stun_crc32(uint32_t crc, const uint8_t *p, size_t len);

/*
 * Building a message: start, add attributes, optionally integrity and
 * fingerprint (in that order, last), then end. Errors are sticky: check
 * only the result of stun_build_end().
 */
struct stun_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

void stun_build_start(struct stun_builder *b, uint8_t *buf, size_t cap,
		      uint16_t type, const uint8_t tid[STUN_TID_LEN]);
void stun_add_bytes(struct stun_builder *b, uint16_t type,
		    const void *data, uint16_t len);
void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v);
void stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t v);
void stun_add_addr(struct stun_builder *b, uint16_t type,
		   const struct stun_addr *a);
void stun_add_xor_addr(struct stun_builder *b, uint16_t type,
		       const struct stun_addr *a);
void stun_add_error(struct stun_builder *b, uint16_t code,
		    const char *reason, uint16_t reason_len);
void stun_add_integrity(struct stun_builder *b, const uint8_t *key,
			size_t keylen, stun_hmac_fn hmac, void *ctx);
void stun_add_fingerprint(struct stun_builder *b);
/* Total length of the message, or the negative enum stun_err. */
int stun_build_end(struct stun_builder *b);

const char *stun_strerror(int err);

#endif /* NFPUNCH_STUN_H */
