// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Signaling codec: one table says which keys each verb takes and needs,
 * another how each key's value is spelled, and the parser and formatter
 * both walk them, so they cannot disagree.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "hex.h"
#include "sig.h"

enum sig_kind { K_WORD, K_HEX, K_EP, K_CANDS, K_UINT, K_PROTO };

struct sig_key {
	const char *name;
	uint32_t bit;
	enum sig_kind kind;
	size_t off;
	size_t size;	/* bytes for K_HEX, chars + 1 for K_WORD */
};

#define KEY(n, b, k, f) { n, b, k, offsetof(struct sig_msg, f), \
			  sizeof(((struct sig_msg *)0)->f) }
static const struct sig_key sig_keys[] = {
	KEY("v", SIG_K_V, K_UINT, version),
	KEY("nonce", SIG_K_NONCE, K_HEX, nonce),
	KEY("id", SIG_K_ID, K_WORD, id),
	KEY("mac", SIG_K_MAC, K_HEX, mac),
	KEY("observed", SIG_K_OBSERVED, K_EP, observed),
	KEY("peer", SIG_K_PEER, K_WORD, peer),
	KEY("cand", SIG_K_CAND, K_CANDS, cand),
	KEY("sid", SIG_K_SID, K_HEX, sid),
	KEY("secret", SIG_K_SECRET, K_HEX, secret),
	KEY("code", SIG_K_CODE, K_WORD, code),
	KEY("relay", SIG_K_RELAY, K_EP, relay),
	KEY("nat", SIG_K_NAT, K_WORD, nat),
	KEY("spray", SIG_K_SPRAY, K_UINT, spray),
	KEY("relayfirst", SIG_K_RELAY_FIRST, K_UINT, relay_first),
	KEY("proto", SIG_K_PROTO, K_PROTO, proto),
	KEY("rtt", SIG_K_RTT, K_UINT, rtt),
	KEY("lifetime", SIG_K_LIFETIME, K_UINT, lifetime),
	KEY("gen", SIG_K_GEN, K_UINT, gen),
};

static const char *const sig_protos[] = {
	[SIG_PROTO_UDP] = "udp",
	[SIG_PROTO_TCP] = "tcp",
};
#define N_PROTOS (sizeof(sig_protos) / sizeof(sig_protos[0]))
#define N_KEYS (sizeof(sig_keys) / sizeof(sig_keys[0]))

struct sig_verb {
	const char *name;
	uint32_t need, may;	/* may includes need */
};

#define OFFER_KEYS (SIG_K_SID | SIG_K_PEER | SIG_K_SECRET | SIG_K_OBSERVED | \
		    SIG_K_CAND)
#define NAT_KEYS (SIG_K_NAT | SIG_K_SPRAY | SIG_K_RELAY_FIRST | SIG_K_PROTO | SIG_K_RTT)
static const struct sig_verb sig_verbs[__SIG_MAX] = {
	[SIG_HELLO] = { "HELLO", SIG_K_V | SIG_K_NONCE, 0 },
	[SIG_REGISTER] = { "REGISTER", SIG_K_ID | SIG_K_MAC, SIG_K_V },
	[SIG_REGISTERED] = { "REGISTERED", SIG_K_ID | SIG_K_OBSERVED, 0 },
	[SIG_PING] = { "PING", 0, 0 },
	[SIG_PONG] = { "PONG", 0, 0 },
	[SIG_CONNECT] = { "CONNECT", SIG_K_PEER | SIG_K_CAND, NAT_KEYS },
	[SIG_OFFER] = { "OFFER", OFFER_KEYS, NAT_KEYS },
	[SIG_ANSWER] = { "ANSWER", SIG_K_SID | SIG_K_CAND, NAT_KEYS },
	[SIG_ACCEPTED] = { "ACCEPTED", OFFER_KEYS, NAT_KEYS },
	[SIG_REJECT] = { "REJECT", SIG_K_SID | SIG_K_CODE, 0 },
	[SIG_RELAY] = { "RELAY", SIG_K_SID, SIG_K_RELAY },
	[SIG_RELAYED] = { "RELAYED", SIG_K_SID | SIG_K_PEER | SIG_K_RELAY,
			  SIG_K_LIFETIME | SIG_K_GEN },
	[SIG_ERROR] = { "ERROR", SIG_K_CODE, SIG_K_PEER | SIG_K_SID | SIG_K_PROTO },
	[SIG_CANDIDATE] = { "CANDIDATE", SIG_K_SID | SIG_K_CAND,
			    SIG_K_PEER | SIG_K_OBSERVED },
	[SIG_RELEASE] = { "RELEASE", SIG_K_SID, SIG_K_RELAY },
};

static const char *const sig_errs[__SIG_E_MAX] = {
	[SIG_OK] = "ok",
	[SIG_E_LONG] = "line too long",
	[SIG_E_VERB] = "unknown verb",
	[SIG_E_SYNTAX] = "not a key=value word",
	[SIG_E_KEY] = "key not allowed for this verb",
	[SIG_E_DUP] = "key given twice",
	[SIG_E_VALUE] = "bad value",
	[SIG_E_MISSING] = "required key missing",
	[SIG_E_CANDS] = "too many candidates",
};

