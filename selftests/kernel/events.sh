#!/bin/bash
# libnfpunch's events as an event loop sees them (selftests/tools/
# events-check against the module): a read never blocks, a callback that
# refuses an event loses nothing, edge-triggered epoll wakes once per
# burst, and after the kernel drops events (-ENOBUFS) a resync reports
# every flow there is; an application tag filters events, resyncs, dumps
# and deletes; the blocking mapping calls report a timeout as a result.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/netns.sh"
A=nfp-ev-a-$$ B=nfp-ev-b-$$
trap 'ns_del "$A" "$B"' EXIT
ns_pair "$A" "$B" 10.9.0.1/24 10.9.0.2/24 ||
	{ t_fail "two namespaces joined by a veth"; t_done; }

out=$(ip netns exec "$A" timeout 60 "$T_BIN/selftests/tools/events-check" 10.9.0.1 20000 2>&1)
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) t_ok "${line#ok }" ;;
	"not ok "*) t_fail "${line#not ok }" ;;
	"# "*) echo "$line" ;;
	*) [ -n "$line" ] && echo "# $line" ;;
	esac
done <<<"$out"
t_expect "events-check exits 0" "0" "$rc"
t_expect "the namespace is left without flows" "0" \
	"$(ip netns exec "$A" "$PUNCHCTL" -j stats | jq .flows)"
t_done
