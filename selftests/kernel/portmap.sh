#!/bin/bash
# Port mapping on the gateway: alice's and bob's NATs are both fully
# random (symmetric), a pair that can only be relayed, but alice's
# gateway runs miniupnpd (PCP, NAT-PMP). punchd maps alice's port there,
# offers that endpoint first and says its NAT is open, and the pair goes
# direct. A gateway that restarts and announces it has the mapping asked
# for again at once. With --port-mapping no, the same pair is relayed.
# The mapping is deleted when punchd stops.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
nat_scratch
trap 'rdv_down; rm -rf "$TMP"' EXIT

command -v miniupnpd >/dev/null || { t_fail "miniupnpd (miniupnpd-nftables) is installed"; t_done; }
nat_up || { t_fail "the NAT topology comes up"; t_done; }
# Fully random for the hosts behind them (not for the gateway's own
# packets: miniupnpd's STUN check must see its real address).
ip netns exec "$NA" nft flush chain inet nat post
ip netns exec "$NA" nft add rule inet nat post oifname wan ip saddr 10.0.1.0/24 masquerade fully-random
ip netns exec "$NB" nft flush chain inet nat post
ip netns exec "$NB" nft add rule inet nat post oifname wan ip saddr 10.0.2.0/24 masquerade fully-random
# miniupnpd asks the server for answers from its other address and port
# (RFC 5780): its home router lets them in, or it sees itself filtered
# and disables port forwarding.
ip netns exec "$NA" nft insert rule inet filter input ip saddr 192.0.2.0/24 udp sport '{ 3478, 3479 }' accept

# miniupnpd's chains, made here (Debian's nft_init.sh is broken), in a
# table of its own beside the NAT's.
ip netns exec "$NA" nft -f - <<-NFT
	table inet upnp {
		chain forward { type filter hook forward priority filter; policy accept; jump upnp_fwd; }
		chain upnp_fwd { }
		chain prerouting { type nat hook prerouting priority dstnat; policy accept; jump upnp_pre; }
		chain upnp_pre { }
		chain postrouting { type nat hook postrouting priority srcnat - 10; policy accept; jump upnp_post; }
		chain upnp_post { }
	}
NFT
# 198.51.100.1 is TEST-NET-2, which miniupnpd 2.3.1 will not map unless
# STUN (rendezvousd) shows it is the address the outside sees.
rdv_users alice bob
rdv_start || { t_fail "rendezvousd starts"; t_done; }
cat >"$TMP/miniupnpd.conf" <<-EOF
	ext_ifname=wan
	listening_ip=lan
	ext_perform_stun=yes
	ext_stun_host=192.0.2.1
	ext_stun_port=3478
	enable_upnp=no
	enable_natpmp=yes
	secure_mode=yes
	upnp_table_name=upnp
	upnp_nat_table_name=upnp
	upnp_forward_chain=upnp_fwd
	upnp_nat_chain=upnp_pre
	upnp_nat_postrouting_chain=upnp_post
	uuid=5b4ad1e6-2f3a-4c6e-9b3d-6a1f0c2e7d10
	allow 1024-65535 10.0.1.0/24 1024-65535
	deny 0-65535 0.0.0.0/0 0-65535
EOF
# upnpd_start CONF: miniupnpd on nat-a with that config; UPNPD is its pid.
upnpd_start() {
	ip netns exec "$NA" miniupnpd -f "$1" -d -P "$TMP/miniupnpd.pid" \
		>>"$TMP/miniupnpd.log" 2>&1 &
	UPNPD=$!
}
upnpd_start "$TMP/miniupnpd.conf"
# unmapped: nat-a's table (listed, not failing) has no forward to alice.
unmapped() {
	ip netns exec "$NA" nft list chain inet upnp upnp_pre >"$TMP/pre" &&
		! grep -q 'dnat ip to 10.0.1.2:4000' "$TMP/pre"
}
wait_udp_bound "$NA" 5351 || { t_fail "miniupnpd listens on nat-a's PCP port"; cat "$TMP/miniupnpd.log"; t_done; }

pd_start "$A" alice 4000
pd_start "$B" bob 5000
t_check "both punchd register" eval "pd_registered alice && pd_registered bob"
t_check "alice's punchd maps its port on the gateway" \
	wait_for 50 grep -q 'event=portmap result=mapped method=pcp external=198\.51\.100\.1:' "$TMP/alice.log"
t_check "bob's gateway maps nothing" \
	wait_for 100 grep -q 'event=portmap result=none' "$TMP/bob.log"
t_check "the gateway holds the mapping (nft)" \
	eval "ip netns exec '$NA' nft list chain inet upnp upnp_pre | grep -q 'dnat ip to 10.0.1.2:4000'"
t_expect "alice's status shows it" "mapped pcp" \
	"$(pd "$A" alice status -j | jq -r '.portmap | "\(.state) \(.method)"')"

res=$(pd "$B" bob connect alice)
t_match "two random NATs, one mapped: bob connects to alice directly" \
	"^ok peer=alice mode=direct endpoint=198\.51\.100\.1:[0-9]+ " "$res"
pa=$(pd_field "$res" endpoint)
got=$(nat_app "$B" 10.0.2.2:5000 "$A" 10.0.1.2:4000 "$pa" mapped 3)
t_expect "bob's application reaches alice's through the mapping" "mapped mapped mapped" "$(echo $got)"