const char *sig_strerror(int err)
{
	if (err < 0 || err >= __SIG_E_MAX)
		return "unknown error";
	return sig_errs[err];
}

const char *sig_verb_name(int type)
{
	if (type <= 0 || type >= __SIG_MAX)
		return "?";
	return sig_verbs[type].name;
}

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int word_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SIG_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!word_char(s[i]))
			return 0;
	return 1;
}

int sig_word_ok(const char *s)
{
	return word_ok(s, strlen(s));
}

/* Decimal 1..65535, no sign, no leading zero, nothing after; or 0. */
static uint16_t parse_port(const char *p, const char *end)
{
	unsigned long port = 0;

	if (p >= end || end - p > 5 || *p == '0')
		return 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	return port > 65535 ? 0 : (uint16_t)port;
}

int sig_ep_parse(const char *s, size_t len, struct sig_ep *ep)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *end = s + len, *p;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (len && s[0] == '[') {
		p = memchr(s, ']', len);
		if (!p || p + 1 >= end || p[1] != ':')
			return -1;
		hlen = (size_t)(p - s - 1);
		colon = p + 1;
		s++;
		ep->family = AF_INET6;
	} else {
		colon = memchr(s, ':', len);
		if (!colon)
			return -1;
		hlen = (size_t)(colon - s);
		ep->family = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(ep->family, host, ep->addr) != 1)
		return -1;
	ep->port = parse_port(colon + 1, end);
	return ep->port ? 0 : -1;
}

int sig_cand_parse(const char *s, size_t len, struct sig_ep *ep)
{
	/* No address spells a '-', so the first one starts the window. */
	const char *end = s + len, *dash = memchr(s, '-', len);

	if (!dash)
		dash = end;
	if (sig_ep_parse(s, (size_t)(dash - s), ep))
		return -1;
	if (dash == end)
		return 0;
	ep->port_last = parse_port(dash + 1, end);
	if (ep->port_last <= ep->port ||
	    ep->port_last - ep->port >= SIG_MAX_RANGE)
		return -1;
	return 0;
}

char *sig_ep_format(const struct sig_ep *ep, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN];

	if (!inet_ntop(ep->family, ep->addr, host, sizeof(host)))
		snprintf(buf, cap, "?");
	else if (ep->family == AF_INET6)
		snprintf(buf, cap, "[%s]:%u", host, ep->port);
	else
		snprintf(buf, cap, "%s:%u", host, ep->port);
	if (ep->port_last > ep->port) {
		size_t n = strlen(buf);

		snprintf(buf + n, cap - n, "-%u", ep->port_last);
	}
	return buf;
}

int sig_ep_equal(const struct sig_ep *a, const struct sig_ep *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port &&
	       a->port_last == b->port_last && !memcmp(a->addr, b->addr, n);
}

static int parse_value(struct sig_msg *m, const struct sig_key *k,
		       const char *v, size_t len)
{
	char tmp[2 * SIG_MAC_LEN + 1];
	uint8_t *field = (uint8_t *)m + k->off;
	unsigned long n = 0;
	size_t i;

	switch (k->kind) {
	case K_WORD:
		if (!word_ok(v, len))
			return SIG_E_VALUE;
		memcpy(field, v, len);
		field[len] = '\0';
		return SIG_OK;
	case K_HEX:
		/* Exactly the field's size: no short keys or nonces. */
		if (len != 2 * k->size || len >= sizeof(tmp))
			return SIG_E_VALUE;
		memcpy(tmp, v, len);
		tmp[len] = '\0';
		return hex_decode(tmp, field, k->size) == (int)k->size ?
		       SIG_OK : SIG_E_VALUE;
	case K_EP:
		return sig_ep_parse(v, len, (struct sig_ep *)field) ?
		       SIG_E_VALUE : SIG_OK;
	case K_CANDS:
		if (m->n_cand >= SIG_MAX_CANDS)
			return SIG_E_CANDS;
		if (sig_cand_parse(v, len, &m->cand[m->n_cand]))
			return SIG_E_VALUE;
		m->n_cand++;
		return SIG_OK;
	case K_UINT:
		if (len == 0 || len > 9 || (len > 1 && v[0] == '0'))
			return SIG_E_VALUE;
		for (i = 0; i < len; i++) {
			if (v[i] < '0' || v[i] > '9')
				return SIG_E_VALUE;
			n = n * 10 + (unsigned long)(v[i] - '0');
		}
		*(uint32_t *)field = (uint32_t)n;
		return SIG_OK;
	case K_PROTO:
		for (i = 0; i < N_PROTOS; i++)
			if (strlen(sig_protos[i]) == len && !memcmp(sig_protos[i], v, len)) {
				*(uint32_t *)field = (uint32_t)i;
				return SIG_OK;
			}
		return SIG_E_VALUE;
	}
	return SIG_E_VALUE;
}

