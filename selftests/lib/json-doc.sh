# shellcheck shell=bash
# JSON output as a contract: the keys a man page documents, checked
# against what a program prints. A man page's JSON section has one
# subsection (.SS TITLE) per kind of object, and in it one ".TP" then
# ".B key" entry per key; a description starting "Only" marks a key that
# may be absent.

# doc_keys MAN TITLE: "KEY required|optional" for each key of MAN's
# subsection whose title starts with TITLE.
doc_keys() {
	awk -v sec="$2" '
		/^\.S[SH] / { insec = index($0, ".SS " sec) == 1; want = 0; next }
		insec && /^\.TP/ { want = 1; next }
		insec && want && /^\.B / {
			key = $2; want = 0; getline d
			print key, (d ~ /Only/ ? "optional" : "required")
		}' "$1"
}

# schema MAN TITLE FILE: every object of the JSON array in FILE has the
# keys MAN documents as required under TITLE, and none it does not.
# (Files, not <(...): the VM's /dev has no /dev/fd.)
schema() {
	local doc all req got extra missing bad="" n i page d
	page="$(basename "$1" | sed 's/\.\([0-9]\)$/(\1)/')"
	d=$(mktemp -d)
	doc=$(doc_keys "$1" "$2")
	awk '{ print $1 }' <<<"$doc" | sort >"$d/all"
	awk '$2 == "required" { print $1 }' <<<"$doc" | sort >"$d/req"
	all=$(paste -sd' ' "$d/all")
	n=$(jq length "$3")
	for ((i = 0; i < n; i++)); do
		jq -r ".[$i] | keys[]" "$3" | sort >"$d/got"
		extra=$(comm -13 "$d/all" "$d/got" | xargs)
		missing=$(comm -23 "$d/req" "$d/got" | xargs)
		[ -z "$extra$missing" ] ||
			bad+="object $i: undocumented [$extra] missing [$missing]; "
	done
	rm -rf "$d"
	if [ -n "$all" ] && [ "$n" -gt 0 ] && [ -z "$bad" ]; then
		t_ok "JSON $2: $n objects match $page (${all// /,})"
	else
		t_fail "JSON $2: $n objects match $page" "documented: $all" "$bad"
	fi
}
