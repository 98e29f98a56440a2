#!/usr/bin/env bash
# Boots Debian 12's 6.1 cloud kernel under qemu (KVM, or TCG; see ACCEL) with an initramfs holding this machine's
# JDK 17, libbpf.so.1, iproute2, iperf3 and the agent jar, and runs the agent there once per
# hook preference (default, --prefer-hook kprobe, --prefer-hook fentry) under a ~5 s iperf3 (then 2 s of UDP)
# load over a veth pair between two network namespaces. Each boot prints the agent's stderr
# (boundary lines, verifier/attach errors, --bpf-stats table), the first stdout lines and a
# count of JSON lines per "type" to the serial console, which is saved under $WORK.
#
# Usage: sudo bench/qemu-kernel-check.sh [AGENT_JAR]   (default node-agent/target/netwatcher-agent.jar)
# Env:   WORK=/tmp/qemu-kernel-check  MODES="default kprobe fentry"  KPKG=<kernel package name>
#        AGENT_OPTS="<extra agent options>" (with --count-calls: a second iperf3 client whose connects and
#          writes are known, KNOWN_BLOCKS=64 writes of 128 KiB, and the calls counted per process)  JVM_OPTS="<agent JVM options>"  TCG_THREAD=single|multi  DURATION=25 (agent --duration)  IPERF_SECS=5  BOOT_TIMEOUT=600  MEM=4096  ACCEL=auto|kvm|tcg
#        With --netfilter-times (or -n) in AGENT_OPTS, also: the host's nft and the kernel's nf_tables modules
#          (with what their modinfo "depends" names) go into the guest; nsa's processes (iperf3 servers and a
#          holder) run in their own cgroup /sys/fs/cgroup/nwnsa (a pod's stand-in: the agent drops
#          socketless hook times of a namespace whose processes are all in the root cgroup); before the agent
#          starts, nsa gets "table ip nwcheck" whose input chain (priority 0) holds NF_RULES=300 rules that
#          never match (ip saddr 10.99.x.y drop) and then one "counter" rule that every packet reaches; the
#          agent gets --metrics-port METRICS_PORT=9990, and after the loads the guest scrapes /metrics
#          (busybox wget), prints the netfilter lines, nsa's counter rule and one "NWCHECK netfilter check"
#          line: the summed _count of every (ipv4, input) series against the counter's packets, with the
#          series' mean (_sum/_count) and the p50 bucket bound.
# Needs root (apt-get install), and a Debian 12
# apt source (for the kernel package and qemu-system-x86, busybox-static, cpio).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=$(realpath "${1:-node-agent/target/netwatcher-agent.jar}")
WORK=${WORK:-/tmp/qemu-kernel-check}
MODES=${MODES:-default kprobe fentry}
AGENT_OPTS=${AGENT_OPTS:-}  # extra agent options for every mode, e.g. "--events packet,connection"
DURATION=${DURATION:-25}
IPERF_SECS=${IPERF_SECS:-5}
KNOWN_BLOCKS=${KNOWN_BLOCKS:-64}  # with --count-calls: 128 KiB writes of the known client
NF_RULES=${NF_RULES:-300}  # with --netfilter-times: non-matching rules before nsa's counter rule
METRICS_PORT=${METRICS_PORT:-9990}  # with --netfilter-times: the agent's --metrics-port, scraped in the guest
NF_CHECK=
case " $AGENT_OPTS " in *" --netfilter-times "* | *" -n "*) NF_CHECK=1 ;; esac
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
# ACCEL=kvm|tcg|auto. auto: kvm, unless this host's /dev/kvm is kvm_pvm (a shadow-paging KVM found on
# some nested cloud hosts): there an unmodified kernel needs ~90 s just to decompress itself and
# "-cpu host" aborts (MSR 0x10a), while TCG boots it in ~3 s.
ACCEL=${ACCEL:-auto}
MEM=${MEM:-4096}
JDK=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
LIBBPF=${LIBBPF:-/usr/lib/x86_64-linux-gnu/libbpf.so.1}

