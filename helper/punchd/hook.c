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
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "punchd.h"

/* "NAME=value" into the next slot of env. */
static void env_add(char **env, unsigned int *n, const char *name, const char *value)
{
	if (asprintf(&env[*n], "%s=%s", name, value) >= 0)
		(*n)++;
}

void pd_hook(const char *event, const struct pd_peer *p, unsigned int ms)
{
	char ep[SIG_EP_STRLEN] = "-", msbuf[16], flow[16], probes[24], ka[16];
	char local[NFP_ENDPOINT_STRLEN] = "-", nat[PD_NAT_STRLEN], peer_nat[PD_NAT_STRLEN];
	const char *mode = p->relayed ? "relay" : "direct";
	unsigned int n = 0, n_environ = 0, i;
	struct pd_nat mine;
	sigset_t all;
	char **env;
	pid_t pid;

	if (!pd_cfg.hook)
		return;
	if (p->remote.family)
		sig_ep_format(&p->remote, ep, sizeof(ep));
	snprintf(msbuf, sizeof(msbuf), "%u", ms);
	snprintf(flow, sizeof(flow), "%u", pd_peer_path_flow(p));
	if (p->local.family)
		nfp_endpoint_format(&p->local, local, sizeof(local));
	pd_nat_mine(&mine);
	pd_nat_format(&mine, nat, sizeof(nat));
	pd_nat_format(&p->their_nat, peer_nat, sizeof(peer_nat));
	snprintf(probes, sizeof(probes), "%llu", (unsigned long long)p->probes);
	snprintf(ka, sizeof(ka), "%u", pd_keepalive_ms());
	/*
	 * The child's environment is built here, before fork: with another
	 * thread about (a UPnP request), the child may call nothing that
	 * allocates, setenv() included, until it execs.
	 */
	while (environ[n_environ])
		n_environ++;
	env = calloc(n_environ + 16, sizeof(*env));
	if (!env) {
		pd_log("hook-failed", "event=%s peer=%s error=memory", event, p->name);
		return;
	}
	for (i = 0; i < n_environ; i++)
		if (strncmp(environ[i], "NFPUNCH_", 8))
			env[n++] = environ[i];
	i = n;			/* ours start here: freed after fork */
	env_add(env, &n, "NFPUNCH_EVENT", event);
	env_add(env, &n, "NFPUNCH_PEER", p->name);
	env_add(env, &n, "NFPUNCH_ENDPOINT", ep);
	env_add(env, &n, "NFPUNCH_MODE", mode);
	env_add(env, &n, "NFPUNCH_MS", msbuf);
	env_add(env, &n, "NFPUNCH_FLOW", flow);
	/* Where our end is: spraying may have moved it off --port. */
	env_add(env, &n, "NFPUNCH_LOCAL", local);
	env_add(env, &n, "NFPUNCH_STRATEGY", pd_strategy_name(p->strategy));
	env_add(env, &n, "NFPUNCH_WHY", p->why ? p->why : "-");
	env_add(env, &n, "NFPUNCH_NAT", nat);
	env_add(env, &n, "NFPUNCH_PEER_NAT", peer_nat);
	env_add(env, &n, "NFPUNCH_PROBES", probes);
	env_add(env, &n, "NFPUNCH_KEEPALIVE_MS", ka);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)pd_cfg.hook, (char *)event, (char *)p->name,
				 ep, (char *)mode, msbuf, NULL };

		/* The child: our signals are blocked for signalfd; undo that. */
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		execve(pd_cfg.hook, argv, env);
		_exit(127);
	}
	if (pid < 0)
		pd_log("hook-failed", "event=%s peer=%s error=fork", event, p->name);
	for (; i < n; i++)
		free(env[i]);
	free(env);
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
