# Loading and unloading the module under test inside the VM. Sourced.

nfp_module_name() {
	local base=${1##*/}
	base=${base%.ko}
	echo "${base//-/_}"
}

# nfp_module_load KO [PARAM=VALUE...]: load KO after the modules it needs.
nfp_module_load() {
	local ko=$1 deps
	shift
	deps=$(modinfo -F depends "$ko" 2>/dev/null | tr ',' ' ')
	if [ -n "$deps" ]; then
		# shellcheck disable=SC2086 # a word list on purpose
		modprobe -a $deps || {
			echo "module-lib: cannot load dependencies: $deps" >&2
			return 1
		}
	fi
	insmod "$ko" "$@" || {
		echo "module-lib: insmod $ko failed" >&2
		return 1
	}
}

# nfp_module_unload KO: unload KO if it is loaded and check it is gone.
nfp_module_unload() {
	local name
	name=$(nfp_module_name "$1")
	[ -d "/sys/module/$name" ] || return 0
	rmmod "$name" || {
		echo "module-lib: rmmod $name failed" >&2
		return 1
	}
	if [ -d "/sys/module/$name" ]; then
		echo "module-lib: $name still present after rmmod" >&2
		return 1
	fi
}

# nfp_kmemleak: on a kernel with kmemleak (the debug lane), scan for
# leaks and print the reports that point at a module (on the debug kernel
# everything else is built in, so that is nfpunch or a canary): a frame
# "[module]", or an unresolved one (a module's code once it is unloaded).
# Prints nothing where there is no kmemleak. Clears what it read.
nfp_kmemleak() {
	local kml=/sys/kernel/debug/kmemleak
	[ -w "$kml" ] || return 0
	# Two scans: an object is reported once it stayed unreferenced
	# across one; RCU-freed objects get their grace period meanwhile.
	echo scan >"$kml" 2>/dev/null
	sleep 1
	echo scan >"$kml" 2>/dev/null
	awk '
		/^unreferenced object/ { if (keep) printf "%s", rec; rec = ""; keep = 0 }
		{ rec = rec $0 "\n" }
		/ \[[A-Za-z0-9_]+\]$|\] 0x[0-9a-f]+$/ { keep = 1 }
		END { if (keep) printf "%s", rec }
	' "$kml"
	echo clear >"$kml" 2>/dev/null
}
