#!/bin/bash
# The NAT zoo as users' sites are (issue 16): every NAT a plain masquerade
# gateway with no firewall of its own, so conntrack keeps an entry for a
# peer's probe that arrives before anything went out, and public links
# 20 ms each way with 5 ms of jitter and 1% loss. Each pair connects once
# here (CI's time); the success rates over many attempts, delays and both
# orders are bench/nat-zoo --no-firewall --delay 20 --jitter 5 --loss 1
# --attempts N, of which this is the quick form (ZOO_ATTEMPTS=N here too).
# The quick pairs are the race's cases: a plain punch through one NAT a
# side and through two, and both spray roles (a relayed pair is
# nat-zoo.sh's random/seq, and pp/dbl one more plain punch;
# ZOO_KINDS="pp random dbl" runs the whole matrix of these kinds).
# vm-timeout: 1500
export ZOO_QUICK=${ZOO_QUICK:-"pp/pp dbl/dbl pp/random random/dbl"} ZOO_FIREWALL=no \
	ZOO_DELAY=20 ZOO_JITTER=5 ZOO_LOSS=1 ZOO_ATTEMPTS=${ZOO_ATTEMPTS:-1}
# Sourced, not run: the cases are named after this script.
. "$(dirname "$0")/nat-zoo.sh"
