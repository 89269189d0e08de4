// SPDX-License-Identifier: LGPL-2.1-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "sig_tls.h"

static const char exporter_label[] = "EXPORTER-nfpunch-register";

/* Key updates a peer may ask for: each costs us key derivations. */
#define MAX_KEY_UPDATES	16

struct sig_tls {
	SSL *ssl;
	const uint8_t *pin;	/* the context's, or NULL */
	bool want_write;	/* the last call waits for room to write */
	bool read_wants_write;	/* a read (or the handshake) does */
	unsigned int key_updates;	/* received since the handshake */
	char err[160];
};

/* Counts the peer's KeyUpdate messages, which the line limits never see. */
static void on_message(int write_p, int version, int content_type,
		       const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct sig_tls *t = SSL_get_app_data(ssl);

	(void)version;
	(void)arg;
	if (!write_p && t && content_type == SSL3_RT_HANDSHAKE && len &&
	    ((const uint8_t *)buf)[0] == SSL3_MT_KEY_UPDATE)
		t->key_updates++;
}

static void last_error(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	char why[120] = "";

	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	snprintf(buf, len, "%s%s%s", what, *why ? ": " : "", why);
	ERR_clear_error();
}

static SSL_CTX *ctx_13(const SSL_METHOD *method)
{
	SSL_CTX *ctx = SSL_CTX_new(method);

	if (!ctx)
		return NULL;
	/* TLS 1.3 only: one protocol to get right, forward secrecy always. */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	/*
	 * Buffers only while in use (an idle connection costs no 34 KiB),
	 * and one record per read: control goes back to the event loop
	 * after each, whatever the peer streams.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			 SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_msg_callback(ctx, on_message);
	/* No tickets: a signaling connection lives long, resuming saves little. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	return ctx;
}

SSL_CTX *sig_tls_server_ctx(const char *cert, const char *key, char *err,
			    size_t errlen)
{
	SSL_CTX *ctx = ctx_13(TLS_server_method());

	if (!ctx) {
		last_error(err, errlen, "TLS context");
		return NULL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		last_error(err, errlen, cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		last_error(err, errlen, key);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *sig_tls_client_ctx(const char *ca_file, const char *pin, char *err,
			    size_t errlen)
{
	SSL_CTX *ctx = ctx_13(TLS_client_method());
	uint8_t *want = NULL;

	if (!ctx) {
		last_error(err, errlen, "TLS context");
		return NULL;
	}
	if (!ca_file == !pin) {
		snprintf(err, errlen, "give a CA file or a pinned key, one of them");
		goto fail;
	}
	if (ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			last_error(err, errlen, ca_file);
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		return ctx;
	}
	/* A pin replaces the chain: checked once the handshake is done. */
	want = malloc(SHA256_DIGEST_LENGTH);
	if (!want || strlen(pin) != 2 * SHA256_DIGEST_LENGTH ||
	    hex_decode(pin, want, SHA256_DIGEST_LENGTH) != SHA256_DIGEST_LENGTH) {
		snprintf(err, errlen, "a pin is 64 hex digits (SHA-256 of the key)");
		free(want);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_app_data(ctx, want);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void sig_tls_ctx_free(SSL_CTX *ctx)
{
	if (!ctx)
		return;
	free(SSL_CTX_get_app_data(ctx));
	SSL_CTX_free(ctx);
}

struct sig_tls *sig_tls_new(SSL_CTX *ctx, int fd, bool server,
			    const char *name)
{
	struct sig_tls *t = calloc(1, sizeof(*t));
	uint8_t ip[16];

	if (!t)
		return NULL;
	ERR_clear_error();
	t->ssl = SSL_new(ctx);
	if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	SSL_set_app_data(t->ssl, t);
	t->pin = SSL_CTX_get_app_data(ctx);
	if (server) {
		SSL_set_accept_state(t->ssl);
		return t;
	}
	SSL_set_connect_state(t->ssl);
	if (name && !t->pin) {
		if (inet_pton(AF_INET, name, ip) == 1 ||
		    inet_pton(AF_INET6, name, ip) == 1) {
			if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
							  name) != 1)
				goto fail;
		} else if (SSL_set1_host(t->ssl, name) != 1 ||
			   SSL_set_tlsext_host_name(t->ssl, name) != 1) {
			goto fail;
		}
	}
	return t;
fail:
	ERR_clear_error();
	sig_tls_free(t);
	return NULL;
}

