/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * nfpunch: in-kernel NAT hole punching - generic netlink ABI.
 *
 * Shared by the kernel module and userspace; the YAML spec in
 * uapi/nfpunch.yaml describes the same family and must agree with it.
 * Enums only ever grow at the end: values are ABI.
 *
 * Times are in milliseconds, addresses and ports in network byte order.
 */
#ifndef _UAPI_LINUX_NFPUNCH_H
#define _UAPI_LINUX_NFPUNCH_H

#define NFPUNCH_GENL_NAME	"nfpunch"
/*
 * 2: probes are keyed and tagged per direction (FLOW_A_ROLE); not
 * compatible on the wire with version 1 peers.
 */
#define NFPUNCH_GENL_VERSION	2
#define NFPUNCH_MCGRP_EVENTS	"events"

/* Session secrets: both peers hold the same bytes. */
#define NFPUNCH_SECRET_MIN	16
#define NFPUNCH_SECRET_MAX	32
/* The longest priming of a flow (NFPUNCH_FLOW_A_PRIME_TIME), in ms. */
#define NFPUNCH_PRIME_TIME_MAX	10000
/* The most flows one NFPUNCH_CMD_FLOW_NEW_BATCH request may open. */
#define NFPUNCH_FLOW_BATCH_MAX	256

/*
 * Every command needs CAP_NET_ADMIN in the user namespace that owns the
 * caller's network namespace, and acts on that network namespace only.
 */
enum nfpunch_cmd {
	NFPUNCH_CMD_UNSPEC,

	/*
	 * Module version and this namespace's counters.
	 * Request: no attributes. Reply: NFPUNCH_A_VERSION, NFPUNCH_A_STATS.
	 */
	NFPUNCH_CMD_STATS_GET,

	/*
	 * Open a flow and start punching. Request: NFPUNCH_A_FLOW with LOCAL,
	 * one or more PEER, SECRET, ROLE and optionally KEEPALIVE, TIMEOUT,
	 * PUNCH_TIMEOUT, PROBE_INTERVAL, FLAGS, MARK, APP_TAG, and PRIME_TTL
	 * with PRIME_TIME.
	 * Reply: NFPUNCH_A_FLOW.
	 */
	NFPUNCH_CMD_FLOW_NEW,
	/*
	 * Delete by NFPUNCH_FLOW_A_ID, or every flow that has the LOCAL
	 * endpoint and/or the APP_TAG given.
	 */
	NFPUNCH_CMD_FLOW_DEL,
	/*
	 * Get one flow by ID, or dump them all; a dump may filter on LOCAL,
	 * STATE and APP_TAG inside NFPUNCH_A_FLOW.
	 */
	NFPUNCH_CMD_FLOW_GET,
	/*
	 * Change a flow by ID: KEEPALIVE, TIMEOUT, STATE = PUNCHING to punch
	 * again from the start with the same peers and secret, or NOMINATE.
	 */
	NFPUNCH_CMD_FLOW_SET,

	/*
	 * Ask a STUN server which public endpoint a local port maps to.
	 * Request: NFPUNCH_A_MAPPING with LOCAL, SERVER, optional TIMEOUT
	 * and MARK (since 0.4).
	 * Reply: NFPUNCH_A_MAPPING with the query's ID; the answer comes
	 * later as an NFPUNCH_CMD_MAPPING_NTF on the events group.
	 */
	NFPUNCH_CMD_MAPPING_GET,

	/* Limits and defaults of this namespace: NFPUNCH_A_CONFIG. */
	NFPUNCH_CMD_CONFIG_GET,
	NFPUNCH_CMD_CONFIG_SET,

	/* Notifications on the events group. */
	NFPUNCH_CMD_FLOW_NTF,		/* NFPUNCH_A_EVENT + NFPUNCH_A_FLOW */
	NFPUNCH_CMD_MAPPING_NTF,	/* NFPUNCH_A_MAPPING */

