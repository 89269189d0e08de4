/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_VERSION_H
#define _NFPUNCH_VERSION_H

#define NFPUNCH_VERSION "0.6.1"

#endif /* _NFPUNCH_VERSION_H */
