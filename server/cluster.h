/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Several rendezvousd on one Redis (--redis, issue 19): presence and
 * signaling shared, relays local.
 *
 * Each registered client has a presence key naming the instance it is
 * connected to, refreshed while it stays. A session lives on its
 * caller's instance (its home); a callee on another instance appears
 * there as a stub client whose messages travel over Redis pub/sub: the
 * home delivers OFFER, ACCEPTED, RELAYED and ERROR lines through the
 * callee's instance, which sends back what the callee says about that
 * session. A relay is allocated by the home, on the home's addresses.
 * A relayed session outlives its sides' connections: Redis says where it
 * lives, so that a side which registers again on any instance takes it
 * back there, and hears of its renewals.
 * Instances trust each other and their Redis: keep it on a private
 * network, with a password (see rendezvousd(8)).
 */
#ifndef RDV_CLUSTER_H
#define RDV_CLUSTER_H

#include <stdbool.h>

#include "client.h"

/* --redis HOST:PORT and --instance NAME; 0 when off or started. */
int rdv_cluster_open(const char *redis_host, int redis_port, const char *instance,
		     const char *password);
void rdv_cluster_close(void);
bool rdv_cluster_on(void);
void rdv_cluster_event(struct rdv_io *io, uint32_t events);

/* A client registered here (newest wins across instances), or left. */
void rdv_cluster_registered(struct rdv_client *c);
void rdv_cluster_gone(struct rdv_client *c);

/*
 * Where id is connected: cb(arg, instance, its signaling version) later,
 * instance NULL when it is nowhere (or Redis cannot say). 0, or -1 (then
 * cb never runs).
 */
int rdv_cluster_lookup(const char *id,
		       void (*cb)(void *arg, const char *instance, unsigned int version),
		       void *arg);
/* The stub for id on instance, made if needed; NULL without memory. */
struct rdv_client *rdv_cluster_stub(const char *id, const char *instance);
/* rdv_client_send() for a stub: the line goes to its instance. */
int rdv_cluster_deliver(struct rdv_client *stub, const char *line, size_t len);
/*
 * A local client's message about a session that is not here: sent to its
 * home, when an OFFER of that session was delivered to it or (RELAY,
 * RELEASE, CANDIDATE) once Redis named the home; true then. Redis naming
 * none, the client hears so (rdv_sig_unknown_session()); Redis unable to
 * say, it is asked again for a few seconds, and the client hears nothing.
 * A stub's messages are not forwarded: their instance looked already.
 */
bool rdv_cluster_forward(struct rdv_client *c, const struct sig_msg *m);
/* A session got a relay here (its key in Redis), or it ended. */
void rdv_cluster_session_here(const uint8_t *sid);
void rdv_cluster_session_gone(const uint8_t *sid);
/* A stub is dying: it leaves the table (freed by the client reaper). */
void rdv_cluster_stub_unlist(struct rdv_client *stub);
/* id was revoked: its stubs here end, and their relays with them. */
void rdv_cluster_revoke(const char *id);
/* Is c a stub (a client of another instance)? */
static inline bool rdv_client_is_stub(const struct rdv_client *c)
{
	return c->remote[0] != '\0';
}

#endif /* RDV_CLUSTER_H */