[ -f "$JAR" ] || { echo "agent jar not found: $JAR" >&2; exit 1; }
[ -x "$JDK/bin/java" ] || { echo "no JDK 17 at $JDK" >&2; exit 1; }
if [ "$ACCEL" = auto ]; then
  if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then ACCEL=kvm; else ACCEL=tcg; fi
fi
case $ACCEL in
  kvm) QEMU_ACCEL=(-enable-kvm -cpu host) ;;
  tcg) # One emulation thread (TCG_THREAD=multi for one per vCPU): with multi-threaded TCG the
    # agent's JVM crashed at start-up in 5 of 10 boots (SIGSEGV in the main thread at the same
    # offset of different C1-compiled methods, garbage fault addresses; jars of two commits,
    # every hook preference), and in none of 9 with one thread; the same jars never fault on
    # the host. Debian 12's qemu 7.2.
    QEMU_ACCEL=(-accel "tcg,thread=${TCG_THREAD:-single}" -cpu max) ;;
  *) echo "ACCEL must be kvm, tcg or auto" >&2; exit 1 ;;
esac

# --- host tools
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
static_busybox() { [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -x poweroff >/dev/null \
  && { ldd /bin/busybox 2>&1 || true; } | grep 'not a dynamic' >/dev/null; }
static_busybox || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v ip >/dev/null || need+=(iproute2)
[ -e "$LIBBPF" ] || need+=(libbpf1)
[ -z "$NF_CHECK" ] || command -v nft >/dev/null || need+=(nftables)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2
fi

mkdir -p "$WORK"
# --- kernel: linux-image-6.1.0-50-cloud-amd64-unsigned, or the newest 6.1 cloud one apt knows
if [ -z "${KPKG:-}" ]; then
  KPKG=linux-image-6.1.0-50-cloud-amd64-unsigned
  if ! apt-cache show "$KPKG" >/dev/null 2>&1; then
    KPKG=$(apt-cache pkgnames linux-image-6.1. | grep -E '^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64-unsigned$' \
      | sort -V | tail -1)
  fi
fi
[ -n "$KPKG" ] || { echo "no linux-image-6.1*-cloud-amd64-unsigned package in apt" >&2; exit 1; }
KROOT=$WORK/kernel
if [ ! -d "$KROOT/boot" ]; then
  echo "== downloading $KPKG"
  rm -rf "$WORK/deb" && mkdir -p "$WORK/deb"
  (cd "$WORK/deb" && apt-get download "$KPKG" >&2)
  mkdir -p "$KROOT"
  dpkg-deb -x "$WORK"/deb/*.deb "$KROOT"
fi
VMLINUZ=$(ls "$KROOT"/boot/vmlinuz-* | head -1)
KVER=${VMLINUZ##*/vmlinuz-}
echo "== kernel $KVER ($VMLINUZ)"
VETH=$(find "$KROOT/lib/modules/$KVER" -name 'veth.ko*' | head -1)
[ -n "$VETH" ] || { echo "veth module not found" >&2; exit 1; }

# --- initramfs
R=$WORK/rootfs
rm -rf "$R"
mkdir -p "$R"/usr/{bin,sbin,lib,lib64} "$R"/{etc,proc,sys,dev,run,tmp,root,mnt}
for d in bin sbin lib lib64; do ln -s usr/$d "$R/$d"; done
mkdir -p "$R/var" && ln -s ../run "$R/var/run"
cp /bin/busybox "$R/usr/bin/busybox"
for applet in $("$R/usr/bin/busybox" --list); do
  [ -e "$R/usr/bin/$applet" ] || ln -s busybox "$R/usr/bin/$applet"
done