	/*
	 * Open several flows, all or none (since 0.5). Request: one
	 * NFPUNCH_A_FLOW per flow, each as for FLOW_NEW, at most
	 * NFPUNCH_FLOW_BATCH_MAX. Reply: one NFPUNCH_A_FLOW per flow, in
	 * the order of the request, holding its ID only. On an error no
	 * flow was made and the extack points into the flow at fault.
	 */
	NFPUNCH_CMD_FLOW_NEW_BATCH,

	/*
	 * Prime a TCP simultaneous open from a local port to a peer (since
	 * 0.6). Request: NFPUNCH_A_TCP_PRIME with LOCAL, REMOTE, TTL and
	 * optionally TIME. Reply: NFPUNCH_A_TCP_PRIME with the prime's ID.
	 * The socket that owns the port connects as usual, at full TTL;
	 * see enum nfpunch_tcp_prime_attr for what the module does.
	 */
	NFPUNCH_CMD_TCP_PRIME_NEW,
	/* End a prime early, by NFPUNCH_TCP_PRIME_A_ID (since 0.6). */
	NFPUNCH_CMD_TCP_PRIME_DEL,

	__NFPUNCH_CMD_MAX,
};
#define NFPUNCH_CMD_MAX (__NFPUNCH_CMD_MAX - 1)

enum nfpunch_attr {
	NFPUNCH_A_UNSPEC,
	NFPUNCH_A_VERSION,		/* string, module version (reply only) */
	NFPUNCH_A_STATS,		/* nest, enum nfpunch_stats_attr */
	NFPUNCH_A_FLOW,			/* nest, enum nfpunch_flow_attr */
	NFPUNCH_A_MAPPING,		/* nest, enum nfpunch_mapping_attr */
	NFPUNCH_A_CONFIG,		/* nest, enum nfpunch_config_attr */
	NFPUNCH_A_EVENT,		/* u8, enum nfpunch_event (notifications) */
	NFPUNCH_A_TCP_PRIME,		/* nest, enum nfpunch_tcp_prime_attr */

	__NFPUNCH_A_MAX,
};
#define NFPUNCH_A_MAX (__NFPUNCH_A_MAX - 1)

enum nfpunch_stats_attr {
	NFPUNCH_STATS_A_UNSPEC,
	NFPUNCH_STATS_A_FLOWS,		/* u32, flows alive in this namespace */
	NFPUNCH_STATS_A_PAD,
	NFPUNCH_STATS_A_PROBES_SENT,	/* u64, every STUN packet the module sent */
	NFPUNCH_STATS_A_THROTTLED,	/* u64, sends deferred by the pps cap */
	NFPUNCH_STATS_A_AUTH_FAILURES,	/* u64, STUN with a bad integrity */
	NFPUNCH_STATS_A_UNKNOWN_FLOW,	/* u64, our STUN for no flow */
	NFPUNCH_STATS_A_MAPPINGS,	/* u32, mapping queries pending */
	NFPUNCH_STATS_A_TCP_PRIMES,	/* u32, TCP primes alive */
	NFPUNCH_STATS_A_TCP_PRIME_SYNS,	/* u64, SYNs sent at a prime's TTL */
	NFPUNCH_STATS_A_TCP_PRIME_ICMP,	/* u64, time exceeded errors dropped */

	__NFPUNCH_STATS_A_MAX,
};
#define NFPUNCH_STATS_A_MAX (__NFPUNCH_STATS_A_MAX - 1)

/* An address with a port, or with a range of ports for punch targets. */
enum nfpunch_endpoint_attr {
	NFPUNCH_EP_A_UNSPEC,
	NFPUNCH_EP_A_IPV4,		/* be32 */
	NFPUNCH_EP_A_IPV6,		/* binary, 16 bytes */
	NFPUNCH_EP_A_PORT,		/* be16, not 0 */
	NFPUNCH_EP_A_PORT_MAX,		/* be16, last port of a range (peers only) */

	__NFPUNCH_EP_A_MAX,
};
#define NFPUNCH_EP_A_MAX (__NFPUNCH_EP_A_MAX - 1)

