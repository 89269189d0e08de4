#!/bin/bash
# The Debian packages (make deb): they build from the tracked files,
# lintian finds no error or warning, each holds what it should where
# Debian wants it, DKMS builds the module from nfpunch-dkms's source for
# the installed kernel, the programs run from the unpacked packages, and
# the example builds against the unpacked libnfpunch-dev alone
# (pkg-config).
. "$(dirname "$0")/../lib/test.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$T_REPO" || exit 1
VERSION=$(sed -n 's/^#define NFPUNCH_VERSION "\(.*\)"/\1/p' kmod/version.h)
LIBVER=$(sed -n 's/^LIB_VERSION := //p' Makefile)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
DEB=$T_REPO/build/deb

if ! make -s deb BUILD=build >"$TMP/build.log" 2>&1; then
	t_fail "make deb builds the packages" "$(tail -30 "$TMP/build.log")"
	t_done
fi
t_ok "make deb builds the packages ($(ls "$DEB"/*.deb | wc -l) files)"

lintian --fail-on error,warning --tag-display-limit 0 \
	"$DEB/nfpunch_${VERSION}_$(dpkg --print-architecture).changes" >"$TMP/lintian" 2>&1
rc=$?
t_expect "lintian runs and finds no error or warning" "0|" \
	"$rc|$(grep -E '^(E|W):' "$TMP/lintian")"

# has PACKAGE PATH...: every path is in the package.
has() {
	local pkg=$1 missing=""
	shift
	dpkg-deb -c "$DEB/${pkg}_${VERSION}_"*.deb | awk '{ print $6 }' | sed 's|^\./|/|' \
		>"$TMP/$pkg.list"
	for p in "$@"; do
		grep -qx "$p" "$TMP/$pkg.list" || missing+=" $p"
	done
	t_expect "$pkg holds its files" "" "$missing"
}
has libnfpunch1 "/usr/lib/$MA/libnfpunch.so.1" "/usr/lib/$MA/libnfpunch.so.$LIBVER"
t_expect "libnfpunch1 holds no development file" "" \
	"$(grep -E '\.h$|\.a$|\.pc$|libnfpunch\.so$' "$TMP/libnfpunch1.list")"
has libnfpunch-dev /usr/include/libnfpunch.h /usr/include/nfpunch/linux/nfpunch.h \
	"/usr/lib/$MA/libnfpunch.so" "/usr/lib/$MA/libnfpunch.a" \
	"/usr/lib/$MA/pkgconfig/libnfpunch.pc" /usr/share/man/man3/libnfpunch.3.gz
has nfpunch-tools /usr/sbin/punchctl /usr/sbin/punchd /lib/systemd/system/punchd.service \
	/usr/share/man/man8/punchctl.8.gz /usr/share/man/man8/punchd.8.gz \
	/usr/share/bash-completion/completions/punchctl \
	/usr/share/doc/nfpunch-tools/examples/punchd.conf.example
has rendezvousd /usr/sbin/rendezvousd /lib/systemd/system/rendezvousd.service \
	/usr/share/man/man8/rendezvousd.8.gz \
	/usr/share/doc/rendezvousd/examples/rendezvousd.conf.example
has nfpunch-dkms "/usr/src/nfpunch-$VERSION/dkms.conf" "/usr/src/nfpunch-$VERSION/Kbuild" \
	"/usr/src/nfpunch-$VERSION/kmod/main.c" "/usr/src/nfpunch-$VERSION/uapi/linux/nfpunch.h"
t_expect "the DKMS source holds no build output" "" \
	"$(grep -E '\.(o|ko|cmd|a|d|dwo)$|\.mod' "$TMP/nfpunch-dkms.list")"
t_expect "and is the one source under /usr/src" "/usr/src/nfpunch-$VERSION/" \
	"$(grep -E '^/usr/src/[^/]+/$' "$TMP/nfpunch-dkms.list" | xargs)"
dpkg-deb -e "$DEB/nfpunch-dkms_${VERSION}_all.deb" "$TMP/dkms-control"
t_expect "its maintainer scripts register that version with DKMS" \
	"DKMS_VERSION=$VERSION DKMS_VERSION=$VERSION" \
	"$(grep -ho "DKMS_VERSION=[^ ;]*" "$TMP/dkms-control/postinst" "$TMP/dkms-control/prerm" | xargs)"

