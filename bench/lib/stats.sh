# bench/lib/stats.sh - what the benches make of their trials.
# shellcheck shell=bash

# median: the median of the numbers on standard input, one a line (the
# upper one of an even count).
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