enum nfpunch_state {
	NFPUNCH_STATE_PUNCHING = 1,	/* probing the peer's candidates */
	NFPUNCH_STATE_ESTABLISHED,	/* an authenticated answer came back */
	NFPUNCH_STATE_DEAD,		/* punching or the path timed out */

	__NFPUNCH_STATE_MAX,
};
#define NFPUNCH_STATE_MAX (__NFPUNCH_STATE_MAX - 1)

enum nfpunch_dead_reason {
	NFPUNCH_DEAD_NONE,
	NFPUNCH_DEAD_PUNCH_TIMEOUT,	/* no candidate answered in time */
	NFPUNCH_DEAD_PEER_TIMEOUT,	/* an established peer went silent */

	__NFPUNCH_DEAD_MAX,
};

/*
 * Each side of a session has a role, agreed through signaling (the caller
 * controls). Requests in each direction have their own key and USERNAME
 * tag derived from the secret, so nothing we send can come back as the
 * peer's: the two sides must hold opposite roles.
 */
enum nfpunch_role {
	NFPUNCH_ROLE_CONTROLLING = 1,
	NFPUNCH_ROLE_CONTROLLED,

	__NFPUNCH_ROLE_MAX,
};
#define NFPUNCH_ROLE_MAX (__NFPUNCH_ROLE_MAX - 1)

enum nfpunch_flow_flags {
	/* The flow dies with the netlink socket that created it. */
	NFPUNCH_FLOW_F_OWNED	= 1 << 0,
	/*
	 * Never probes first: answers the peer's requests and checks back
	 * from there. For a host the peer can reach unsolicited (public
	 * address, endpoint-independent filtering) or a strategy where only
	 * one side sends.
	 */
	NFPUNCH_FLOW_F_PASSIVE	= 1 << 1,
	/*
	 * One of several flows punching for the same peer from different
	 * ports (a port spray). An established flow follows the peer to a
	 * new endpoint (its NAT rebound) only on a request that carries
	 * USE-CANDIDATE, as ICE's nomination: every flow's requests carry
	 * it but a candidate's, so the ports the application drops never
	 * take the peer's flow away from the one it keeps. (Requests also
	 * carry ICE-CONTROLLING/CONTROLLED: a peer whose requests never do,
	 * a module before 0.4, is followed on any request.) Cleared by
	 * FLOW_SET with NOMINATE.
	 */
	NFPUNCH_FLOW_F_CANDIDATE = 1 << 2,
};

