// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hook: a command run on every result, so that e.g. a VPN can point
 * its peer at the new endpoint. It gets the facts as arguments and in
 * the environment, runs detached from our loop, and is reaped on SIGCHLD.
 *
 *   HOOK EVENT PEER ENDPOINT MODE MS     (EVENT: up, down, changed, failed)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "punchd.h"

void pd_hook(const char *event, const struct pd_peer *p, unsigned int ms)
{
	char ep[SIG_EP_STRLEN] = "-", msbuf[16], flow[16], num[24];
	char local[NFP_ENDPOINT_STRLEN] = "-", nat[PD_NAT_STRLEN];
	struct pd_nat mine;
	sigset_t all;
	pid_t pid;

	if (!pd_cfg.hook)
		return;
	if (p->remote.family)
		sig_ep_format(&p->remote, ep, sizeof(ep));
	snprintf(msbuf, sizeof(msbuf), "%u", ms);
	snprintf(flow, sizeof(flow), "%u", p->flow_id);
	if (p->local.family)
		nfp_endpoint_format(&p->local, local, sizeof(local));
	pd_nat_mine(&mine);
	pid = fork();
	if (pid < 0) {
		pd_log("hook-failed", "event=%s peer=%s error=fork", event, p->name);
		return;
	}
	if (pid > 0)
		return;
	/* The child: our signals are blocked for signalfd; undo that. */
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	setenv("NFPUNCH_EVENT", event, 1);
	setenv("NFPUNCH_PEER", p->name, 1);
	setenv("NFPUNCH_ENDPOINT", ep, 1);
	setenv("NFPUNCH_MODE", p->relayed ? "relay" : "direct", 1);
	setenv("NFPUNCH_MS", msbuf, 1);
	setenv("NFPUNCH_FLOW", flow, 1);
	/* Where our end is: spraying may have moved it off --port. */
	setenv("NFPUNCH_LOCAL", local, 1);
	setenv("NFPUNCH_STRATEGY", pd_strategy_name(p->strategy), 1);
	setenv("NFPUNCH_WHY", p->why ? p->why : "-", 1);
	setenv("NFPUNCH_NAT", pd_nat_format(&mine, nat, sizeof(nat)), 1);
	setenv("NFPUNCH_PEER_NAT", pd_nat_format(&p->their_nat, nat, sizeof(nat)), 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)p->probes);
	setenv("NFPUNCH_PROBES", num, 1);
	snprintf(num, sizeof(num), "%u", pd_keepalive_ms());
	setenv("NFPUNCH_KEEPALIVE_MS", num, 1);
	execl(pd_cfg.hook, pd_cfg.hook, event, p->name, ep,
	      p->relayed ? "relay" : "direct", msbuf, (char *)NULL);
	_exit(127);
}

void pd_hook_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			pd_log("hook-exit", "pid=%d status=%d", (int)pid,
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void pd_result(const char *event, const struct pd_peer *p, unsigned int ms)
{
	/* WireGuard first: the hook may look at its endpoint. */
	pd_wgctl_follow(event, p);
	pd_hook(event, p, ms);
}
