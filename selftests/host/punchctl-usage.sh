#!/bin/bash
# punchctl's bad-input table, on the host (no module needed): each wrong
# command line gets exactly one line on stderr naming the problem, exit
# status 2, and nothing on stdout. Well-formed requests without the module
# get one line and exit status 1. Help and version exit 0.
. "$(dirname "$0")/../lib/test.sh"
S=000102030405060708090a0b0c0d0e0f
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
printf '%s\n' 0011 >"$TMP/short-secret"

# row STATUS STDERR-REGEX ARG...
row() {
	local want=$1 re=$2 rc
	shift 2
	"$PUNCHCTL" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" = "$want" ] && [ ! -s "$TMP/out" ] &&
	   [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -Eq -- "$re" "$TMP/err"; then
		t_ok "punchctl $* -> $want"
	else
		t_fail "punchctl $* -> $want" "exit status $rc" "stdout: $(cat "$TMP/out")" \
			"stderr: $(cat "$TMP/err")"
	fi
}

L="local 192.0.2.1:4000"
P="peer 198.51.100.7:5000"
row 2 "no object given"
row 2 "unknown object 'frob'" frob
row 2 "unknown option '-x'" -x stats
row 2 "bad option '--frob'" --frob stats
row 2 "unknown flow command 'bogus'" flow bogus
row 2 "unknown keyword 'color'" flow add $L $P secret $S color red
row 2 "'secret' needs a value" flow add $L $P secret
row 2 "invalid local endpoint '192.0.2.1'" flow add local 192.0.2.1 $P secret $S
row 2 "invalid local endpoint '192.0.2.1:0'" flow add local 192.0.2.1:0 $P secret $S
row 2 "invalid local endpoint '192.0.2.1:70000'" flow add local 192.0.2.1:70000 $P secret $S
row 2 "invalid local endpoint '192.0.2.1:4000-4001'" flow add local 192.0.2.1:4000-4001 $P secret $S
row 2 "invalid local endpoint 'fd00::1:4000'" flow add local fd00::1:4000 $P secret $S
row 2 "invalid peer endpoint 'example.org:5000'" flow add $L peer example.org:5000 secret $S
row 2 "invalid peer endpoint '198.51.100.7:5001-5000'" flow add $L peer 198.51.100.7:5001-5000 secret $S
row 2 "invalid secret: want 16 to 32 bytes" flow add $L $P secret 0011
row 2 "invalid secret: want 16 to 32 bytes" flow add $L $P secret ${S}${S}00
row 2 "invalid secret: want 16 to 32 bytes" flow add $L $P secret ${S%?}g
row 2 "cannot read a secret from '$TMP/short-secret'" flow add $L $P secret-file "$TMP/short-secret"
row 2 "cannot read a secret from '$TMP/none': No such file" flow add $L $P secret-file "$TMP/none"
row 2 "invalid keepalive '25 s'" flow add $L $P secret $S keepalive "25 s"
row 2 "invalid timeout '-1s'" flow add $L $P secret $S timeout -1s
row 2 "invalid punch-timeout '1d'" flow add $L $P secret $S punch-timeout 1d
row 2 "flow add needs 'local ADDR:PORT'" flow add $P secret $S
row 2 "flow add needs at least one 'peer ADDR:PORT'" flow add $L secret $S
row 2 "flow add needs 'secret HEX', 'secret -' or 'secret-file FILE'" flow add $L $P
row 2 "flow add needs 'role controlling' \(the caller\) or 'role controlled'" flow add $L $P secret $S
row 2 "invalid role 'boss': controlling or controlled" flow add $L $P secret $S role boss
row 2 "'role' needs a value" flow add $L $P secret $S role
row 2 "invalid mark 'blue'" flow add $L $P secret $S role controlled mark blue
row 2 "invalid mark '0x100000000'" flow add $L $P secret $S role controlled mark 0x100000000
row 2 "at most 32 peers" flow add $L secret $S $(for i in $(seq 33); do echo peer 198.51.100.7:$((5000 + i)); done)
row 2 "invalid state 'sleeping'" flow show state sleeping
row 2 "invalid flow id 'x'" flow show id x
row 2 "flow del takes 'id N', or 'local ADDR:PORT' and/or 'tag N'" flow del
row 2 "flow del takes 'id N' alone, or 'local' and/or 'tag'" flow del id 3 tag 7
row 2 "invalid tag 'mine'" flow del tag mine
row 2 "invalid tag '4294967296'" flow add $L $P secret $S role controlled tag 4294967296
row 2 "invalid tag '-1'" flow show tag -1
row 2 "invalid prime-ttl '0': 1 to 255" flow add $L $P secret $S role controlled prime-ttl 0 prime-time 1s
row 2 "invalid prime-ttl '256': 1 to 255" flow add $L $P secret $S role controlled prime-ttl 256 prime-time 1s
row 2 "invalid prime-time 'soon'" flow add $L $P secret $S role controlled prime-ttl 2 prime-time soon
row 2 "flow show takes 'id N' alone, or filters" flow show id 4 tag 7
row 2 "'tag' needs a value" monitor tag
row 2 "monitor takes 'count N' and 'tag N'" monitor state dead
row 2 "invalid flow id '-3'" flow del id -3
row 2 "flow set needs 'id N'" flow set keepalive 5s
row 2 "'pps' needs a value" config set pps
row 2 "invalid pps 'lots'" config set pps lots
row 2 "invalid max-flows '4294967296'" config set max-flows 4294967296
row 2 "config set needs KEY VALUE" config set
row 2 "unknown config command 'reset'" config reset
row 2 "mapping needs 'local ADDR:PORT' and 'server ADDR:PORT'" mapping $L
row 2 "invalid timeout 'forever'" mapping $L server 192.0.2.2:3478 timeout forever
row 2 "invalid mark 'x'" mapping $L server 192.0.2.2:3478 mark x
row 2 "invalid count 'x'" monitor count x
row 2 "stats takes no arguments, got 'now'" stats now
row 2 "object 'm' is ambiguous: mapping, monitor" m
row 2 "flow command 's' is ambiguous: show, set" flow s
row 2 "config command 's' is ambiguous: show, set" config s
row 2 "config show takes no arguments, got 'now'" config show now
row 2 "invalid network namespace name '../x'" -n ../x stats
row 2 "option '-n' needs a value" -n
row 2 "-force applies to a batch" -force stats
row 2 "a batch takes its commands from 'f', not the command line" -batch f stats
row 1 "cannot open network namespace 'nfp-none-$$': No such file" -n nfp-none-$$ stats
row 1 "cannot open batch file '$TMP/none'" -batch "$TMP/none"
row 2 "cannot read a secret from '-': want 16 to 32" \
	flow add $L $P secret - role controlled </dev/null
row 1 "the nfpunch kernel module is not available" stats
row 1 "the nfpunch kernel module is not available" flow add $L $P secret $S role controlled
row 1 "the nfpunch kernel module is not available" -j flow show

# A batch: each line on its own, the first failure named and final
# unless -force; the status is the first failure's.
printf '%s\n' '# a comment' '' 'flow show id x' 'stats now' >"$TMP/batch"
"$PUNCHCTL" -batch "$TMP/batch" >"$TMP/out" 2>"$TMP/err"
rc=$?
t_expect "a batch stops at its first failure, named by line (status 2)" \
	"2|punchctl: invalid flow id 'x' (try 'punchctl --help')|punchctl: command failed $TMP/batch:3" \
	"$rc|$(paste -sd'|' "$TMP/err")"
"$PUNCHCTL" -force -b "$TMP/batch" >"$TMP/out" 2>"$TMP/err"
rc=$?
t_expect "-force goes on to the end" \
	"2|4" "$rc|$(wc -l <"$TMP/err")"
printf '%s\n' "flow add $L $P secret - role controlled" >"$TMP/batch"
"$PUNCHCTL" -batch - <"$TMP/batch" >"$TMP/out" 2>"$TMP/err"
t_check "a batch on standard input leaves none for 'secret -'" \
	grep -q "cannot read standard input: the batch does" "$TMP/err"
printf '%s\n' "flow add $L $P 'secret' \"$S\" role controlled # no module here" >"$TMP/batch"
"$PUNCHCTL" -b "$TMP/batch" >"$TMP/out" 2>"$TMP/err"
rc=$?
t_expect "quoted words and a trailing comment parse (then no module: 1)" \
	"1" "$rc"
printf 'stats\\\n  now\n' >"$TMP/batch"
"$PUNCHCTL" -batch "$TMP/batch" >"$TMP/out" 2>"$TMP/err"
t_expect "a backslash joins lines: 'stats now' fails as one command, lines 1-2" \
	"punchctl: stats takes no arguments, got 'now' (try 'punchctl --help')|punchctl: command failed $TMP/batch:1-2" \
	"$(paste -sd'|' "$TMP/err")"
printf 'stats\0garbage\nflow add "unclosed\n' >"$TMP/batch"
"$PUNCHCTL" -force -batch "$TMP/batch" >"$TMP/out" 2>"$TMP/err"
t_expect "a NUL in a line and an unclosed quote are refused, each named" \
	"2" "$(grep -c -e 'a NUL byte in the line' -e 'a quote is not closed' "$TMP/err")"
printf '%s\n' "flow add $L $P secret - role controlled" >"$TMP/batch"
"$PUNCHCTL" -batch /dev/stdin <"$TMP/batch" >"$TMP/out" 2>"$TMP/err"
t_check "a batch from /dev/stdin leaves none for 'secret -' either" \
	grep -q "cannot read standard input: the batch does" "$TMP/err"
"$PUNCHCTL" flow add $L $P role controlled keepalive 0 timeout 0 secret $S >"$TMP/out" 2>"$TMP/err"
t_expect "keepalive 0 and timeout 0 still mean the namespace's default (no usage error)" \
	"1" "$?"
echo "$S" | "$PUNCHCTL" flow add $L $P secret - role controlled >"$TMP/out" 2>"$TMP/err"
rc=$?
t_expect "'secret -' reads the secret from standard input (then no module: 1)" \
	"1|punchctl: the nfpunch kernel module is not available (modprobe nfpunch)" \
	"$rc|$(cat "$TMP/err")"

t_check "--help exits 0 and names every object" \
	sh -c "'$PUNCHCTL' --help | grep -q 'flow add' && '$PUNCHCTL' --help | grep -q monitor"
MAN=$T_REPO/helper/punchctl/punchctl.8
t_expect "punchctl.8 renders without warnings" "" \
	"$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)"
missing=""
for kw in "flow add" "flow show" "flow del" "flow set" mapping monitor "config set" stats \
	passive repunch secret-file role controlling controlled mark tag punch-timeout probe-interval prime-ttl prime-time max-flows pps count; do
	LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$MAN" 2>/dev/null | grep -q -- "$kw" ||
		missing="$missing '$kw'"
	"$PUNCHCTL" --help | grep -q -- "$kw" || missing="$missing '$kw'(help)"
done
t_expect "the man page and --help both document every command and keyword" "" "$missing"
t_match "--version prints the version" '^punchctl [0-9]' "$("$PUNCHCTL" --version)"
t_done
