/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * nfpunch: in-kernel NAT hole punching - generic netlink ABI.
 *
 * Shared by the kernel module and userspace; the YAML spec in
 * uapi/nfpunch.yaml describes the same family and must agree with it.
 * Enums only ever grow at the end: values are ABI.
 */
#ifndef _UAPI_LINUX_NFPUNCH_H
#define _UAPI_LINUX_NFPUNCH_H

#define NFPUNCH_GENL_NAME	"nfpunch"
#define NFPUNCH_GENL_VERSION	1

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

	__NFPUNCH_CMD_MAX,
};
#define NFPUNCH_CMD_MAX (__NFPUNCH_CMD_MAX - 1)

enum nfpunch_attr {
	NFPUNCH_A_UNSPEC,
	NFPUNCH_A_VERSION,		/* string, module version (reply only) */
	NFPUNCH_A_STATS,		/* nest, enum nfpunch_stats_attr */

	__NFPUNCH_A_MAX,
};
#define NFPUNCH_A_MAX (__NFPUNCH_A_MAX - 1)

enum nfpunch_stats_attr {
	NFPUNCH_STATS_A_UNSPEC,
	NFPUNCH_STATS_A_FLOWS,		/* u32, flows alive in this namespace */

	__NFPUNCH_STATS_A_MAX,
};
#define NFPUNCH_STATS_A_MAX (__NFPUNCH_STATS_A_MAX - 1)

#endif /* _UAPI_LINUX_NFPUNCH_H */