root=$TMP/root
for d in "$DEB"/*.deb; do
	case $d in *-dbgsym_*) ;; *) dpkg-deb -x "$d" "$root" ;; esac
done
t_expect "dkms.conf names this version" "PACKAGE_VERSION=\"$VERSION\"" \
	"$(grep '^PACKAGE_VERSION=' "$root/usr/src/nfpunch-$VERSION/dkms.conf")"
# What DKMS does at every kernel upgrade, from the unpacked source: build
# for the installed kernel. In a mount namespace with a tmpfs over DKMS's
# own directory, where it would leave a signing key behind.
KREL=$(scripts/kernel-release)
tree=$TMP/dkms
mkdir -p "$tree"
unshare -m sh -c 'mount -t tmpfs dkms /var/lib/dkms &&
	exec dkms build -m nfpunch -v "$1" -k "$2" --sourcetree "$3" --dkmstree "$4"' \
	dkms "$VERSION" "$KREL" "$root/usr/src" "$tree" >"$TMP/dkms.log" 2>&1
rc=$?
ko=$(find "$tree/nfpunch/$VERSION/$KREL" -name nfpunch.ko 2>/dev/null | head -1)
t_check "dkms builds the packaged source for the installed kernel ($KREL) (exit $rc)" \
	test "$rc" = 0 -a -n "$ko"
t_expect "the module it built is this version, for that kernel" "$VERSION $KREL" \
	"$(modinfo -F version "$ko" 2>/dev/null) $(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)"
[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/dkms.log" | tail -20
t_expect "the units start the packaged programs" \
	"ExecStart=/usr/sbin/punchd ExecStart=/usr/sbin/rendezvousd" \
	"$(cat "$root"/lib/systemd/system/{punchd,rendezvousd}.service | grep -o '^ExecStart=[^ ]*' | xargs)"
t_check "punchctl from the package runs" "$root/usr/sbin/punchctl" --version
t_check "rendezvousd from the package runs" "$root/usr/sbin/rendezvousd" --version
t_expect "nfpunch-tools and rendezvousd need no nfpunch library at run time" "" \
	"$(ldd "$root/usr/sbin/punchctl" "$root/usr/sbin/punchd" "$root/usr/sbin/rendezvousd" |
		grep nfpunch)"
# The example, built as an outside program against the unpacked packages.
sed -i "s|^libdir=|libdir=$root|; s|^includedir=|includedir=$root|" \
	"$root/usr/lib/$MA/pkgconfig/libnfpunch.pc"
t_check "examples/punch-wait builds against the unpacked libnfpunch-dev (pkg-config)" \
	env PKG_CONFIG_PATH="$root/usr/lib/$MA/pkgconfig" make -s -C examples \
	OUT="$TMP" LDFLAGS="-Wl,-rpath,$root/usr/lib/$MA"
t_expect "and links the unpacked libnfpunch1 (soname 1)" \
	"$root/usr/lib/$MA/libnfpunch.so.1" \
	"$(ldd "$TMP/punch-wait" | awk '/libnfpunch/ { print $3 }')"
"$TMP/punch-wait" 192.0.2.1:4000 198.51.100.1:5000 000102030405060708090a0b0c0d0e0f \
	controlling 1 >"$TMP/pw.out" 2>&1
rc=$?
t_check "and runs on it (no module on the host: exit 1, it says why) (exit $rc)" \
	test "$rc" = 1 -a -s "$TMP/pw.out"
# Debian's hardening flags reached every program.
bad=""
for b in usr/sbin/punchctl usr/sbin/punchd usr/sbin/rendezvousd "usr/lib/$MA/libnfpunch.so.$LIBVER"; do
	readelf -d "$root/$b" | grep -q 'BIND_NOW' || bad+=" $b:now"
	readelf -lW "$root/$b" | grep -q GNU_RELRO || bad+=" $b:relro"
	nm -D "$root/$b" | grep -q '__[a-z]*_chk' || bad+=" $b:fortify"
done
for b in usr/sbin/punchctl usr/sbin/punchd usr/sbin/rendezvousd; do
	readelf -h "$root/$b" | grep -q 'DYN' || bad+=" $b:pie"
done
t_expect "hardened: PIE, full RELRO, fortified" "" "$bad"
t_done
