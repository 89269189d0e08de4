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
schema() {
	local doc all req got extra missing bad="" n i page
	page="$(basename "$1" | sed 's/\.\([0-9]\)$/(\1)/')"
	doc=$(doc_keys "$1" "$2")
	all=$(awk '{ print $1 }' <<<"$doc" | sort | paste -sd' ')
	req=$(awk '$2 == "required" { print $1 }' <<<"$doc" | sort | paste -sd' ')
	n=$(jq length "$3")
	for ((i = 0; i < n; i++)); do
		got=$(jq -r ".[$i] | keys[]" "$3" | sort | paste -sd' ')
		extra=$(comm -13 <(tr ' ' '\n' <<<"$all") <(tr ' ' '\n' <<<"$got") | xargs)
		missing=$(comm -23 <(tr ' ' '\n' <<<"$req") <(tr ' ' '\n' <<<"$got") | xargs)
		[ -z "$extra$missing" ] ||
			bad+="object $i: undocumented [$extra] missing [$missing]; "
	done
	if [ -n "$all" ] && [ "$n" -gt 0 ] && [ -z "$bad" ]; then
		t_ok "JSON $2: $n objects match $page (${all// /,})"
	else
		t_fail "JSON $2: $n objects match $page" "documented: $all" "$bad"
	fi
}
