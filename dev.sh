#!/usr/bin/env bash
# netwatcher developer entry point. On a fresh Debian 12 machine, as root:
#   ./dev.sh run [agent options]   build if needed, then run the agent standalone on this host, with
#                                  the chart's JVM options (helm/netwatcher/jvm.options; JAVA_OPTS adds to them)
#   ./dev.sh test                  the whole test suite (unit + kernel integration tests)
# Each installs the Debian packages it needs first.
set -euo pipefail
cd "$(dirname "$0")"

# Packages: build (JDK, Maven, clang/llvm, libbpf headers), run (libbpf1), test (iproute2,
# nftables for loss and drops, bpftool, iperf3 for benchmarks, prometheus for the scrape tests,
# ping, python3 and curl, which the kernel tests drive).
RUN_PKGS=(openjdk-17-jdk-headless maven clang llvm make libbpf-dev libbpf1 iproute2)
TEST_PKGS=(nftables bpftool iperf3 prometheus tcpdump ethtool iputils-ping python3 curl)

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "dev.sh: run as root (the agent loads BPF programs; tests create network namespaces)" >&2
    exit 1
  fi
}

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "dev.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

jar=node-agent/target/netwatcher-agent.jar
# The agent's JVM options, the same as the chart's: a bounded heap and a small footprint.
jvm_options=helm/netwatcher/jvm.options

build_if_needed() {
  if [ ! -f "$jar" ] || [ -n "$(find bpf node-agent/src pom.xml node-agent/pom.xml bpf/pom.xml "$jvm_options" -newer "$jar" -type f -print -quit)" ]; then
    mvn -B -q -DskipTests install >&2
  fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
  run)
    need_root
    ensure_packages "${RUN_PKGS[@]}"
    build_if_needed
    has_mode=0
    for a in "$@"; do case "$a" in --standalone|--kubeconfig*|-h|--help|-V|--version) has_mode=1;; esac; done
    [ $has_mode = 1 ] || set -- --standalone "$@"
    # As in the chart: fewer glibc malloc arenas (libbpf, JNA and the JIT allocate from them).
    export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
    # shellcheck disable=SC2086
    exec java "@$jvm_options" ${JAVA_OPTS:-} -jar "$jar" "$@"
    ;;
  test)
    need_root
    ensure_packages "${RUN_PKGS[@]}" "${TEST_PKGS[@]}"
    # Kernel/root preconditions fail here instead of skipping: CI can never pass by skipping.
    exec mvn -B verify -Dnetwatcher.requireKernel=true "$@"
    ;;
  *)
    echo "usage: $0 run [agent options] | $0 test [maven options]" >&2
    exit 2
    ;;
esac
