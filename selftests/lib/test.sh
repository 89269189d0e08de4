# Helpers for one selftest script; source it first. Prints KTAP:
#   ok N description          a passing case
#   not ok N description      a failing one (diagnostics follow as "# ...")
#   ok N description # SKIP why
# t_done prints the plan and exits 1 if any case failed.
# shellcheck shell=bash

T_N=0
T_FAILED=0
T_REPO=${NFP_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$T_REPO/selftests/lib/bin.sh" "$T_REPO"
T_BIN=$NFP_BIN
PUNCHCTL=$T_BIN/punchctl
GENL_SEND=$T_BIN/selftests/tools/genl-send
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "KTAP version 1"

t_ok() {
	T_N=$((T_N + 1))
	echo "ok $T_N $1"
}

# t_fail DESCRIPTION [DIAGNOSTIC...]
t_fail() {
	T_N=$((T_N + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

t_skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N $1 # SKIP $2"
}

# t_check DESCRIPTION COMMAND...: pass when COMMAND succeeds; its output
# is shown only on failure.
t_check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		t_ok "$desc"
	else
		t_fail "$desc" "command: $*" "$out"
	fi
}

# t_expect DESCRIPTION EXPECTED ACTUAL: pass when the strings are equal.
t_expect() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1" "expected: $2" "actual:   $3"
	fi
}

# t_match DESCRIPTION REGEX ACTUAL: pass when ACTUAL matches REGEX.
t_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		t_ok "$1"
	else
		t_fail "$1" "expected to match: $2" "actual: $3"
	fi
}

t_done() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}
