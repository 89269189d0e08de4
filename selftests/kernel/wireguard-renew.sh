#!/bin/bash
# Relays that the server ends after 20 s however busy are renewed under
# kernel WireGuard without loss: the mesh of wireguard-mesh.sh (alice
# behind a port-preserving NAT, bob behind a fully random one, so alice
# and bob meet through the relay, carol behind a double NAT), and alice
# and bob ping each other ten times a second across two renewals.
# (A test of its own: renewals all along would race wireguard-mesh.sh's
# snapshot checks of where each wg peer points.)
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
. "$T_REPO/selftests/lib/wg.sh"
nat_scratch
trap 'zoo_down; rm -rf "$TMP"' EXIT

command -v wg >/dev/null || { t_fail "wireguard-tools (wg) is installed"; t_done; }
export ZOO_DELAY=${ZOO_DELAY:-20} ZOO_JITTER=${ZOO_JITTER:-5}
zoo_pub_up && zoo_side a pp && zoo_side b random && zoo_side c dbl ||
	{ t_fail "three sites come up (pp, random, dbl)"; t_done; }
HA=$(zoo_ns a h) HB=$(zoo_ns b h)
rdv_users alice bob carol
rdv_start --relay-lifetime 20 || { t_fail "rendezvousd starts"; t_done; }
wg_mesh_up || { t_fail "wg0 comes up in the three hosts"; t_done; }
for id in alice bob carol; do wg_mesh_punchd "$id"; done
mode() { pd_field "$(pd "${NS[$1]}" "$1" status | grep "^peer $2 ")" mode; }
t_check "alice and bob: both punchd say relay" \
	wait_for 400 eval "[ \"\$(mode alice bob)\$(mode bob alice)\" = relayrelay ]"
t_check "alice pings bob over wg0" \
	wait_for 10 ip netns exec "$HA" ping -c 2 -W 2 -i 0.3 10.77.0.2

# --- relays renewed under WireGuard -------------------------------------------
# WireGuard follows the source of what it authenticates: a packet through
# the old relay just before the peer moved would take it back there, and
# once the old relay ends neither side hears the other (until punchd's
# next look at wg0, seconds later).
# Traffic both ways all along, as an application's: each side pings the
# other ten times a second for 25 s.
moves=$(grep -c 'event=relay-renewed peer=alice' "$TMP/bob.log")
ip netns exec "$HA" ping -c 250 -i 0.1 -W 1 10.77.0.2 >"$TMP/ping.renew-a" 2>&1 &
png=$!
ip netns exec "$HB" ping -c 250 -i 0.1 -W 1 10.77.0.1 >"$TMP/ping.renew-b" 2>&1
wait "$png"
moves=$(($(grep -c 'event=relay-renewed peer=alice' "$TMP/bob.log") - moves))
lost_a=$(ping_loss "$TMP/ping.renew-a") lost_b=$(ping_loss "$TMP/ping.renew-b")
t_check "bob's relay to alice was renewed twice or more in 25 s ($moves)" test "$moves" -ge 2
t_check "pings over wg0 both ways across those moves: $lost_a% and $lost_b% lost (at most 2%)" \
	eval "at_most $lost_a 2 && at_most $lost_b 2"

for id in alice bob carol; do pd_stop "$id"; done
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer\|runtime error' $TMP/*.log"
t_done
