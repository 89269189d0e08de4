// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What survives a restart of punchd: the flows are in the kernel and go
 * on without us; this file remembers which peer each one belongs to.
 * Rewritten (to a temporary file, then renamed) on every change; read at
 * start, when each flow is looked up in the module again.
 *
 *   peer NAME flow ID sid HEX secret HEX caller 0|1 relay 0|1
 *
 * It holds the probes' session secrets, so it is written mode 0600.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hex.h"
#include "punchd.h"

static void path(char *buf, size_t len, const char *suffix)
{
	snprintf(buf, len, "%s/punchd-%s.state%s", pd_cfg.state_dir,
		 pd_cfg.id, suffix);
}

static void save_one(const struct pd_peer *p, void *arg)
{
	FILE *f = arg;
	int i;

	/* The path's flow: resumed relayed, a relay first path is a plain relay. */
	if (!pd_peer_path_flow(p))
		return;
	fprintf(f, "peer %s flow %u sid ", p->name, pd_peer_path_flow(p));
	for (i = 0; i < SIG_SID_LEN; i++)
		fprintf(f, "%02x", p->sid[i]);
	fprintf(f, " secret ");
	for (i = 0; i < SIG_SECRET_LEN; i++)
		fprintf(f, "%02x", p->secret[i]);
	fprintf(f, " caller %d relay %d", p->caller, p->relayed);
	/*
	 * Relay first: the other flow of the session (a held relay, or a
	 * punch beside the relay) is not resumed: the next punchd deletes it.
	 */
	if (p->relay_flow && p->relay_flow != pd_peer_path_flow(p))
		fprintf(f, " drop %u", p->relay_flow);
	if (p->flow_id && p->flow_id != pd_peer_path_flow(p))
		fprintf(f, " drop %u", p->flow_id);
	fprintf(f, "\n");
}

void pd_state_save(void)
{
	char tmp[512], final[512];
	mode_t old;
	FILE *f;

	if (!pd_cfg.state_dir)
		return;
	path(tmp, sizeof(tmp), ".tmp");
	path(final, sizeof(final), "");
	old = umask(077);
	f = fopen(tmp, "we");
	umask(old);
	if (!f) {
		pd_log("state-save-failed", "file=%s error=\"%s\"", tmp,
		       strerror(errno));
		return;
	}
	pd_peers_each(save_one, f);
	if (fclose(f) || rename(tmp, final))
		pd_log("state-save-failed", "file=%s error=\"%s\"", final,
		       strerror(errno));
}

void pd_state_load(void)
{
	char file[512], line[256], name[SIG_ID_MAX + 1];
	char sidhex[2 * SIG_SID_LEN + 1], sechex[2 * SIG_SECRET_LEN + 1];
	uint8_t sid[SIG_SID_LEN], secret[SIG_SECRET_LEN];
	struct pd_peer *p;
	int caller, relay, end, n;
	unsigned int id, drop;
	const char *rest;
	FILE *f;

	if (!pd_cfg.state_dir)
		return;
	path(file, sizeof(file), "");
	f = fopen(file, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		end = 0;
		if (sscanf(line, "peer %32s flow %u sid %16s secret %32s caller %d relay %d%n",
			   name, &id, sidhex, sechex, &caller, &relay, &end) != 6 ||
		    !sig_word_ok(name) ||
		    hex_decode(sidhex, sid, sizeof(sid)) != SIG_SID_LEN ||
		    hex_decode(sechex, secret, sizeof(secret)) != SIG_SECRET_LEN) {
			pd_log("state-bad-line", "file=%s", file);
			continue;
		}
		p = pd_peer_resume(name, id, sid, caller, relay);
		if (p)
			memcpy(p->secret, secret, SIG_SECRET_LEN);
		for (rest = line + end; sscanf(rest, " drop %u%n", &drop, &n) == 1;
		     rest += n)
			pd_peer_resume_drop(name, drop);
	}
	fclose(f);
	pd_state_save();
}
