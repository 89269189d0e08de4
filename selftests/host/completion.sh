#!/bin/bash
# punchctl's bash completion offers the grammar of punchctl(8): objects,
# commands, keywords, states, and files after secret-file.
. "$(dirname "$0")/../lib/test.sh"
. /usr/share/bash-completion/bash_completion
. "$T_REPO/helper/punchctl/punchctl.bash-completion"

# comp WORD...: what completes the last word.
comp() {
	COMP_WORDS=(punchctl "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_punchctl
	echo "${COMPREPLY[*]}"
}

t_expect "objects" "flow mapping monitor config stats tcp-prime" "$(comp '')"
t_expect "long options" "--json" "$(comp --j)"
t_expect "an object after options" "flow" "$(comp -j fl)"
t_expect "flow commands" "add show list del set" "$(comp flow '')"
t_expect "flow add keywords by prefix" "peer peer-range punch-timeout probe-interval passive prime-ttl prime-time" \
	"$(comp flow add local 192.0.2.1:4000 p)"
t_expect "no guess for a value" "" "$(comp flow add local '')"
t_expect "states" "established" "$(comp flow show state e)"
t_expect "roles" "controlling controlled" "$(comp flow add role con)"
t_expect "role among flow add keywords" "role" "$(comp flow add local 192.0.2.1:4000 ro)"
t_expect "abbreviated object and command" "id keepalive timeout repunch nominate" "$(comp f se '')"
t_expect "config set keys" "max-flows" "$(comp config set m)"
t_expect "an option's value is not the object" "add show list del set" \
	"$(comp -n blue flow '')"
t_expect "batch and netns options" "--batch" "$(comp --b)"
t_expect "mapping keywords" "local server timeout mark" "$(comp mapping '')"
t_expect "tcp-prime commands" "add del" "$(comp tcp-prime '')"
t_expect "tcp-prime add keywords" "local remote ttl time" "$(comp t a '')"
t_expect "no guess for a TTL" "" "$(comp tcp-prime add ttl '')"
TMP=$(mktemp -d)
touch "$TMP/bob.key"
t_expect "secret-file completes files" "$TMP/bob.key" "$(comp flow add secret-file "$TMP/bo")"
rm -rf "$TMP"
t_done
