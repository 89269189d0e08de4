/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_EVENTS_H
#define _NFPUNCH_EVENTS_H

struct nfp_flow;
struct nfp_mapping;

/*
 * Notifications on the "events" multicast group of the flow's namespace.
 * Any context; a listener that is too slow loses events (ENOBUFS on its
 * socket) and should dump the flows again.
 */
void nfp_event_flow(struct nfp_flow *flow, u8 event);
void nfp_event_mapping(struct nfp_mapping *m);

#endif /* _NFPUNCH_EVENTS_H */
