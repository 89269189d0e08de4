# Two namespaces joined by one veth, for tests that need a peer but no
# NAT (the NAT topologies are in nat.sh and zoo.sh).
# shellcheck shell=bash

# ns_pair NS1 NS2 ADDR1/LEN ADDR2/LEN [ADDR1_6/LEN ADDR2_6/LEN]: creates
# both namespaces, a veth "peer0" between them with the addresses (IPv6
# without duplicate address detection, usable at once), every link up.
# The caller deletes the namespaces.
ns_pair() {
	local ns
	ip netns add "$1" && ip netns add "$2" &&
		ip link add peer0 netns "$1" type veth peer name peer0 netns "$2" &&
		ip -n "$1" addr add "$3" dev peer0 &&
		ip -n "$2" addr add "$4" dev peer0 || return 1
	if [ $# -ge 6 ]; then
		ip -n "$1" -6 addr add "$5" dev peer0 nodad &&
			ip -n "$2" -6 addr add "$6" dev peer0 nodad || return 1
	fi
	for ns in "$1" "$2"; do
		ip -n "$ns" link set lo up && ip -n "$ns" link set peer0 up || return 1
	done
}

# ns_del NS...: end every process in each namespace, then delete it.
ns_del() {
	local ns
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}
