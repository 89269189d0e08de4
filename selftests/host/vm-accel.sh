#!/bin/bash
# The VM runner picks its accelerator by trying it: a /dev/kvm that exists
# but cannot run a guest (nested virtualization, "failed to set MSR
# 0x10a") falls back to TCG with a one-line notice, and NFP_VM_ACCEL
# chooses explicitly. A fake qemu plays both kinds of machine; it also
# plays the guest, so vm/run's whole path runs.
. "$(dirname "$0")/../lib/test.sh"
run=$T_REPO/selftests/vm/run

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
touch "$dir/kvm"		# writable, as /dev/kvm is for root

# fake-qemu KVM_OK: a qemu whose KVM works (idles until killed) or dies
# at the first vCPU reset, as on the broken machine.
cat >"$dir/qemu" <<'FAKE'
#!/bin/bash
accel="" out=""
while [ $# -gt 0 ]; do
	case $1 in
	-accel) accel=$2; shift ;;
	-virtfs) case $2 in *mount_tag=out,*) out=${2#local,path=}; out=${out%%,*} ;; esac; shift ;;
	esac
	shift
done
if [ -z "$out" ]; then		# the probe guest
	echo "probe $accel" >>"$FAKE_LOG"
	if [ "$accel" = kvm ] && [ "$FAKE_KVM" = broken ]; then
		echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0" >&2
		echo "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3081: kvm_buf_set_msrs: Assertion \`ret == cpu->kvm_msr_buf->nmsrs' failed." >&2
		exit 134
	fi
	exec sleep 30
fi
echo "boot $accel" >>"$FAKE_LOG"
if [ "$accel" = kvm ] && [ "$FAKE_KVM" = broken ]; then
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0" >&2
	exit 134
fi
echo 0 >"$out/rc"; echo 0 >"$out/unload-rc"; echo 0 >"$out/tainted"; : >"$out/dmesg"
FAKE
chmod +x "$dir/qemu"
export NFP_QEMU=$dir/qemu NFP_KVM_DEV=$dir/kvm FAKE_LOG=$dir/log

vm() {	# vm KVM-STATE [ACCEL]: run a no-op guest; sets rc, out, log
	: >"$dir/log"
	out=$(FAKE_KVM=$1 NFP_VM_ACCEL=${2:-auto} "$run" -q --no-module -- true 2>&1)
	rc=$?
	log=$(tr '\n' ' ' <"$dir/log")
}

vm broken
t_expect "broken KVM: the guest still runs (exit 0)" 0 "$rc"
t_expect "broken KVM: probed, then booted with TCG" "probe kvm boot tcg " "$log"
case $out in
*"KVM cannot run a guest here; using TCG"*)
	t_ok "broken KVM: a one-line notice says so" ;;
*)	t_fail "broken KVM: a one-line notice says so" "$out" ;;
esac
t_expect "broken KVM: the notice is one line" 1 "$(grep -c . <<<"$out")"

vm works
t_expect "working KVM: the guest boots with KVM" "probe kvm boot kvm " "$log"
t_expect "working KVM: nothing to say" "" "$out"

vm broken tcg
t_expect "NFP_VM_ACCEL=tcg: no probe, TCG" "boot tcg " "$log"
vm works kvm
t_expect "NFP_VM_ACCEL=kvm: no probe, KVM" "boot kvm " "$log"
vm broken bogus
t_expect "NFP_VM_ACCEL=bogus is refused (exit 2)" 2 "$rc"

rm -f "$dir/kvm"
vm works
t_expect "no /dev/kvm: TCG without a probe or a notice" "boot tcg |" "$log|$out"

t_done