static const struct sig_key *find_key(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strlen(sig_keys[i].name) == len &&
		    !memcmp(sig_keys[i].name, s, len))
			return &sig_keys[i];
	return NULL;
}

int sig_parse(struct sig_msg *m, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *w, *eq;
	const struct sig_verb *verb;
	const struct sig_key *k;
	int type, err;

	memset(m, 0, sizeof(*m));
	if (len >= SIG_LINE_MAX)
		return SIG_E_LONG;
	w = memchr(p, ' ', len);
	if (!w)
		w = end;
	for (type = 1; type < __SIG_MAX; type++)
		if (strlen(sig_verbs[type].name) == (size_t)(w - p) &&
		    !memcmp(sig_verbs[type].name, p, (size_t)(w - p)))
			break;
	if (type == __SIG_MAX)
		return SIG_E_VERB;
	m->type = type;
	verb = &sig_verbs[type];

	/* Words are separated by exactly one space; no trailing space. */
	for (p = w; p < end; p = w) {
		p++;
		w = memchr(p, ' ', (size_t)(end - p));
		if (!w)
			w = end;
		eq = memchr(p, '=', (size_t)(w - p));
		if (!eq || eq == p || eq + 1 == w)
			return SIG_E_SYNTAX;
		k = find_key(p, (size_t)(eq - p));
		if (!k || !((verb->need | verb->may) & k->bit))
			return SIG_E_KEY;
		if ((m->has & k->bit) && k->kind != K_CANDS)
			return SIG_E_DUP;
		err = parse_value(m, k, eq + 1, (size_t)(w - eq - 1));
		if (err)
			return err;
		m->has |= k->bit;
	}
	return (m->has & verb->need) == verb->need ? SIG_OK : SIG_E_MISSING;
}

void sig_init(struct sig_msg *m, int type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	if (type == SIG_HELLO) {
		m->version = SIG_VERSION;
		m->has |= SIG_K_V;
	}
}

int sig_add_cand(struct sig_msg *m, const struct sig_ep *ep)
{
	if (m->n_cand >= SIG_MAX_CANDS)
		return -1;
	m->cand[m->n_cand++] = *ep;
	m->has |= SIG_K_CAND;
	return 0;
}

struct sig_out {
	char *buf;
	size_t cap, len;
	int err;
};

static void out_str(struct sig_out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->err || n >= o->cap - o->len) {
		o->err = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

/* " key=value" */
static void out_add(struct sig_out *o, const char *key, const char *value)
{
	out_str(o, " ");
	out_str(o, key);
	out_str(o, "=");
	out_str(o, value);
}

static void format_value(struct sig_out *o, const struct sig_msg *m,
			 const struct sig_key *k)
{
	char v[SIG_EP_STRLEN + 2 * SIG_MAC_LEN];
	const uint8_t *field = (const uint8_t *)m + k->off;
	unsigned int i;

	switch (k->kind) {
	case K_WORD:
		if (!sig_word_ok((const char *)field))
			o->err = 1;
		out_add(o, k->name, (const char *)field);
		return;
	case K_HEX:
		for (i = 0; i < k->size; i++)
			snprintf(v + 2 * i, 3, "%02x", field[i]);
		break;
	case K_EP:
		sig_ep_format((const struct sig_ep *)field, v, sizeof(v));
		break;
	case K_CANDS:
		if (!m->n_cand || m->n_cand > SIG_MAX_CANDS)
			o->err = 1;
		for (i = 0; i < m->n_cand && !o->err; i++)
			out_add(o, k->name,
				sig_ep_format(&m->cand[i], v, sizeof(v)));
		return;
	case K_UINT:
		snprintf(v, sizeof(v), "%u", *(const uint32_t *)field);
		break;
	case K_PROTO:
		i = *(const uint32_t *)field;
		if (i >= N_PROTOS) {
			o->err = 1;
			return;
		}
		out_add(o, k->name, sig_protos[i]);
		return;
	}
	out_add(o, k->name, v);
}

int sig_format(const struct sig_msg *m, char *buf, size_t cap)
{
	struct sig_out o = { buf, cap < SIG_LINE_MAX + 1 ? cap :
			     SIG_LINE_MAX + 1, 0, 0 };
	const struct sig_verb *verb;
	size_t i;

	if (m->type <= 0 || m->type >= __SIG_MAX || !cap)
		return -1;
	verb = &sig_verbs[m->type];
	if ((m->has & verb->need) != verb->need ||
	    (m->has & ~(verb->need | verb->may)))
		return -1;
	out_str(&o, verb->name);
	for (i = 0; i < N_KEYS; i++)
		if (m->has & sig_keys[i].bit)
			format_value(&o, m, &sig_keys[i]);
	out_str(&o, "\n");
	return o.err ? -1 : (int)o.len;
}
