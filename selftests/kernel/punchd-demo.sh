#!/bin/bash
# The README's main demo (make demo) as a test: nothing else runs it, and
# a helper renamed under it once broke it unseen. It must end "demo: OK",
# having shown a path up at once (the relay beside the punch, or direct),
# the move to direct, the applications' data NAT to NAT, the path held
# while idle and, with UDP between the NATs cut, the relay.
# vm-timeout: 300
. "$(dirname "$0")/../lib/test.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

(cd "$T_REPO" && NFP_BIN=$T_BIN timeout 240 bash demo/demo.sh) >"$out" 2>&1
rc=$?
t_expect "demo/demo.sh exits 0" 0 "$rc"
t_check "and says so last" eval "tail -n 1 '$out' | grep -qx 'demo: OK'"
t_check "connect answered with a path" grep -q '^  ok peer=bob mode=\(relay\|direct\) ' "$out"
t_check "then the peers moved to the direct path" grep -q '^direct path up: [0-9]* ms' "$out"
t_check "the applications talked NAT to NAT" \
	grep -q "^bob's application received: hello-bob hello-bob hello-bob$" "$out"
t_check "with UDP between the NATs cut, connect answered through the relay" \
	grep -q '^  ok peer=bob mode=relay endpoint=192\.0\.2\.1:' "$out"
[ "$rc" -eq 0 ] || tail -n 40 "$out" | sed 's/^/# /'
t_done
