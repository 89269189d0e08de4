# Bounded waits for things a test starts in the background, instead of
# guessing with sleep: programs start slowly under emulation.
# shellcheck shell=bash

# wait_for TRIES CMD...: run CMD every 0.1 s until it succeeds, at most
# TRIES times. Returns CMD's last status.
wait_for() {
	local i n=$1
	shift
	# The debug kernel (KASAN, lockdep) runs everything 3 to 7 times
	# slower: the same checks get 4 times as long before they fail.
	[ "${NFP_DEBUG_KERNEL:-0}" = 1 ] && n=$((n * 4))
	for ((i = 1; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

_udp_bound() { ip netns exec "$1" ss -Hlun "$2" | grep -q .; }

# wait_udp_bound NS PORT [ADDR]: up to 10 s for a UDP socket bound to
# PORT (on ADDR, an IPv4 address, when given) in NS.
wait_udp_bound() {
	local filter="sport = :$2"
	[ -n "${3:-}" ] && filter="src $3:$2"
	wait_for 100 _udp_bound "$1" "$filter"
}

# wait_nonempty FILE: up to 5 s for a background program to write FILE.
wait_nonempty() {
	wait_for 50 test -s "$1"
}

_listeners() {
	[ "$(ip netns exec "$1" awk '$2 == 16 && $4 != "00000000"' \
		/proc/net/netlink | wc -l)" -ge "$2" ]
}

# wait_event_listeners NS N: up to 5 s until N generic netlink sockets in
# NS have joined a multicast group (punchctl monitor, punch-wait).
wait_event_listeners() {
	wait_for 50 _listeners "$1" "$2"
}

# now_ms: the wall clock in milliseconds, to time a measured window.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
