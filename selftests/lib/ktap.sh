# Merge KTAP streams into one flat, renumbered stream with a total count.
# Sourced by the runners (selftests/run on the host, selftests/vm-suite in
# the guest). Each test script's cases become "ok N script: case".
# shellcheck shell=bash

K_N=0
K_PASS=0
K_FAIL=0
K_SKIP=0
K_FAILED=()
K_FAILED_LINES=0
K_DETAIL=6	# diagnostic lines kept with each failure for the summary

k_result() {	# k_result ok|not-ok DESCRIPTION
	K_N=$((K_N + 1))
	if [ "$1" = ok ]; then
		case $2 in
		*"# SKIP"*) K_SKIP=$((K_SKIP + 1)) ;;
		*) K_PASS=$((K_PASS + 1)) ;;
		esac
		echo "ok $K_N $2"
		K_FAILED_LINES=$K_DETAIL	# what follows is not about a failure
	else
		K_FAIL=$((K_FAIL + 1))
		K_FAILED+=("$K_N $2")
		K_FAILED_LINES=0
		echo "not ok $K_N $2"
	fi
}

# k_merge PREFIX: read KTAP on stdin, renumber its results under PREFIX.
# Sets K_SEEN and K_SEEN_FAIL to the number of results and failures read.
k_merge() {
	local prefix=$1 line re='^(not ok|ok) [0-9]+ ?(.*)$'
	K_SEEN=0
	K_SEEN_FAIL=0
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			K_SEEN=$((K_SEEN + 1))
			if [ "${BASH_REMATCH[1]}" = ok ]; then
				k_result ok "$prefix${BASH_REMATCH[2]}"
			else
				K_SEEN_FAIL=$((K_SEEN_FAIL + 1))
				k_result not-ok "$prefix${BASH_REMATCH[2]}"
			fi
		elif [[ $line == "KTAP version"* || $line =~ ^1\.\.[0-9]+$ ]]; then
			:
		else
			[[ $line == "#"* ]] || line="# $line"
			echo "$line"
			k_failure_detail "$line"
		fi
	done
}

# k_failure_detail LINE: the first few diagnostic lines after a failure
# go with it into the summary.
k_failure_detail() {
	local last=$((${#K_FAILED[@]} - 1))

	[ "$last" -ge 0 ] && [ "$K_FAILED_LINES" -lt "$K_DETAIL" ] || return 0
	K_FAILED[last]+=$'\n'"#   $1"
	K_FAILED_LINES=$((K_FAILED_LINES + 1))
}

# k_run_script NAME TIMEOUT COMMAND...: run one test script, merge its KTAP,
# and turn a crash, a timeout or a silent failure into a failing case.
k_run_script() {
	local name=$1 limit=$2 rc fifo
	shift 2
	fifo=$(mktemp -u)
	mkfifo "$fifo"
	K_FAILED_LINES=$K_DETAIL	# another script's lines are not a failure's
	timeout -k 5 "$limit" "$@" </dev/null >"$fifo" 2>&1 &
	local pid=$!
	k_merge "$name: " <"$fifo"
	wait "$pid"
	rc=$?
	rm -f "$fifo"
	case $rc in
	0) [ "$K_SEEN" -gt 0 ] || k_result not-ok "$name: reported no results" ;;
	4) [ "$K_SEEN" -gt 0 ] || k_result ok "$name # SKIP missing prerequisite" ;;
	124|137) k_result not-ok "$name: timed out after ${limit}s" ;;
	*) [ "$K_SEEN_FAIL" -gt 0 ] ||
		k_result not-ok "$name: exited with status $rc" ;;
	esac
	return "$rc"
}

k_summary() {
	local f

	echo "1..$K_N"
	# Again at the end, where a long run's last lines are what one reads.
	for f in "${K_FAILED[@]}"; do
		echo "# failed: $f"
	done
	echo "# Totals: pass:$K_PASS fail:$K_FAIL skip:$K_SKIP"
}