copy_deps() { # copy the shared libraries (ldd) of each ELF argument into the rootfs
  local f lib
  for f in "$@"; do
    { ldd "$f" 2>/dev/null || true; } | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | while read -r lib; do
      [ -e "$R$lib" ] || cp --parents -L "$lib" "$R/"
    done
  done
}
# JDK copied whole (symlinks into /etc/java-17-openjdk kept; that directory copied too)
mkdir -p "$R$(dirname "$JDK")"
cp -a "$JDK" "$R$(dirname "$JDK")/"
[ -d /etc/java-17-openjdk ] && cp -a /etc/java-17-openjdk "$R/etc/"
copy_deps "$JDK/bin/java" $(find "$JDK" -name '*.so' -type f)
rm -f "$R/usr/bin/ip"
cp -L /usr/sbin/ip "$R/usr/sbin/ip"
cp -L "$(command -v iperf3)" "$R/usr/bin/iperf3"
cp --parents -L "$LIBBPF" "$R/"
copy_deps /usr/sbin/ip "$(command -v iperf3)" "$LIBBPF"
mkdir -p "$R/lib/modules"
cp "$VETH" "$R/lib/modules/"
cp "$JAR" "$R/root/agent.jar"
if [ -n "$NF_CHECK" ]; then
  # nft and the modules of nf_tables, in load order (a module after those its .modinfo "depends=" names),
  # decompressed: busybox insmod reads plain .ko only.
  NFT=$(command -v nft)
  cp -L "$NFT" "$R/usr/sbin/nft"
  copy_deps "$NFT"
  MODDIR=$KROOT/lib/modules/$KVER
  mkdir -p "$R/lib/modules/nf"
  : >"$R/lib/modules/nf.order"
  add_mod() { # name: its dependencies, then itself, into the rootfs and nf.order (once each)
    local name=$1 f out dep
    grep -qx "$name" "$R/lib/modules/nf.order" && return 0
    f=$(find "$MODDIR/kernel" -regextype posix-extended -regex ".*/${name//_/[_-]}\.ko(\.xz|\.gz|\.zst)?" | head -1)
    if [ -z "$f" ]; then
      grep -Eq "/${name//_/[_-]}\.ko\$" "$MODDIR/modules.builtin" && return 0
      echo "module $name not found under $MODDIR" >&2; return 1
    fi
    out=$R/lib/modules/nf/$name.ko
    case $f in
      *.xz) xz -dc "$f" >"$out" ;;
      *.gz) gzip -dc "$f" >"$out" ;;
      *.zst) zstd -qdc "$f" >"$out" ;;
      *) cp "$f" "$out" ;;
    esac
    for dep in $(tr '\0' '\n' <"$out" | sed -n 's/^depends=//p' | tr ',' ' '); do add_mod "$dep"; done
    echo "$name" >>"$R/lib/modules/nf.order"
  }
  add_mod nfnetlink
  add_mod nf_tables
  echo "== nftables: $NFT, modules $(tr '\n' ' ' <"$R/lib/modules/nf.order")"
fi
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
echo 'root:x:0:' >"$R/etc/group"
printf '127.0.0.1 localhost netwatcher-vm\n::1 localhost\n' >"$R/etc/hosts"
echo 'hosts: files' >"$R/etc/nsswitch.conf"
ldconfig -r "$R" 2>/dev/null || true

cat >"$R/init" <<EOF
#!/bin/sh
DURATION=$DURATION
IPERF_SECS=$IPERF_SECS
KNOWN_BLOCKS=$KNOWN_BLOCKS
JAVA_HOME=$JDK
AGENT_OPTS="$AGENT_OPTS"
NF_CHECK=$NF_CHECK
NF_RULES=$NF_RULES
METRICS_PORT=$METRICS_PORT
EOF
cat >>"$R/init" <<'EOF'
# busybox sh runs its own applets (ip among them) before searching PATH: iproute2 and java by full path
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root JAVA_HOME
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /sys/fs/cgroup /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname netwatcher-vm
/usr/sbin/ip link set lo up

