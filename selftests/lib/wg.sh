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

# The mesh of three zoo hosts (zoo.sh): alice on side a, bob on b, carol
# on c, each with a wg0 on 51820 (10.77.0.1, .2, .3) that has the other
# two as peers, without endpoints: punchd finds those. NS, IP and KEY
# (each host's namespace, last address byte and public key) are set.
declare -A NS IP KEY
wg_mesh_up() {
	local id o
	NS=([alice]=$(zoo_ns a h) [bob]=$(zoo_ns b h) [carol]=$(zoo_ns c h))
	IP=([alice]=1 [bob]=2 [carol]=3)
	for id in alice bob carol; do
		KEY[$id]=$(wg_up "${NS[$id]}" 51820 "10.77.0.${IP[$id]}/24") || return 1
	done
	for id in alice bob carol; do
		for o in alice bob carol; do
			[ "$o" = "$id" ] && continue
			ip netns exec "${NS[$id]}" wg set wg0 peer "${KEY[$o]}" \
				allowed-ips "10.77.0.${IP[$o]}/32"
		done
	done
}

# wg_mesh_punchd ID: ID's punchd for its wg0 (rdv.sh's pd_start), keeping
# both others connected from the start; the smaller id's call stands
# when two cross (glare).
wg_mesh_punchd() {
	local id=$1 args=() o
	for o in alice bob carol; do
		[ "$o" = "$id" ] && continue
		args+=(--wg-peer "$o=${KEY[$o]}" --connect "$o")
	done
	pd_start "${NS[$id]}" "$id" 51820 --wireguard wg0 "${args[@]}" --punch-timeout 8 \
		--timeout 6
}

# ping_loss FILE: the percentage of pings lost, as ping's summary in FILE
# says it ("12%" or "0.4%"); 100 when there is none.
ping_loss() {
	sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$1" | grep . || echo 100
}

# at_most X MAX: X <= MAX, decimals allowed.
at_most() { awk -v x="$1" -v m="$2" 'BEGIN { exit !(x + 0 <= m + 0) }'; }
