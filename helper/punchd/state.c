// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What survives a restart of punchd: the flows are in the kernel and go
 * on without us; this file remembers which peer each one belongs to.
 * Rewritten (to a temporary file, then renamed) on a change, at most once
 * a second (a hub's thousand paths coming up would otherwise rewrite all
 * of it a thousand times), and when punchd stops; read at start, when
 * each flow is looked up in the module again.
 *
 *   peer NAME flow ID sid HEX secret HEX caller 0|1 relay 0|1
 *
 * It holds the probes' session secrets, so it is written mode 0600.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hex.h"
#include "punchd.h"

static void path(char *buf, size_t len, const char *suffix)
{
	snprintf(buf, len, "%s/punchd-%s.state%s", pd_cfg.state_dir,
		 pd_cfg.id, suffix);
}

#define STATE_SAVE_GAP_MS	1000

static bool dirty;
static uint64_t saved_at;

static void save_one(const struct pd_peer *p, void *arg)
{
	char sid[2 * SIG_SID_LEN + 1], secret[2 * SIG_SECRET_LEN + 1];
	FILE *f = arg;

	/* The path's flow: resumed relayed, a relay first path is a plain relay. */
	if (!pd_peer_path_flow(p))
		return;
	hex_encode(sid, p->sid, SIG_SID_LEN);
	hex_encode(secret, p->secret, SIG_SECRET_LEN);
	fprintf(f, "peer %s flow %u sid %s secret %s caller %d relay %d",
		p->name, pd_peer_path_flow(p), sid, secret, p->caller,
		p->relayed);
	/*
	 * Relay first: the other flow of the session (a held relay, or a
	 * punch beside the relay) is not resumed: the next punchd deletes it.
	 */
	if (p->relay_flow && p->relay_flow != pd_peer_path_flow(p))
		fprintf(f, " drop %u", p->relay_flow);
	if (p->flow_id && p->flow_id != pd_peer_path_flow(p))
		fprintf(f, " drop %u", p->flow_id);
	/* A relay's successor not up yet: the next punchd does not renew. */
	if (p->relay_next_flow)
		fprintf(f, " drop %u", p->relay_next_flow);
	fprintf(f, "\n");
}

static void write_file(void)
{
	char tmp[512], final[512];
	mode_t old;
	FILE *f;

	dirty = false;
	saved_at = pd_now_ms();
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

/* Something changed: now, unless written less than a second ago. */
void pd_state_save(void)
{
	if (pd_now_ms() - saved_at >= STATE_SAVE_GAP_MS)
		write_file();
	else
		dirty = true;
}

/* A change held back by pd_state_save(): write it when its second is up. */
void pd_state_tick(uint64_t now, uint64_t *next)
{
	if (!dirty)
		return;
	/* now was read before this pass's saves: it may be behind saved_at. */
	if (now >= saved_at + STATE_SAVE_GAP_MS)
		write_file();
	else if (saved_at + STATE_SAVE_GAP_MS < *next)
		*next = saved_at + STATE_SAVE_GAP_MS;
}

/* punchd stops: nothing held back is lost. */
void pd_state_flush(void)
{
	if (dirty)
		write_file();
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
		if (p) {
			memcpy(p->secret, secret, SIG_SECRET_LEN);
		} else {
			/* No slot (--max-peers lowered): the sweep deletes it. */
			pd_log("resume-failed", "peer=%s flow=%u reason=too-many-peers",
			       name, id);
		}
		for (rest = line + end; sscanf(rest, " drop %u%n", &drop, &n) == 1;
		     rest += n)
			pd_peer_resume_drop(name, drop);
	}
	fclose(f);
	pd_state_save();
}

struct sweep {
	uint32_t *ids;
	size_t n, cap;
};

static int sweep_one(const struct nfp_flow *flow, void *arg)
{
	uint32_t id = nfp_flow_get_u32(flow, NFP_FLOW_ID), *more;
	struct sweep *sw = arg;

	if (pd_peers_own_flow(id))
		return 0;
	if (sw->n == sw->cap) {
		more = reallocarray(sw->ids, sw->cap ? 2 * sw->cap : 64,
				    sizeof(*more));
		if (!more)
			return -ENOMEM;
		sw->ids = more;
		sw->cap = sw->cap ? 2 * sw->cap : 64;
	}
	sw->ids[sw->n++] = id;
	return 0;
}

/*
 * At start, after the file: a flow with our tag that no peer took back
 * is an orphan (punchd died before the file had it, a peer found no
 * slot, a spray's other ports): nobody else deletes it, so we do. Our
 * tag is ours alone in this namespace (see --tag); untagged flows may
 * be anyone's and are left.
 */
void pd_state_sweep(void)
{
	struct nfp_flow *match = nfp_flow_alloc();
	struct sweep sw = { 0 };
	size_t i;
	int ret = -ENOMEM;

	if (!pd_cfg.tag)
		goto out;
	if (match && !nfp_flow_set_u32(match, NFP_FLOW_APP_TAG, pd_cfg.tag))
		ret = nfp_flow_dump(pd_nfp, match, sweep_one, &sw);
	if (ret < 0) {
		pd_log("sweep-failed", "error=\"%s\"", strerror(-ret));
		goto out;
	}
	for (i = 0; i < sw.n; i++) {
		ret = nfp_flow_del(pd_nfp, sw.ids[i]);
		pd_log("orphan-deleted", "flow=%u%s", sw.ids[i],
		       ret < 0 && ret != -ENOENT ? " error=failed" : "");
	}
out:
	free(sw.ids);
	nfp_flow_free(match);
}
