# Bounded waits for things a test starts in the background, instead of
# guessing with sleep: programs start slowly under emulation.
# shellcheck shell=bash

# wait_udp_bound NS PORT [ADDR]: up to 10 s for a UDP socket bound to
# PORT (on ADDR, an IPv4 address, when given) in NS.
wait_udp_bound() {
	local i filter="sport = :$2"
	[ -n "${3:-}" ] && filter="src $3:$2"
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$1" ss -Hlun "$filter" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# wait_nonempty FILE: up to 5 s for a background program to write FILE.
wait_nonempty() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_event_listeners NS N: up to 5 s until N generic netlink sockets in
# NS have joined a multicast group (punchctl monitor, punch-wait).
wait_event_listeners() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(ip netns exec "$1" awk '$2 == 16 && $4 != "00000000"' \
			/proc/net/netlink | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
