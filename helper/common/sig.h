/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The signaling protocol between punchd and rendezvousd: one message per
 * line over TCP, a verb and then key=value words, e.g.
 *
 *   CONNECT peer=bob cand=198.51.100.1:4000 cand=10.0.1.2:4000
 *
 * Text so that an admin can read it with tcpdump and talk it with nc;
 * strict so that a hostile peer has nothing to play with: every verb has
 * a fixed set of keys, every value a syntax, lines a hard length limit.
 * The codec is shared by both programs and fuzzed (selftests/fuzz).
 */
#ifndef NFPUNCH_SIG_H
#define NFPUNCH_SIG_H

#include <stddef.h>
#include <stdint.h>

#define SIG_VERSION	7
#define SIG_LINE_MAX	1024	/* bytes, the newline included */
#define SIG_ID_MAX	32	/* client ids, peer names, error codes */
#define SIG_MAX_CANDS	8
#define SIG_NONCE_LEN	16
#define SIG_MAC_LEN	32	/* HMAC-SHA256 */
#define SIG_SID_LEN	8
#define SIG_SECRET_LEN	16	/* the probes' key; the module takes 16..32 */
#define SIG_MAX_RANGE	256	/* ports in one predicted candidate window */

enum sig_type {
	SIG_HELLO = 1,	/* server: nonce v */
	SIG_REGISTER,	/* client: id mac [v] (v: v=3 servers only) */
	SIG_REGISTERED,	/* server: id observed */
	SIG_PING,	/* either side; answered with PONG */
	SIG_PONG,
	/*
	 * The exchange; nat, spray and relayfirst are optional and passed
	 * on by the server as they came (relayfirst: v=2 servers only).
	 * proto=tcp (v=3 servers only) makes it a TCP session: the
	 * candidates are TCP endpoints, and the server relays nothing; rtt
	 * (v=3) lets the callee time its start with the caller's.
	 */
	SIG_CONNECT,	/* client: peer cand... [nat] [spray] [relayfirst] */
	SIG_OFFER,	/* server to the called: sid peer secret observed cand... */
	SIG_ANSWER,	/* called client: sid cand... [nat] [spray] [relayfirst] */
	SIG_ACCEPTED,	/* server to the caller: sid peer secret observed cand... */
	SIG_REJECT,	/* called client: sid code */
	/*
	 * relay (v=6 servers only): the relay port the client has; asked in
	 * the second half of that relay's lifetime it renews it (another
	 * relay for the session, the old one kept until its end). lifetime
	 * (to v=6 clients only): seconds until --relay-lifetime ends it; gen
	 * (a successor's, to v=6 clients only): which relay secret its
	 * owners send under (relay_secret.h). v=7 servers: RELAY (or
	 * RELEASE) from a new connection of a side whose connection went
	 * gives that side back to it, and a RELAY with relay= of the relay
	 * there is, early, is how a reconnected client does so.
	 */
	SIG_RELAY,	/* client: sid [relay] */
	SIG_RELAYED,	/* server to both: sid peer relay [lifetime] [gen] */
	SIG_ERROR,	/* server: code [peer] [sid] */
	/*
	 * Trickle (v=4 servers, to v=4 clients only): a candidate learned
	 * while punching, e.g. our mapping moved. The server adds who sent
	 * it and the address it sees that side at, as in OFFER.
	 */
	SIG_CANDIDATE,	/* client: sid cand...; server: sid peer observed cand... */
	/*
	 * (v=5 servers only) We no longer use the session's relay (our
	 * path moved to direct, or our flow through it ended). The server
	 * ends the relay once both sides said so, not after its idle time.
	 */
	SIG_RELEASE,	/* client: sid [relay] (v=6: the renewed one, by our port) */
	__SIG_MAX,
};

