# Kernel WireGuard in the tests' namespaces (wireguard-tools' wg).
# shellcheck shell=bash

# wg_up NS PORT ADDR: a wg0 in NS listening on PORT with tunnel address
# ADDR; its public key on stdout.
wg_up() {
	local key
	key=$(wg genkey)
	# A file: the VM's /dev has no /dev/stdin.
	(umask 077 && echo "$key" >"$TMP/$1.wgkey") || return 1
	ip -n "$1" link add wg0 type wireguard || return 1
	ip netns exec "$1" wg set wg0 private-key "$TMP/$1.wgkey" listen-port "$2" || return 1
	ip -n "$1" addr add "$3" dev wg0 && ip -n "$1" link set wg0 up || return 1
	echo "$key" | wg pubkey
}

# wg_endpoint NS KEY: where NS's wg0 sends to the peer KEY ("(none)" if
# nowhere yet).
wg_endpoint() {
	ip netns exec "$1" wg show wg0 endpoints | awk -v k="$2" '$1 == k { print $2 }'
}