enum nfpunch_flow_attr {
	NFPUNCH_FLOW_A_UNSPEC,
	NFPUNCH_FLOW_A_ID,		/* u32, chosen by the kernel */
	NFPUNCH_FLOW_A_LOCAL,		/* nest, endpoint: our address and port */
	NFPUNCH_FLOW_A_PEER,		/* nest, endpoint: a candidate (repeated) */
	NFPUNCH_FLOW_A_REMOTE,		/* nest, endpoint that answered (reply) */
	NFPUNCH_FLOW_A_SECRET,		/* binary, session secret (never sent back) */
	NFPUNCH_FLOW_A_KEEPALIVE,	/* u32 ms, send when idle this long */
	NFPUNCH_FLOW_A_TIMEOUT,		/* u32 ms, dead after this long unheard */
	NFPUNCH_FLOW_A_PUNCH_TIMEOUT,	/* u32 ms, give up punching after this */
	NFPUNCH_FLOW_A_PROBE_INTERVAL,	/* u32 ms, first gap between probe rounds */
	NFPUNCH_FLOW_A_FLAGS,		/* u32, enum nfpunch_flow_flags */
	NFPUNCH_FLOW_A_STATE,		/* u8, enum nfpunch_state */
	NFPUNCH_FLOW_A_DEAD_REASON,	/* u8, enum nfpunch_dead_reason (reply) */
	NFPUNCH_FLOW_A_RTT,		/* u32 us, smoothed round trip (reply) */
	NFPUNCH_FLOW_A_AGE,		/* u32 ms since creation (reply) */
	NFPUNCH_FLOW_A_ESTABLISH_TIME,	/* u32 ms from creation to established */
	NFPUNCH_FLOW_A_LAST_RX,		/* u32 ms since the peer was last heard */
	NFPUNCH_FLOW_A_LAST_TX,		/* u32 ms since we last sent */
	NFPUNCH_FLOW_A_COUNTERS,	/* nest, enum nfpunch_counter_attr */
	NFPUNCH_FLOW_A_ROLE,		/* u8, enum nfpunch_role (required) */
	NFPUNCH_FLOW_A_MARK,		/* u32, fwmark of probes and keepalives */
	/*
	 * u32, the application's own number (0: none), fixed at creation;
	 * 1 to 255 are kept for nfpunch's own programs (punchd: 1).
	 */
	NFPUNCH_FLOW_A_APP_TAG,
	/*
	 * Priming, both or neither, fixed at creation. For PRIME_TIME (u32 ms)
	 * from the start of each punch, probes leave with the TTL (IPv6: hop
	 * limit) PRIME_TTL (u8): enough to cross our own NATs and open their
	 * mappings, too little to reach the peer's NAT, where an early probe
	 * would leave an entry that makes it map the peer's own probes to
	 * another port. Answers and triggered checks always go at full TTL.
	 */
	NFPUNCH_FLOW_A_PRIME_TTL,
	NFPUNCH_FLOW_A_PRIME_TIME,
	/*
	 * flag, FLOW_SET only: the application keeps this candidate; it
	 * loses the CANDIDATE flag and, if established, asks the peer at
	 * once with USE-CANDIDATE (and twice more, a second apart), so the
	 * peer's flow moves here now.
	 */
	NFPUNCH_FLOW_A_NOMINATE,

	__NFPUNCH_FLOW_A_MAX,
};
#define NFPUNCH_FLOW_A_MAX (__NFPUNCH_FLOW_A_MAX - 1)

enum nfpunch_counter_attr {
	NFPUNCH_CNT_A_UNSPEC,
	NFPUNCH_CNT_A_PAD,
	NFPUNCH_CNT_A_PROBES_SENT,	/* u64, binding requests sent */
	NFPUNCH_CNT_A_PROBES_ANSWERED,	/* u64, authenticated answers to them */
	NFPUNCH_CNT_A_PROBES_RECEIVED,	/* u64, authenticated requests answered */
	NFPUNCH_CNT_A_AUTH_FAILURES,	/* u64, STUN for this flow, wrong key */
	NFPUNCH_CNT_A_KEEPALIVES,	/* u64, requests sent to keep it open */
	NFPUNCH_CNT_A_RX_PACKETS,	/* u64, application packets from the peer */
	NFPUNCH_CNT_A_RX_BYTES,		/* u64 */
	NFPUNCH_CNT_A_TX_PACKETS,	/* u64, application packets to the peer */
	NFPUNCH_CNT_A_TX_BYTES,		/* u64 */

	__NFPUNCH_CNT_A_MAX,
};
#define NFPUNCH_CNT_A_MAX (__NFPUNCH_CNT_A_MAX - 1)

enum nfpunch_event {
	NFPUNCH_EVENT_UNSPEC,
	NFPUNCH_EVENT_ESTABLISHED,
	NFPUNCH_EVENT_REMOTE_CHANGED,
	NFPUNCH_EVENT_DEAD,
	NFPUNCH_EVENT_DELETED,

	__NFPUNCH_EVENT_MAX,
};
#define NFPUNCH_EVENT_MAX (__NFPUNCH_EVENT_MAX - 1)

