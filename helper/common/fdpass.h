/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A file descriptor passed over a unix stream socket (SCM_RIGHTS) along
 * with the line that explains it: punchd hands a punched TCP connection
 * to the program that asked for it this way.
 */
#ifndef NFPUNCH_FDPASS_H
#define NFPUNCH_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send len bytes with fd attached, without blocking: 0, or -1 with errno. */
int fdpass_send(int sock, const void *buf, size_t len, int fd);

/*
 * Receive what is there, up to cap bytes, as read() does. A descriptor
 * that came with them goes to *fd (close-on-exec) if *fd is -1; any
 * other is closed: one is all a reply carries.
 */
ssize_t fdpass_recv(int sock, void *buf, size_t cap, int *fd);

#endif
