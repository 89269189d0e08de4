/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command side of punchd's TCP calls (tcp_client.c). */
#ifndef PD_TCP_CLIENT_H
#define PD_TCP_CLIENT_H

/*
 * Ask the daemon at socket_path (how: enum nfp_tcp_how, libnfpunch's own
 * request), take the socket, and run cmd (NULL-terminated) on it, or
 * copy stdin and stdout over it: an exit status (cmd's own, when it
 * runs, for exec replaces us).
 */
int pd_tcp_client(const char *socket_path, int how, const char *peer, char *const *cmd);

#endif
