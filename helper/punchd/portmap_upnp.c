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
#include <time.h>
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
	bool stale;			/* the network changed while it ran */
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lan[64];
	uint16_t port, ext_port;	/* ours; the public one given */
	uint32_t lease;
	in_addr_t gateway;		/* only its IGD is asked */
	struct pd_upnp_result result;
} up = { .pipe = { -1, -1 } };

/* Is the control URL's host our default gateway? */
static bool at_gateway(const char *url)
{
	char host[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n;

	if (!url || strncmp(url, "http://", 7))
		return false;
	url += 7;
	n = strcspn(url, ":/");
	if (n >= sizeof(host))
		return false;
	memcpy(host, url, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, &a) == 1 && a.s_addr == up.gateway;
}

static bool find_igd(void)
{
	struct UPNPDev *devs;
	int err = 0, ret;

	if (up.have_igd)
		return true;
	devs = upnpDiscover(UPNP_DISCOVER_MS, NULL, NULL, UPNP_LOCAL_PORT_ANY, 0, 2, &err);
	if (!devs)
		return false;
#if MINIUPNPC_API_VERSION >= 18
	ret = UPNP_GetValidIGD(devs, &up.urls, &up.data, up.lan, sizeof(up.lan), NULL, 0);
#else
	ret = UPNP_GetValidIGD(devs, &up.urls, &up.data, up.lan, sizeof(up.lan));
#endif
	freeUPNPDevlist(devs);
	if (!ret)
		return false;
	/*
	 * 1: connected; 2: its external address is not public (or, before
	 * API 18, it says it is not connected): taken all the same, since
	 * what the server sees decides whether the mapping is used. Any
	 * box on the LAN may answer SSDP: only the default gateway counts.
	 */
	if ((ret != 1 && ret != 2) || !at_gateway(up.urls.controlURL)) {
		FreeUPNPUrls(&up.urls);
		return false;
	}
	up.have_igd = true;
	return true;
}

/* A failed SOAP call: the IGD may have restarted elsewhere; find it again. */
static void forget_igd(int ret)
{
	if (ret < 0 && up.have_igd && !up.mapped) {
		FreeUPNPUrls(&up.urls);
		up.have_igd = false;
	}
}

static void *map_thread(void *arg)
{
	struct pd_upnp_result *r = &up.result;
	char port[8], ext_port[8], reserved[8] = "", lease[12], ext[40] = "";
	int ret;

	(void)arg;
	memset(r, 0, sizeof(*r));
	if (!find_igd()) {
		r->error = "no-igd";
		goto out;
	}
	snprintf(port, sizeof(port), "%u", up.port);
	snprintf(lease, sizeof(lease), "%u", up.lease);
	if (!up.ext_port)
		up.ext_port = up.port;	/* a wish; the IGD may give another */
	snprintf(ext_port, sizeof(ext_port), "%u", up.ext_port);
	ret = UPNP_AddPortMapping(up.urls.controlURL, up.data.first.servicetype,
				  ext_port, port, up.lan, UPNP_DESC, "UDP", NULL, lease);
	/* Some IGDs take only permanent mappings (RFC 6970 2.4): renewed all the same. */
	if (ret == 725)
		ret = UPNP_AddPortMapping(up.urls.controlURL, up.data.first.servicetype,
					  ext_port, port, up.lan, UPNP_DESC, "UDP", NULL, "0");
	/* 718: that public port is another host's: any other will do (IGDv2). */
	if (ret == 718 && !UPNP_AddAnyPortMapping(up.urls.controlURL,
						  up.data.first.servicetype, ext_port, port,
						  up.lan, UPNP_DESC, "UDP", NULL, lease, reserved))
		ret = sscanf(reserved, "%hu", &up.ext_port) == 1 && up.ext_port ? 0 : 718;
	if (ret) {
		forget_igd(ret);
		r->error = strupnperror(ret) ? strupnperror(ret) : "add-failed";
		goto out;
	}
	up.mapped = true;	/* deleted at exit, whatever follows */
	ret = UPNP_GetExternalIPAddress(up.urls.controlURL, up.data.first.servicetype, ext);
	if (ret || inet_pton(AF_INET, ext, r->external) != 1) {
		r->error = "no-external-address";
		goto out;
	}
	r->ok = true;
	r->port = up.ext_port;
	r->lease = up.lease;
out:
	(void)!write(up.pipe[1], "x", 1);
	return NULL;
}

int pd_upnp_map(in_addr_t gateway, uint16_t port, uint32_t lease_s)
{
	if (up.running)
		return -EBUSY;
	if (up.pipe[0] < 0 && pipe2(up.pipe, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	if (up.have_igd && gateway != up.gateway) {	/* another network */
		FreeUPNPUrls(&up.urls);
		up.have_igd = false;
	}
	up.gateway = gateway;
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

static void forget(void)
{
	if (up.have_igd)
		FreeUPNPUrls(&up.urls);
	/* A mapping on the old network: nothing to reach it with now. */
	up.have_igd = up.mapped = false;
	up.ext_port = 0;
}

void pd_upnp_forget(void)
{
	if (up.running)
		up.stale = true;	/* what it finds is of the old network */
	else
		forget();
}

bool pd_upnp_done(struct pd_upnp_result *r)
{
	char c;

	if (!up.running || read(up.pipe[0], &c, 1) != 1)
		return false;
	pthread_join(up.thread, NULL);
	up.running = false;
	if (up.stale) {
		up.stale = false;
		forget();
		return false;
	}
	*r = up.result;
	return true;
}

void pd_upnp_delete(void)
{
	char port[8];

	if (up.running) {
		/* At exit: a slow or hostile IGD must not hold the stop up. */
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 2;
		if (pthread_timedjoin_np(up.thread, NULL, &until))
			return;		/* it still owns the state: leave it */
		up.running = false;
	}
	if (up.have_igd) {
		snprintf(port, sizeof(port), "%u", up.ext_port);
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
