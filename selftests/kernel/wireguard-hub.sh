#!/bin/bash
# The quick form of bench/wg-hub (CI): a WireGuard hub keeping 40 peers
# (bench/wg-peers plays them) with one punchd. Five times the calls that
# may wait for the server at once, so the starts are paced: every peer
# comes up direct with no call refused by the server (busy, rate-limit)
# and no failure, every WireGuard peer gets its path as endpoint, and
# the paths stay up through keepalives (5 s here) while idle. The CPU
# figures are bench/README.md's, from the bench at 100 and 1000 peers;
# perf, which takes a minute to start here, is left out.
# vm-timeout: 600
export WGH_PEERS=${WGH_PEERS:-40} WGH_IDLE=${WGH_IDLE:-15} WGH_KEEPALIVE=${WGH_KEEPALIVE:-5} \
	WGH_PERF=${WGH_PERF:-0}
# Sourced, not run: the cases are named after this script.
. "$(dirname "$0")/../../bench/wg-hub.sh"
