#!/bin/bash
# Trickle's success rate (issue 16 §1), on slow and lossy links: the
# scenario of punchd-trickle.sh (a NAT moves a mapping while both sides
# punch, lib/trickle.sh), alternately alice's mapping and bob's, each
# attempt on fresh ports. The public links (both NATs' uplinks, each
# way) are TRICKLE_DELAY ms slow (default 20), TRICKLE_JITTER ms around
# it (5), and lose TRICKLE_LOSS percent (0; bench/trickle's default 1:
# one attempt in CI is a check, many in the bench a rate). TRICKLE_ATTEMPTS
# per side (default 1, the CI form; bench/trickle runs many),
# TRICKLE_PUNCHD_OPTS added to both punchd (the baseline: "--trickle no").
# Each attempt prints
#   # trickle-result WHO MODE MS
# WHO the side whose mapping moved, MODE direct or relay, MS from connect
# to the direct path (0: none; both sides know their NATs before the call,
# so MS is the punch's own). Every attempt must connect; with trickle
# on, every one must go direct.
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/trickle.sh"

attempts=${TRICKLE_ATTEMPTS:-1}
delay=${TRICKLE_DELAY:-20} jitter=${TRICKLE_JITTER:-5} loss=${TRICKLE_LOSS:-0}
read -ra opts <<<"${TRICKLE_PUNCHD_OPTS:-}"
trickle=yes
case " ${opts[*]} " in *" --trickle no "* | *" --trickle=no "*) trickle=no ;; esac
rdv_up
for link in "$NA wan" "$NB wan" "$PUB to-a" "$PUB to-b"; do
	# shellcheck disable=SC2086 # NS and DEV
	nat_netem $link "$delay" "$jitter" "$loss" ||
		{ t_fail "netem on $link ($delay ms, $jitter ms, $loss%)"; t_done; }
done
echo "# links: ${delay} ms each way, jitter ${jitter} ms, loss ${loss}%; trickle $trickle"

# attempt WHO I: the I-th attempt where WHO's mapping moves.
attempt() {
	local who=$1 i=$2 pa pb np res want mode=relay ms=0
	if [ "$who" = alice ]; then
		pa=$((4000 + i)) pb=$((5000 + i)) np=$((40000 + i))
	else
		pa=$((4500 + i)) pb=$((5500 + i)) np=$((50000 + i))
	fi
	scenario "$who" "$pa" "$pb" "$np" "${opts[@]}"
	res=$(cat "$TMP/a.res")
	t_match "$who moved, attempt $i: alice connects" "^ok peer=bob mode=(relay|direct) " "$res"
	# Direct to where the mapping went: bob's new port, or his own.
	if [ "$who" = alice ]; then want='203\.0\.113\.1:'$pb; else want='203\.0\.113\.1:'$np; fi
	if direct alice bob "$want"; then
		mode=direct ms=$(pd_hook_direct alice bob 5)
	fi
	echo "# trickle-result $who $mode ${ms:-0}"
	if [ "$trickle" = yes ]; then
		t_expect "$who moved, attempt $i: the path goes direct (${ms:-?} ms)" direct "$mode"
	fi
	trickle_diag
	pd_fresh "$A" alice
	pd_fresh "$B" bob
}

for i in $(seq 1 "$attempts"); do
	attempt alice "$i"
	attempt bob "$i"
done

t_check "no punchd or server complained about memory (sanitizers)" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/*.log"
t_done
