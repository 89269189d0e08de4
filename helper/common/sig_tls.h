/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Signaling over TLS 1.3 (OpenSSL), on non-blocking sockets driven by an
 * event loop: both rendezvousd and punchd use it. The registration proof
 * covers a value exported from the TLS session (RFC 8446 section 7.5), so
 * it is worth nothing on any other connection, and nothing can be
 * injected into a registered one.
 */
#ifndef NFPUNCH_SIG_TLS_H
#define NFPUNCH_SIG_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SIG_TLS_EXPORTER_LEN	32

struct sig_tls;
struct ssl_ctx_st;

/* The server's context: certificate chain and key (PEM files). */
struct ssl_ctx_st *sig_tls_server_ctx(const char *cert, const char *key,
				      char *err, size_t errlen);
/*
 * The client's: it trusts the CA in ca_file, or (pin, 64 hex digits) the
 * server key whose SubjectPublicKeyInfo has that SHA-256; one of them.
 */
struct ssl_ctx_st *sig_tls_client_ctx(const char *ca_file, const char *pin,
				      char *err, size_t errlen);
void sig_tls_ctx_free(struct ssl_ctx_st *ctx);

/*
 * A session on connected socket fd; name: the server's (a client's check
 * of a CA-issued certificate: an IP address or a DNS name).
 */
struct sig_tls *sig_tls_new(struct ssl_ctx_st *ctx, int fd, bool server,
			    const char *name);
/* Say close_notify if the socket takes it now (never waits). */
void sig_tls_close(struct sig_tls *t);
void sig_tls_free(struct sig_tls *t);

/* 1 when the handshake is done, 0 while it waits for the socket, -1. */
int sig_tls_handshake(struct sig_tls *t);
/*
 * Like recv()/send(): -1 with errno EAGAIN when the socket must be
 * waited for (see sig_tls_want_write), EPROTO or ECONNRESET on errors.
 */
ssize_t sig_tls_read(struct sig_tls *t, void *buf, size_t len);
ssize_t sig_tls_write(struct sig_tls *t, const void *buf, size_t len);
/* The last call waits for the socket to be writable (not readable). */
bool sig_tls_want_write(const struct sig_tls *t);
/*
 * A read (or the handshake) waits for the socket to be writable: wait
 * for that alone, or a readable socket wakes the loop for nothing.
 */
bool sig_tls_read_wants_write(const struct sig_tls *t);
/* What went wrong last, for a log line. */
const char *sig_tls_error(const struct sig_tls *t);

/* The registration's binding to this session. */
int sig_tls_exporter(struct sig_tls *t, uint8_t out[SIG_TLS_EXPORTER_LEN]);

#endif
