// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * UPnP-IGD port mapping by libminiupnpc. Its calls block (SSDP discovery
 * for about a second, then SOAP over HTTP), so each request runs in a
 * thread of its own and hands its result to the loop through a pipe; the
 * loop never waits. One request at a time; the IGD found is kept for
 * renewals and the deletion at exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portmap_upnp.h"

#define UPNP_DISCOVER_MS	1000
#define UPNP_DESC		"nfpunch"

static struct {
	pthread_t thread;
	bool running;
	int pipe[2];
	/* Owned by the thread while it runs, by the loop otherwise. */
	bool have_igd;
	bool mapped;			/* a mapping of ours exists */
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lan[64];
	uint16_t port;
	uint32_t lease;
	struct pd_upnp_result result;
} up = { .pipe = { -1, -1 } };

static bool find_igd(void)
{
	struct UPNPDev *devs;
	int err = 0, ret;

	if (up.have_igd)
		return true;
	devs = upnpDiscover(UPNP_DISCOVER_MS, NULL, NULL, UPNP_LOCAL_PORT_ANY, 0, 2, &err);
	if (!devs)
		return false;
	ret = UPNP_GetValidIGD(devs, &up.urls, &up.data, up.lan, sizeof(up.lan));
	freeUPNPDevlist(devs);
	/* 1: a connected IGD; others are IGDs that are not (yet) up. */
	if (ret != 1) {
		if (ret)
			FreeUPNPUrls(&up.urls);
		return false;
	}
	up.have_igd = true;
	return true;
}

static void *map_thread(void *arg)
{
	struct pd_upnp_result *r = &up.result;
	char port[8], lease[12], ext[40] = "";
	int ret;

	(void)arg;
	memset(r, 0, sizeof(*r));
	if (!find_igd()) {
		r->error = "no-igd";
		goto out;
	}
	snprintf(port, sizeof(port), "%u", up.port);
	snprintf(lease, sizeof(lease), "%u", up.lease);
	ret = UPNP_AddPortMapping(up.urls.controlURL, up.data.first.servicetype,
				  port, port, up.lan, UPNP_DESC, "UDP", NULL, lease);
	/* Some IGDs take only permanent mappings (RFC 6970 2.4): renewed all the same. */
	if (ret == 725)
		ret = UPNP_AddPortMapping(up.urls.controlURL, up.data.first.servicetype,
					  port, port, up.lan, UPNP_DESC, "UDP", NULL, "0");
	if (ret) {
		r->error = strupnperror(ret) ? strupnperror(ret) : "add-failed";
		goto out;
	}
	ret = UPNP_GetExternalIPAddress(up.urls.controlURL, up.data.first.servicetype, ext);
	if (ret || inet_pton(AF_INET, ext, r->external) != 1) {
		r->error = "no-external-address";
		goto out;
	}
	r->ok = true;
	up.mapped = true;
	r->port = up.port;
	r->lease = up.lease;
out:
	(void)!write(up.pipe[1], "x", 1);
	return NULL;
}

int pd_upnp_map(uint16_t port, uint32_t lease_s)
{
	if (up.running)
		return -EBUSY;
	if (up.pipe[0] < 0 && pipe2(up.pipe, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	up.port = port;
	up.lease = lease_s;
	if (pthread_create(&up.thread, NULL, map_thread, NULL))
		return -EAGAIN;
	up.running = true;
	return 0;
}

int pd_upnp_fd(void)
{
	return up.running ? up.pipe[0] : -1;
}

bool pd_upnp_done(struct pd_upnp_result *r)
{
	char c;

	if (!up.running || read(up.pipe[0], &c, 1) != 1)
		return false;
	pthread_join(up.thread, NULL);
	up.running = false;
	*r = up.result;
	return true;
}

void pd_upnp_delete(void)
{
	char port[8];

	if (up.running) {	/* at exit: let it end (bounded by its timeouts) */
		pthread_join(up.thread, NULL);
		up.running = false;
	}
	if (up.have_igd) {
		snprintf(port, sizeof(port), "%u", up.port);
		if (up.mapped)
			UPNP_DeletePortMapping(up.urls.controlURL,
					       up.data.first.servicetype, port, "UDP", NULL);
		FreeUPNPUrls(&up.urls);
		up.have_igd = false;
		up.mapped = false;
	}
	if (up.pipe[0] >= 0) {
		close(up.pipe[0]);
		close(up.pipe[1]);
		up.pipe[0] = up.pipe[1] = -1;
	}
}
