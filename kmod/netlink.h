/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_NETLINK_H
#define _NFPUNCH_NETLINK_H

int nfp_genl_init(void);
void nfp_genl_uninit(void);

#endif /* _NFPUNCH_NETLINK_H */
