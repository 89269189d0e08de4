#!/bin/bash
# The main demo, run inside the test VM by "make demo".
#
# For now it shows the module loaded, answering over generic netlink in
# the host namespace and in two other namespaces that stand for the two
# NATed hosts. The two-NAT hole punching demo grows from here.
set -eu
bin=${NFP_BIN:-build}
step() { printf '\n== %s\n' "$*"; }

cleanup() { ip netns del alice 2>/dev/null || true; ip netns del bob 2>/dev/null || true; }
trap cleanup EXIT

step "kernel $(uname -r), module loaded:"
grep -E '^nfpunch ' /proc/modules
modinfo -F version nfpunch.ko | sed 's/^/version /'

step "punchctl stats (host namespace)"
"$bin/punchctl" stats

ip netns add alice
ip netns add bob
for ns in alice bob; do
	step "punchctl -j stats in namespace $ns"
	ip netns exec "$ns" "$bin/punchctl" -j stats
done

step "generic netlink family as the kernel lists it"
if command -v genl >/dev/null; then genl ctrl get name nfpunch; fi
echo
echo "demo: OK"