void sig_tls_close(struct sig_tls *t)
{
	ERR_clear_error();
	if (SSL_is_init_finished(t->ssl))
		SSL_shutdown(t->ssl);
	ERR_clear_error();
}

void sig_tls_free(struct sig_tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl);
	free(t);
}

/* The result of an SSL call that did not succeed, as errno. */
static int failed(struct sig_tls *t, int ret, const char *what, bool reading)
{
	int e = SSL_get_error(t->ssl, ret);

	t->want_write = e == SSL_ERROR_WANT_WRITE;
	t->read_wants_write = reading && t->want_write;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	if (e == SSL_ERROR_SYSCALL && !ERR_peek_error()) {
		snprintf(t->err, sizeof(t->err), "%s: %s", what,
			 errno ? strerror(errno) : "connection closed");
		errno = ECONNRESET;
		return -1;
	}
	last_error(t->err, sizeof(t->err), what);
	errno = EPROTO;
	return -1;
}

static bool pin_matches(struct sig_tls *t)
{
	X509 *cert = SSL_get1_peer_certificate(t->ssl);
	uint8_t *der = NULL, hash[SHA256_DIGEST_LENGTH];
	int len;
	bool ok = false;

	if (!cert)
		return false;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (len > 0 && EVP_Digest(der, (size_t)len, hash, NULL, EVP_sha256(),
				  NULL) == 1)
		ok = CRYPTO_memcmp(hash, t->pin, sizeof(hash)) == 0;
	OPENSSL_free(der);
	X509_free(cert);
	ERR_clear_error();
	return ok;
}

int sig_tls_handshake(struct sig_tls *t)
{
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_do_handshake(t->ssl);
	if (ret != 1)
		return failed(t, ret, "TLS handshake", true) < 0 &&
		       errno == EAGAIN ? 0 : -1;
	t->want_write = t->read_wants_write = false;
	t->key_updates = 0;
	if (t->pin && !pin_matches(t)) {
		snprintf(t->err, sizeof(t->err),
			 "TLS handshake: the server's key is not the pinned one");
		return -1;
	}
	return 1;
}

ssize_t sig_tls_read(struct sig_tls *t, void *buf, size_t len)
{
	size_t n = 0;
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_read_ex(t->ssl, buf, len, &n);
	if (t->key_updates > MAX_KEY_UPDATES) {
		snprintf(t->err, sizeof(t->err), "TLS read: %u key updates",
			 t->key_updates);
		errno = EPROTO;
		return -1;
	}
	if (ret == 1) {
		t->want_write = t->read_wants_write = false;
		return (ssize_t)n;
	}
	return failed(t, ret, "TLS read", true);
}

ssize_t sig_tls_write(struct sig_tls *t, const void *buf, size_t len)
{
	size_t n = 0;
	int ret;

	ERR_clear_error();
	errno = 0;
	ret = SSL_write_ex(t->ssl, buf, len, &n);
	if (ret == 1) {
		t->want_write = false;
		return (ssize_t)n;
	}
	if (!failed(t, ret, "TLS write", false))
		errno = ECONNRESET;	/* the peer closed */
	return -1;
}

bool sig_tls_want_write(const struct sig_tls *t)
{
	return t->want_write;
}

bool sig_tls_read_wants_write(const struct sig_tls *t)
{
	return t->read_wants_write;
}

const char *sig_tls_error(const struct sig_tls *t)
{
	return t->err[0] ? t->err : "TLS error";
}

int sig_tls_exporter(struct sig_tls *t, uint8_t out[SIG_TLS_EXPORTER_LEN])
{
	int ret = SSL_export_keying_material(t->ssl, out, SIG_TLS_EXPORTER_LEN,
					     exporter_label,
					     sizeof(exporter_label) - 1,
					     NULL, 0, 0);

	ERR_clear_error();
	return ret == 1 ? 0 : -1;
}
