#!/bin/bash
# libnfpunch's ABI, on the host: the shared library exports exactly the
# functions its header declares, each versioned by libnfpunch.map, under
# the soname the Makefile names, and so does the installed static
# archive; abidiff finds nothing incompatible against the ABI of its
# soname's last release kept in helper/lib/abi/, and finds the older
# soname's ABI incompatible (why the soname changed).
. "$(dirname "$0")/../lib/test.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
HDR=$T_REPO/helper/include/libnfpunch.h
MAP=$T_REPO/helper/lib/libnfpunch.map
SONAME=libnfpunch.so.1
BASE=$T_REPO/helper/lib/abi/$SONAME.abi
# The plain build: abidiff reads its debug information, and sanitizers
# would add nothing the ABI shows.
# The version the Makefile builds (an older build may lie beside it).
LIBVER=$(sed -n 's/^LIB_VERSION := //p' "$T_REPO/Makefile")
LIB=$T_REPO/build/libnfpunch.so.$LIBVER
if [ ! -f "$LIB" ]; then
	t_fail "the shared library is built" "no build/$SONAME.x.y: run make"
	t_done
fi

# Every function the header declares: a word "nfp_..." followed by "(",
# where declarations start (a return type first, or at the line's start).
sed -n 's/^[a-z].*[ *]\(nfp_[a-z0-9_]*\)(.*/\1/p; s/^\(nfp_[a-z0-9_]*\)(.*/\1/p' "$HDR" |
	sort -u >"$TMP/header"
nm -D --defined-only "$LIB" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u >"$TMP/exported"
sed -n 's/^[[:space:]]*\(nfp_[a-z0-9_]*\);/\1/p' "$MAP" | sort -u >"$TMP/map"

t_check "the header declares functions (parsed $(wc -l <"$TMP/header"))" \
	test "$(wc -l <"$TMP/header")" -ge 40
t_check "the library exports exactly what the header declares" \
	diff -u "$TMP/header" "$TMP/exported"
t_check "libnfpunch.map names exactly what the header declares" \
	diff -u "$TMP/header" "$TMP/map"
nm -g --defined-only "$T_REPO/build/libnfpunch-static.a" | awk 'NF == 3 { print $3 }' |
	sort -u >"$TMP/static"
t_check "the installed static archive defines exactly the header's functions" \
	diff -u "$TMP/header" "$TMP/static"
unversioned=$(nm -D --defined-only "$LIB" | awk '$2 != "A" && $3 !~ /@@?LIBNFPUNCH_[0-9.]+$/')
t_expect "every export carries a LIBNFPUNCH_ version" "" "$unversioned"
# A symbol keeps the version node it was released with: a program linked
# against name@LIBNFPUNCH_1.0 finds exactly that.
sed -n "s/.*<elf-symbol name='\(nfp_[a-z0-9_]*\)' version='\([A-Z0-9_.]*\)'.*/\1@@\2/p" "$BASE" |
	sort -u >"$TMP/released"
nm -D --defined-only "$LIB" | awk '$2 != "A" { print $3 }' | sort -u >"$TMP/versioned"
t_check "each function of the last release keeps its version ($(wc -l <"$TMP/released") in $(basename "$BASE"))" \
	test "$(comm -23 "$TMP/released" "$TMP/versioned" | wc -l)" -eq 0 -a -s "$TMP/released"
t_expect "soname" "$SONAME" \
	"$(objdump -p "$LIB" | awk '$1 == "SONAME" { print $2 }')"
t_expect "the soname and development links point at the real name" \
	"$(basename "$LIB") $(basename "$LIB")" \
	"$(readlink -f "$T_REPO/build/$SONAME" | xargs basename) $(readlink -f "$T_REPO/build/libnfpunch.so" | xargs basename)"

# abidiff: bit 3 (8) is an incompatible change; bit 2 (4) any change.
abidiff --headers-dir2 "$T_REPO/helper/include" "$BASE" "$LIB" >"$TMP/abidiff" 2>&1
rc=$?
if [ $((rc & 8)) -eq 0 ] && [ $((rc & 3)) -eq 0 ]; then
	t_ok "abidiff against the last release's ABI: nothing incompatible (exit $rc)"
else
	t_fail "abidiff against the last release's ABI: nothing incompatible (exit $rc)" \
		"$(cat "$TMP/abidiff")"
fi
for old in "$T_REPO"/helper/lib/abi/libnfpunch.so.*.abi; do
	[ "$old" = "$BASE" ] && continue
	abidiff "$old" "$LIB" >"$TMP/old" 2>&1
	rc=$?
	if [ $((rc & 8)) -ne 0 ]; then
		t_ok "$(basename "$old" .abi) is incompatible with this library: its soname differs (exit $rc)"
	else
		t_fail "$(basename "$old" .abi) is incompatible with this library: its soname differs (exit $rc)" \
			"compatible: then the soname should not have changed" "$(head -20 "$TMP/old")"
	fi
done
# The check must be able to fail: the library's own ABI against a copy
# that lacks one function is a removal.
abidw --no-corpus-path --no-comp-dir-path --headers-dir "$T_REPO/helper/include" \
	"$LIB" >"$TMP/now.abi" 2>&1
# Its symbol line, and its declaration up to the closing tag.
sed "/<elf-symbol name='nfp_flow_clone'/d
     /<function-decl name='nfp_flow_clone'/,/<\/function-decl>/d" \
	"$TMP/now.abi" >"$TMP/now-less.abi"
abidiff "$TMP/now.abi" "$TMP/now-less.abi" >"$TMP/removed" 2>&1
rc=$?
if [ $((rc & 8)) -ne 0 ] && grep -q "nfp_flow_clone" "$TMP/removed"; then
	t_ok "abidiff reports a removed function as incompatible (exit $rc)"
else
	t_fail "abidiff reports a removed function as incompatible (exit $rc)" \
		"$(cat "$TMP/removed")"
fi
t_done
