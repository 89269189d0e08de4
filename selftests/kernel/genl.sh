#!/bin/bash
# The generic netlink family: reachable, namespaced, admin-only, strict.
. "$(dirname "$0")/../lib/test.sh"

cleanup() { ip netns del nfp-genl 2>/dev/null; }
trap cleanup EXIT

out=$("$PUNCHCTL" stats 2>&1)
t_match "stats answers with the module version" \
	"^version $(modinfo -F version "$NFP_MODULE")\$" "$(echo "$out" | head -1)"

json=$("$PUNCHCTL" -j stats 2>&1)
t_expect "stats -j is JSON with no flows" 0 "$(echo "$json" | jq -e .flows 2>&1)"

ip netns add nfp-genl
t_check "the family answers in another network namespace" \
	ip netns exec nfp-genl "$PUNCHCTL" stats

t_check "a user namespace that owns its network namespace is admin there" \
	unshare --user --map-root-user --net "$PUNCHCTL" stats

err=$(unshare --user --map-root-user "$PUNCHCTL" stats 2>&1)
rc=$?
t_expect "root of a user namespace that does not own the netns is refused" \
	"1 punchctl: cannot read statistics: Operation not permitted" "$rc $err"

err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PUNCHCTL" stats 2>&1)
rc=$?
t_expect "an unprivileged user is refused" \
	"1 punchctl: cannot read statistics: Operation not permitted" "$rc $err"

# Hand-made requests (genl-send prints "error ERRNO EXTACK").
t_expect "an attribute the request must not carry is rejected with a reason" \
	"error 22 the version is reported, not set" \
	"$("$GENL_SEND" 1 0600010078000000)"
t_expect "an unknown attribute is rejected" \
	"error 22 Unknown attribute type" \
	"$("$GENL_SEND" 1 0800630001000000)"
t_expect "a truncated attribute is rejected" \
	"error 22 bytes leftover after parsing attributes" \
	"$("$GENL_SEND" 1 08000200)"
t_expect "a non-zero reserved header field is rejected" \
	"error 22 genlmsghdr.reserved field is not 0" "$("$GENL_SEND" -r 1 1)"
t_expect "an unknown command is refused" \
	"error 95 " "$("$GENL_SEND" 200)"

t_done
