/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_RECEIVE_H
#define _NFPUNCH_RECEIVE_H

#include "netns.h"

/* Netfilter hooks of one namespace (IPv4 and IPv6, in and out). */
int nfp_hooks_register(struct nfp_net *pn);
void nfp_hooks_unregister(struct nfp_net *pn);

#endif /* _NFPUNCH_RECEIVE_H */