MODE=$(sed -n 's/.*nw\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
[ -n "$MODE" ] || MODE=default
EXTRA=
[ "$MODE" = default ] || EXTRA="--prefer-hook $MODE"
EXTRA="$EXTRA $AGENT_OPTS"
[ -z "$NF_CHECK" ] || EXTRA="$EXTRA --metrics-port $METRICS_PORT"
echo "=== NWCHECK kernel $(uname -r) mode=$MODE extra='$EXTRA'"
ls -la /sys/kernel/btf/vmlinux
grep -E 'cgroup2|bpf' /proc/self/mountinfo

insmod /lib/modules/veth.ko* || echo "insmod veth failed"
/usr/sbin/ip netns add nsa
/usr/sbin/ip netns add nsb
/usr/sbin/ip link add nw0 netns nsa type veth peer name nw1 netns nsb
/usr/sbin/ip -n nsa addr add 198.18.0.1/24 dev nw0
/usr/sbin/ip -n nsb addr add 198.18.0.2/24 dev nw1
for ns in nsa nsb; do /usr/sbin/ip -n $ns link set lo up; done
/usr/sbin/ip -n nsa link set nw0 up
/usr/sbin/ip -n nsb link set nw1 up
/usr/sbin/ip -n nsb addr show nw1
# INNSA cmd...: runs cmd in nsa (with --netfilter-times: in the cgroup nwnsa, a pod's stand-in)
INNSA="/usr/sbin/ip netns exec nsa"
HOLDER=
if [ -n "$NF_CHECK" ]; then
  mkdir /sys/fs/cgroup/nwnsa
  innsa() { /bin/sh -c 'echo $$ >/sys/fs/cgroup/nwnsa/cgroup.procs; exec /usr/sbin/ip netns exec nsa "$@"' innsa "$@"; }
  INNSA=innsa
  for m in $(cat /lib/modules/nf.order); do insmod /lib/modules/nf/$m.ko || echo "insmod $m failed"; done
  {
    echo "table ip nwcheck {"
    echo "  chain input {"
    echo "    type filter hook input priority 0; policy accept;"
    i=0
    while [ $i -lt $NF_RULES ]; do echo "    ip saddr 10.99.$((i / 250)).$((i % 250 + 1)) drop"; i=$((i + 1)); done
    echo "    counter"
    echo "  }"
    echo "}"
  } >/tmp/nwcheck.nft
  /usr/sbin/ip netns exec nsa /usr/sbin/nft -f /tmp/nwcheck.nft \
    && echo "=== NWCHECK nft: table ip nwcheck in nsa, input chain: $NF_RULES rules that never match, then a counter" \
    || echo "=== NWCHECK nft -f failed"
  echo "=== NWCHECK nft rules in nsa's input chain: $(/usr/sbin/ip netns exec nsa /usr/sbin/nft -a list chain ip nwcheck input | grep -c handle)"
  # a process in nsa until the end, for the agent's namespace -> cgroup map once the iperf3 servers are gone
  innsa sleep 100000 &
  HOLDER=$!
fi
$INNSA iperf3 -s -D -1

echo "=== NWCHECK starting agent: --standalone --bpf-stats --duration $DURATION --interval 1 -a $EXTRA"
$JAVA_HOME/bin/java ${JVM_OPTS:-} -XX:ErrorFile=/tmp/hs_err_%p.log -jar /root/agent.jar --standalone --bpf-stats --duration $DURATION --interval 1 -a $EXTRA \
  >/tmp/agent.out 2>/tmp/agent.err &
AGENT=$!
i=0
while [ $i -lt 600 ]; do
  grep -q "netwatcher running" /tmp/agent.err 2>/dev/null && break
  kill -0 $AGENT 2>/dev/null || break
  sleep 0.1; i=$((i+1))
done
echo "=== NWCHECK agent up after ~$((i/10)) s (running line seen: $(grep -c 'netwatcher running' /tmp/agent.err))"
sleep 1
/usr/sbin/ip netns exec nsb iperf3 -c 198.18.0.1 -t $IPERF_SECS -f m 2>&1 | tail -4
# UDP datagrams read by a socket (udp.read; on 6.1 its fexit twins): the receiver's own datagram
# count, to set against the --bpf-stats runs of the udp.read programs in the agent's stderr.
$INNSA iperf3 -s -D -1 -p 5203
sleep 1
echo "=== NWCHECK UDP load (iperf3 -u, 1000-byte datagrams; the receiver line counts the datagrams it read):"
/usr/sbin/ip netns exec nsb iperf3 -c 198.18.0.1 -p 5203 -u -b 20M -l 1000 -t 2 -f m 2>&1 | tail -4
KNOWN=
case " $AGENT_OPTS " in *" --count-calls "*)
  # A client whose calls are known, for call counts: 4 connects (control + 3 streams, -P 3) and
  # KNOWN_BLOCKS writes of 128 KiB (-n, -l), each at least one tcp_sendmsg; its pid identifies it.
  $INNSA iperf3 -s -D -1 -p 5202
  sleep 1
  /usr/sbin/ip netns exec nsb iperf3 -c 198.18.0.1 -p 5202 -P 3 -n $((KNOWN_BLOCKS * 128))K -l 128K -f m \
    >/tmp/known.txt 2>&1 &
  KNOWN=$!
  wait $KNOWN
  echo "=== NWCHECK known client: pid $KNOWN, exit $?, 4 connects (-P 3 + control), $KNOWN_BLOCKS writes of 128 KiB:"
  tail -3 /tmp/known.txt
  ;;
