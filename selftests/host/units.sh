#!/bin/bash
# The systemd units as shipped: they load (systemd-analyze verify, with
# ExecStart pointed at this build), their sandbox keeps the exposure
# score low (systemd-analyze security, offline), secrets reach the
# unprivileged services as credentials, and the example config's
# control socket is the one "punchd connect" uses by default.
. "$(dirname "$0")/../lib/test.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# unit NAME: the shipped unit with its binary replaced by this build's.
unit() {
	sed "s|/usr/local/sbin/$1|$T_BIN/$1|" "$2" >"$dir/$1.service"
	echo "$dir/$1.service"
}
r=$(unit rendezvousd "$T_REPO/server/dist/rendezvousd.service")
p=$(unit punchd "$T_REPO/helper/punchd/dist/punchd.service")

for u in "$r" "$p"; do
	name=$(basename "$u")
	t_check "$name: systemd-analyze verify" systemd-analyze verify --man=no "$u"
	out=$(systemd-analyze security --offline=true --threshold=20 "$u" 2>&1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
		t_ok "$name: exposure $score (at most 2.0)"
	else
		t_fail "$name: exposure at most 2.0" "score: '$score'" \
			"$(printf '%s\n' "$out" | grep '✗')"
	fi
	t_check "$name: runs as a dynamic user" grep -qx 'DynamicUser=yes' "$u"
done
t_check "rendezvousd.service: the users file is a credential" \
	grep -q 'LoadCredential=users:.*--users ${CREDENTIALS_DIRECTORY}/users' \
	<(tr '\n' ' ' <"$r")
t_check "rendezvousd.service: so is the TLS key" \
	grep -q 'LoadCredential=tls-key:.*--tls-key ${CREDENTIALS_DIRECTORY}/tls-key' \
	<(tr '\n' ' ' <"$r")
t_check "punchd.service: the secret is a credential" \
	grep -q 'LoadCredential=secret:.*--secret-file ${CREDENTIALS_DIRECTORY}/secret' \
	<(tr '\n' ' ' <"$p")
t_match "punchd.service: CAP_NET_ADMIN is all it may have" \
	'^CapabilityBoundingSet=CAP_NET_ADMIN$' "$(grep ^CapabilityBoundingSet= "$p")"

sock=$(sed -n 's/^socket //p' "$T_REPO/helper/punchd/dist/punchd.conf.example")
default=$("$T_BIN/punchd" --help | sed -n 's/.*--socket PATH.*(\(.*\))$/\1/p')
t_expect "the example config's control socket is punchd's default" "$default" "$sock"
t_done