# The gateway restarts (its mappings gone with it) and says so to all
# hosts (a PCP ANNOUNCE to 224.0.0.1:5350): alice's punchd asks again at
# once, not at its renewal an hour later.
kill "$UPNPD" 2>/dev/null
wait "$UPNPD" 2>/dev/null
# A reboot: whatever miniupnpd left in the table goes too.
for c in upnp_pre upnp_fwd upnp_post; do ip netns exec "$NA" nft flush chain inet upnp $c; done
t_check "the gateway goes down: its mapping of alice's port is gone" unmapped
upnpd_start "$TMP/miniupnpd.conf"
t_check "it comes back and announces it: alice's punchd hears the restart" \
	wait_for 100 grep -q 'event=portmap method=pcp event=gateway-restarted source=announce' \
	"$TMP/alice.log"
t_check "and maps her port again within seconds" \
	wait_for 100 eval "ip netns exec '$NA' nft list chain inet upnp upnp_pre |
			   grep -q 'dnat ip to 10.0.1.2:4000'"

# Without the mapping the same pair can only relay.
pd_stop alice
t_check "stopping punchd deletes the mapping" \
	wait_for 50 unmapped
pd "$B" bob disconnect alice >/dev/null
pd_start "$A" alice 4000 --port-mapping no
pd_registered alice 2
res=$(pd "$B" bob connect alice)
t_match "with --port-mapping no the pair is relayed" "^ok peer=alice mode=relay " "$res"

# A gateway that speaks only UPnP-IGD, and drops PCP and NAT-PMP without
# a word: punchd waits both out (about 3.5 s of tries), finds the IGD by
# SSDP, and maps through it.
pd_stop alice
kill "$UPNPD" 2>/dev/null
wait "$UPNPD" 2>/dev/null
sed 's/^enable_upnp=no$/enable_upnp=yes/; s/^enable_natpmp=yes$/enable_natpmp=no/' \
	"$TMP/miniupnpd.conf" >"$TMP/miniupnpd-igd.conf"
upnpd_start "$TMP/miniupnpd-igd.conf"
wait_udp_bound "$NA" 1900
ip netns exec "$NA" nft -f - <<-NFT
	table inet silent { chain in { type filter hook input priority filter - 5; udp dport 5351 drop; } }
NFT
pd "$B" bob disconnect alice >/dev/null
pd_start "$A" alice 4000
t_check "alice registers again" pd_registered alice 3
t_check "with only UPnP-IGD on the gateway, alice's port is mapped through it" \
	wait_for 150 grep -q 'event=portmap result=mapped method=upnp external=198\.51\.100\.1:4000' "$TMP/alice.log"
res=$(pd "$B" bob connect alice)
t_match "and bob connects to alice directly again" \
	"^ok peer=alice mode=direct endpoint=198\.51\.100\.1:4000 " "$res"
pd_stop alice
t_check "stopping punchd deletes the UPnP mapping" \
	wait_for 50 unmapped
ip netns exec "$NA" nft delete table inet silent

# The attacker on the LAN: a box that answers NAT-PMP for the gateway
# with an external address of its choosing. punchd takes the mapping but
# never offers it, nor calls its NAT open: the server does not see it
# there. The pair relays, as it would with no gateway at all.
kill "$UPNPD" 2>/dev/null
wait "$UPNPD" 2>/dev/null
ip netns exec "$NA" python3 -c '
import socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.1.1", 5351))
while True:
    b, a = s.recvfrom(2000)
    if b[0] == 2:		# PCP: "only NAT-PMP here"
        s.sendto(struct.pack("!BBHI", 0, 0x81, 1, int(time.time()) % 100000), a)
    elif b[:2] == b"\0\0":	# public address: a forged one
        s.sendto(struct.pack("!BBHI", 0, 128, 0, 100) + socket.inet_aton("203.0.113.66"), a)
    elif b[:2] == b"\0\1":
        ip, ep, life = struct.unpack("!HHI", b[4:12])
        s.sendto(struct.pack("!BBHIHHI", 0, 129, 0, 100, ip, ep if life else 0, life), a)
' >"$TMP/forger.log" 2>&1 &
forger=$!
wait_udp_bound "$NA" 5351
pd "$B" bob disconnect alice >/dev/null
pd_start "$A" alice 4000
t_check "alice registers again" pd_registered alice 4
t_check "a forged NAT-PMP answer is taken as a mapping" \
	wait_for 100 grep -q 'event=portmap result=mapped method=natpmp external=203\.0\.113\.66:4000' "$TMP/alice.log"
res=$(pd "$B" bob connect alice)
t_match "but never offered: bob relays, as with no gateway" "^ok peer=alice mode=relay " "$res"
cands() { grep 'event=accepted peer=alice ' "$TMP/bob.log" | sed -n "$1p" | grep -o 'candidates=[0-9]*'; }
t_expect "alice offered bob as many candidates as with --port-mapping no (not the forged one)" \
	"$(cands 2)" "$(cands 4)"
t_check "alice did not tell bob her NAT is open: both symmetric, relay" \
	eval "grep 'event=strategy peer=alice' $TMP/bob.log | tail -1 |
	      grep -q 'peer_nat=apdm\..*strategy=relay why=both-symmetric'"
kill "$forger" 2>/dev/null

pd_stop alice
pd_stop bob
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer' $TMP/*.log"
t_done