/* One bit per key, in struct sig_msg.has. */
enum {
	SIG_K_V		= 1u << 0,
	SIG_K_NONCE	= 1u << 1,
	SIG_K_ID	= 1u << 2,
	SIG_K_MAC	= 1u << 3,
	SIG_K_OBSERVED	= 1u << 4,
	SIG_K_PEER	= 1u << 5,
	SIG_K_CAND	= 1u << 6,
	SIG_K_SID	= 1u << 7,
	SIG_K_SECRET	= 1u << 8,
	SIG_K_CODE	= 1u << 9,
	SIG_K_RELAY	= 1u << 10,
	SIG_K_NAT	= 1u << 11,
	SIG_K_SPRAY	= 1u << 12,
	SIG_K_RELAY_FIRST = 1u << 13,
	SIG_K_PROTO	= 1u << 14,
	SIG_K_RTT	= 1u << 15,
	SIG_K_LIFETIME	= 1u << 16,
	SIG_K_GEN	= 1u << 17,
};

/* What a session connects; absent means UDP. */
enum sig_proto {
	SIG_PROTO_UDP,
	SIG_PROTO_TCP,
};

struct sig_ep {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order */
	uint16_t port;		/* host order, never 0 */
	uint16_t port_last;	/* candidates only: a window port..port_last */
};

struct sig_msg {
	int type;			/* enum sig_type */
	uint32_t has;			/* SIG_K_* */
	uint32_t version;
	char id[SIG_ID_MAX + 1];
	char peer[SIG_ID_MAX + 1];
	char code[SIG_ID_MAX + 1];
	uint8_t nonce[SIG_NONCE_LEN];
	uint8_t mac[SIG_MAC_LEN];
	uint8_t sid[SIG_SID_LEN];
	uint8_t secret[SIG_SECRET_LEN];
	char nat[SIG_ID_MAX + 1];	/* the sender's NAT, see nat.h */
	uint32_t spray;			/* 1: the sender agrees to spraying */
	uint32_t relay_first;		/* 1: it runs the relay beside the punch */
	uint32_t proto;			/* enum sig_proto */
	uint32_t rtt;			/* ms, the sender's round trip to the server */
	uint32_t lifetime;		/* s, until the relay ends */
	uint32_t gen;			/* the relay's renewal: its secret */
	struct sig_ep observed, relay;
	struct sig_ep cand[SIG_MAX_CANDS];
	unsigned int n_cand;
};

enum sig_err {
	SIG_OK = 0,
	SIG_E_LONG,	/* longer than SIG_LINE_MAX */
	SIG_E_VERB,	/* empty or unknown verb */
	SIG_E_SYNTAX,	/* a word that is not key=value, or bad spacing */
	SIG_E_KEY,	/* a key this verb does not take */
	SIG_E_DUP,	/* a key given twice (only cand repeats) */
	SIG_E_VALUE,	/* a value with the wrong syntax */
	SIG_E_MISSING,	/* a key this verb requires is absent */
	SIG_E_CANDS,	/* more than SIG_MAX_CANDS candidates */
	__SIG_E_MAX,
};

/* Parse one line (without its newline); returns SIG_OK or enum sig_err. */
int sig_parse(struct sig_msg *m, const char *line, size_t len);
/*
 * Write m as one line with its newline (and a NUL after it). Returns the
 * length without the NUL, or -1 if m is invalid for its verb or buf is
 * too small.
 */
int sig_format(const struct sig_msg *m, char *buf, size_t cap);
/* A zeroed message of a type, ready for the fields to be filled in. */
void sig_init(struct sig_msg *m, int type);
int sig_add_cand(struct sig_msg *m, const struct sig_ep *ep);

const char *sig_verb_name(int type);
const char *sig_strerror(int err);

/* An id, peer name or code: 1..SIG_ID_MAX of [A-Za-z0-9._-]. */
int sig_word_ok(const char *s);
/* "192.0.2.1:4000" or "[fd00::1]:4000"; 0 or -1. */
int sig_ep_parse(const char *s, size_t len, struct sig_ep *ep);
/* The same, or a window "192.0.2.1:4000-4015" of up to SIG_MAX_RANGE ports. */
int sig_cand_parse(const char *s, size_t len, struct sig_ep *ep);
#define SIG_EP_STRLEN	56
char *sig_ep_format(const struct sig_ep *ep, char *buf, size_t cap);
int sig_ep_equal(const struct sig_ep *a, const struct sig_ep *b);

#endif /* NFPUNCH_SIG_H */