enum nfpunch_mapping_attr {
	NFPUNCH_MAP_A_UNSPEC,
	NFPUNCH_MAP_A_ID,		/* u32, names the query in its result */
	NFPUNCH_MAP_A_LOCAL,		/* nest, endpoint to ask from */
	NFPUNCH_MAP_A_SERVER,		/* nest, endpoint of the STUN server */
	NFPUNCH_MAP_A_TIMEOUT,		/* u32 ms, give up after this */
	NFPUNCH_MAP_A_MAPPED,		/* nest, endpoint the server saw */
	NFPUNCH_MAP_A_ERROR,		/* u32, errno when there is no answer */
	NFPUNCH_MAP_A_STUN_ERROR,	/* u16, the server's STUN error code */
	NFPUNCH_MAP_A_RTT,		/* u32 us, request to answer; absent
					 * when the request was resent */
	NFPUNCH_MAP_A_MARK,		/* u32, fwmark of the request */

	__NFPUNCH_MAP_A_MAX,
};
#define NFPUNCH_MAP_A_MAX (__NFPUNCH_MAP_A_MAX - 1)

enum nfpunch_config_attr {
	NFPUNCH_CFG_A_UNSPEC,
	NFPUNCH_CFG_A_MAX_FLOWS,	/* u32, flows allowed in this namespace */
	NFPUNCH_CFG_A_PPS,		/* u32, cap on packets the module sends */
	NFPUNCH_CFG_A_KEEPALIVE,	/* u32 ms, default for new flows */
	NFPUNCH_CFG_A_TIMEOUT,		/* u32 ms, default for new flows */
	NFPUNCH_CFG_A_PUNCH_TIMEOUT,	/* u32 ms, default for new flows */
	NFPUNCH_CFG_A_PROBE_INTERVAL,	/* u32 ms, default for new flows */

	__NFPUNCH_CFG_A_MAX,
};
#define NFPUNCH_CFG_A_MAX (__NFPUNCH_CFG_A_MAX - 1)

/*
 * A TCP prime (NFPUNCH_CMD_TCP_PRIME_NEW). A SYN that reaches the peer's
 * NAT before the peer's own SYN has left through it meets a RST from a
 * plain masquerade gateway, and conntrack keeps an entry that moves the
 * peer's SYN to another port. So the side that starts first sends its
 * SYNs short: for TIME from the request, or until the peer's SYN (no
 * ACK, RST or FIN; checksummed) comes, every SYN (no ACK, RST or FIN)
 * from LOCAL to REMOTE leaves with TTL (IPv6: hop limit) TTL, enough to
 * open our own NATs, too little to reach the peer's. Until the prime
 * ends (TIME and then NFPUNCH_TCP_PRIME_GRACE_MS, for the last short
 * SYN's error) the ICMP time exceeded (in transit) errors those SYNs
 * cause are dropped: Linux aborts a connect() on them. Everything else, the SYN-ACK included, goes at the
 * socket's own TTL. At most NFPUNCH_TCP_PRIMES_MAX per namespace, one per
 * pair of endpoints.
 */
#define NFPUNCH_TCP_PRIME_TIME_MAX	30000
#define NFPUNCH_TCP_PRIME_TIME_DEFAULT	5000
#define NFPUNCH_TCP_PRIME_GRACE_MS	3000
#define NFPUNCH_TCP_PRIMES_MAX		64

enum nfpunch_tcp_prime_attr {
	NFPUNCH_TCP_PRIME_A_UNSPEC,
	NFPUNCH_TCP_PRIME_A_ID,		/* u32, chosen by the kernel */
	NFPUNCH_TCP_PRIME_A_LOCAL,	/* nest, endpoint: our address and port */
	NFPUNCH_TCP_PRIME_A_REMOTE,	/* nest, endpoint: the peer's mapping */
	NFPUNCH_TCP_PRIME_A_TTL,	/* u8, of our SYNs while primed */
	NFPUNCH_TCP_PRIME_A_TIME,	/* u32 ms, the longest priming */

	__NFPUNCH_TCP_PRIME_A_MAX,
};
#define NFPUNCH_TCP_PRIME_A_MAX (__NFPUNCH_TCP_PRIME_A_MAX - 1)

#endif /* _UAPI_LINUX_NFPUNCH_H */
