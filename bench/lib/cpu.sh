# bench/lib/cpu.sh - how busy the CPUs were while a load ran, from
# /proc/stat, for the benches that give a server's CPU per answer.
# shellcheck shell=bash

# cpu_now N: "BUSY TOTAL" jiffies of CPU N so far (busy: user, nice,
# system, irq, softirq and steal).
cpu_now() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9,
		$2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}

# cpu_sampled SECS OUT CMD...: runs CMD (which lasts SECS seconds) with its
# output in OUT, and prints "BUSY0 BUSY1", the percent CPU 0 and CPU 1
# were busy from 1 s into it until 0.5 s before its end (the load's
# start and end left out). CMD's exit status is returned.
cpu_sampled() {
	local secs=$1 out=$2 pid a0 a1 b0 b1 rc
	shift 2
	"$@" >"$out" &
	pid=$!
	sleep 1
	a0=$(cpu_now 0) a1=$(cpu_now 1)
	sleep "$(awk -v s="$secs" 'BEGIN { print (s > 2 ? s - 1.5 : 0.5) }')"
	b0=$(cpu_now 0) b1=$(cpu_now 1)
	wait "$pid"
	rc=$?
	awk -v a0="$a0" -v a1="$a1" -v b0="$b0" -v b1="$b1" '
		function share(a, b,   x, y) {
			split(a, x, " "); split(b, y, " ")
			return y[2] > x[2] ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0
		}
		BEGIN { printf "%.1f %.1f\n", share(a0, b0), share(a1, b1) }'
	return "$rc"
}

# cpu_us_per RATE BUSY: microseconds of a CPU BUSY percent busy per unit
# of RATE a second.
cpu_us_per() {
	awk -v r="$1" -v b="$2" 'BEGIN { printf "%.2f", (r > 0 ? b * 1e4 / r : 0) }'
}