esac
if [ -n "$NF_CHECK" ]; then
  sleep 2
  if kill -0 $AGENT 2>/dev/null; then
    wget -q -O /tmp/metrics.txt http://127.0.0.1:$METRICS_PORT/metrics || echo "=== NWCHECK scrape failed"
  else
    echo "=== NWCHECK agent gone before the scrape (raise DURATION)"
  fi
  /usr/sbin/ip netns exec nsa /usr/sbin/nft list ruleset >/tmp/nft.txt
  echo "=== NWCHECK netfilter metrics ($(grep -c . /tmp/metrics.txt 2>/dev/null) lines scraped):"
  grep netfilter /tmp/metrics.txt
  echo "=== NWCHECK nft counter rule in nsa:"
  grep -E '^[[:space:]]*counter' /tmp/nft.txt
  NFT_PACKETS=$(sed -n 's/^[[:space:]]*counter packets \([0-9]*\) .*/\1/p' /tmp/nft.txt | head -1)
  # every (ipv4, input) series summed: _count, _sum, and the buckets (cumulative, by le) for the p50
  awk -v nft="${NFT_PACKETS:-0}" '
    /^#/ || !/netfilter/ || !/network_type="ipv4"/ || !/hook="input"/ { next }
    { v = $NF + 0 }
    /_count[{]/ { n++; count += v }
    /_sum[{]/ { sum += v }
    /_bucket[{]/ { if (!match($0, /le="[^"]*"/)) next; le = substr($0, RSTART + 4, RLENGTH - 5)
      if (!(le in b)) order[++nle] = le; b[le] += v }
    END {
      p50 = "-"; for (i = 1; i <= nle; i++) if (count > 0 && b[order[i]] >= count / 2) { p50 = order[i]; break }
      mean = count > 0 ? sprintf("%.2f us", sum / count * 1e6) : "-"
      d = nft > 0 ? sprintf("%+.1f%%", (count - nft) * 100 / nft) : "-"
      print "=== NWCHECK netfilter check: agent ipv4/input _count " count " (summed over " n " series), nft counter packets " \
        nft " (agent-nft " d "); mean " mean ", p50 <= " p50 " s"
    }' /tmp/metrics.txt
fi
wait $AGENT
echo "=== NWCHECK agent exit code $?"
[ -z "$HOLDER" ] || kill $HOLDER
echo "=== NWCHECK agent stderr begin"
cat /tmp/agent.err
echo "=== NWCHECK agent stderr end"
for f in /tmp/hs_err_*.log; do
  [ -f "$f" ] || continue
  echo "=== NWCHECK JVM crash report $f (native frames):"
  sed -n '/^Current thread/,/^$/p;/^Native frames/,/^$/p;/^Java frames/,/^$/p;/^siginfo/p' "$f" | head -80
done
echo "=== NWCHECK stdout lines: $(wc -l </tmp/agent.out); first 15:"
head -15 /tmp/agent.out
echo "=== NWCHECK lines per type:"
grep -o '"type" *: *"[^"]*"' /tmp/agent.out | sort | uniq -c
echo "=== NWCHECK lines without a type: $(grep -vc '"type"' /tmp/agent.out)"
if [ -n "$KNOWN" ]; then
  # Calls per process and function, summed over the call_count events (count = calls in one interval).
  echo "=== NWCHECK call_count sums (pid comm function calls events), largest first:"
  grep '"type":"call_count"' /tmp/agent.out | awk '
    function str(k,  r) { if (!match($0, "\"" k "\":\"[^\"]*\"")) return "-"; r = substr($0, RSTART, RLENGTH);
      sub("^\"" k "\":\"", "", r); sub("\"$", "", r); return r }
    function num(k,  r) { if (!match($0, "\"" k "\":[0-9]+")) return 0; r = substr($0, RSTART, RLENGTH);
      sub("^\"" k "\":", "", r); return r + 0 }
    { key = num("pid") " " str("comm") " " str("function"); calls[key] += num("count"); events[key]++ }
    END { for (k in calls) print k, calls[k], events[k] }' | sort -k4 -n -r >/tmp/calls.txt
  head -25 /tmp/calls.txt
  echo "=== NWCHECK known client pid $KNOWN:"
  awk -v p="$KNOWN" '$1 == p' /tmp/calls.txt
  grep '"type":"call_count"' /tmp/agent.out | grep "\"pid\":$KNOWN," | head -6
  # Against what the client did: one tcp_v4_connect per connection, a tcp_sendmsg per write at least.
  awk -v p="$KNOWN" -v b="$KNOWN_BLOCKS" '$1 == p && $3 == "tcp_v4_connect" { c = $4 } $1 == p && $3 == "tcp_sendmsg" { s = $4 }
    END { print "=== NWCHECK known client check: tcp_v4_connect " (c == "" ? "-" : c) " (4 connects: " \
      (c == 4 ? "ok" : "MISMATCH") "), tcp_sendmsg " (s == "" ? "-" : s) " (>= " b " writes: " (s >= b ? "ok" : "MISMATCH") ")" }' \
    /tmp/calls.txt
fi
echo "=== NWCHECK kernel log (warnings):"
dmesg | grep -iE 'bpf|warn|bug|oops|call trace' | tail -30
echo "=== NWCHECK done"
sync
poweroff -f
EOF
chmod +x "$R/init"
echo "== packing initramfs"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 >"$WORK/initrd.gz")
ls -la "$WORK/initrd.gz"

# --- boot once per mode
for mode in $MODES; do
  log=$WORK/console-$mode${AGENT_OPTS:+-$(echo "$AGENT_OPTS" | tr -cs "A-Za-z0-9" _ | sed "s/^_*//; s/_*$//")}.log
  echo "== booting ($ACCEL), mode=$mode, console -> $log"
  timeout "$BOOT_TIMEOUT" qemu-system-x86_64 "${QEMU_ACCEL[@]}" -m "$MEM" -smp 2 \
    -kernel "$VMLINUZ" -initrd "$WORK/initrd.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 nw.mode=$mode" \
    -nographic -no-reboot </dev/null >"$log" 2>&1 || echo "qemu exit $? (124 = timeout)"
  tr -d '\r' <"$log" | sed -n '/=== NWCHECK kernel/,/=== NWCHECK done/p'
done
