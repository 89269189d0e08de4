#!/bin/bash
# A short libFuzzer run of every fuzz target, seeded with known-good
# messages. Long runs are for developers: build/fuzz/NAME -max_total_time=N.
. "$(dirname "$0")/../lib/test.sh"
secs=${NFP_FUZZ_SECONDS:-20}
seeds=$T_REPO/selftests/fuzz/seeds

shopt -s nullglob
targets=("$T_REPO"/build/fuzz/*_fuzz)
[ ${#targets[@]} -gt 0 ] || { t_fail "fuzz targets are built (make fuzz)"; t_done; }

for f in "${targets[@]}"; do
	name=$(basename "$f" _fuzz)
	corpus=$(mktemp -d)
	# Seeds are kept as hex, one message per line, so the tree stays text.
	if [ -f "$seeds/$name.hex" ]; then
		i=0
		while read -r hex; do
			[ -n "$hex" ] || continue
			i=$((i + 1))
			/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
				"$hex" >"$corpus/seed$i"
		done <"$seeds/$name.hex"
	fi
	out=$("$f" -max_total_time="$secs" -seed=1 -print_final_stats=1 "$corpus" 2>&1)
	rc=$?
	runs=$(printf '%s\n' "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
	if [ "$rc" -eq 0 ]; then
		t_ok "$name: ${secs}s of fuzzing, ${runs:-?} inputs, no crash or broken property"
	else
		t_fail "$name: ${secs}s of fuzzing, no crash or broken property" \
			"$(printf '%s\n' "$out" | tail -40)"
	fi
	rm -rf "$corpus"
done
t_done
