#!/usr/bin/env bash
# Builds the Node-API prebuilds that ship in the package, where node-gyp-build
# looks for them (prebuilds/<platform>-<arch>/berkeley.<libc>.node):
#
#   prebuilds/linux-x64/berkeley.glibc.node     gcc                    (glibc symbols <= 2.28)
#   prebuilds/linux-x64/berkeley.musl.node      musl-gcc               (Alpine and other musl systems)
#   prebuilds/linux-arm64/berkeley.glibc.node   aarch64-linux-gnu-gcc  (glibc symbols <= 2.28)
#   prebuilds/linux-arm64/berkeley.musl.node    aarch64-linux-musl-gcc (Debian's musl-dev:arm64)
#   prebuilds/linux-arm/berkeley.glibc.node     arm-linux-gnueabihf-gcc (armv7 hard-float, glibc symbols <= 2.28)
#
# riscv64 has no prebuild: no riscv64 Node is published on the npm registry
# (and Debian 12 has no riscv64 port), so none could be run before shipping;
# riscv64 machines build from source at install time.
#
# test/emulated-prebuilds.test.ts (part of npm test) runs each binary on its
# own machine and libc: qemu-user for arm64 and armv7, Bun's musl builds for
# musl.
#
# and prebuilds/SHA256SUMS: the sha256 of every input (binding.gyp, native/*.c,
# native/*.h, this script) and of every binary, in `sha256sum -c` form.
# test/package.test.ts fails when an input no longer matches, so a change to
# native/ must be followed by `npm run prebuilds` and a commit of prebuilds/
#
# Each target is built by prebuildify in a scratch copy of the sources, so the
# working tree's build/ is never touched; prebuilds/ is replaced only when every
# target built and passed its checks (ELF machine, libc, glibc symbol versions,
# Node-API only). One binary serves every Node major (NAPI_VERSION 8).
#
# Run: npm run prebuilds (not `prebuild`: npm would run that before every
# `npm run build`) on x86_64 Debian or Ubuntu. As root it installs the
# toolchains with apt-get (for arm64 musl that means enabling Debian's arm64
# architecture, `dpkg --add-architecture arm64`, for musl-dev:arm64 and its
# aarch64-linux-musl-gcc wrapper); otherwise it names the packages missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

die() { echo "prebuild: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] ||
  die "cross-builds from linux x86_64 only (this is $(uname -s) $(uname -m))"

# --- toolchains -------------------------------------------------------------
# command or file -> the Debian package that provides it
needs=(
  "gcc:gcc" "make:make" "python3:python3" "readelf:binutils" "strip:binutils"
  "musl-gcc:musl-tools"
  "aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu" "aarch64-linux-gnu-strip:binutils-aarch64-linux-gnu"
  "/usr/aarch64-linux-gnu/include/sys/types.h:libc6-dev-arm64-cross"
  "/usr/aarch64-linux-gnu/include/linux/version.h:linux-libc-dev-arm64-cross"
  "aarch64-linux-musl-gcc:musl-dev:arm64" "/usr/lib/aarch64-linux-musl/libc.so:musl-dev:arm64"
  "arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf" "arm-linux-gnueabihf-strip:binutils-arm-linux-gnueabihf"
  "/usr/arm-linux-gnueabihf/include/sys/types.h:libc6-dev-armhf-cross"
  "/usr/arm-linux-gnueabihf/include/linux/version.h:linux-libc-dev-armhf-cross"
  "/usr/lib/x86_64-linux-musl/libc.so:musl-dev" "/usr/include/linux/version.h:linux-libc-dev" "/usr/include/x86_64-linux-gnu/asm/unistd.h:linux-libc-dev"
)
missing() {
  local entry what pkg out=()
  for entry in "${needs[@]}"; do
    what=${entry%%:*}; pkg=${entry#*:}
    if [[ $what == /* ]]; then [ -e "$what" ] && continue
    else command -v "$what" >/dev/null 2>&1 && continue
    fi
    [[ " ${out[*]-} " == *" $pkg "* ]] || out+=("$pkg")
  done
  echo "${out[*]-}"
}
pkgs=$(missing)
if [ -n "$pkgs" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "prebuild: installing $pkgs"
    if [[ " $pkgs " == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
      echo "prebuild: enabling Debian's arm64 architecture for musl-dev:arm64 (dpkg --add-architecture arm64)"
      dpkg --add-architecture arm64
    fi
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
    pkgs=$(missing)
    [ -z "$pkgs" ] || die "still missing after apt-get install: $pkgs"
  else
    hint="sudo apt-get update && sudo apt-get install $pkgs"
    [[ " $pkgs " != *:arm64* ]] || hint="sudo dpkg --add-architecture arm64 && $hint"
    die "missing: $pkgs (install them with: $hint)"
  fi
fi

prebuildify="$root/node_modules/prebuildify/bin.js"
[ -f "$prebuildify" ] || die "prebuildify is not installed: run npm install first"

# node-gyp: the one on PATH (npm run puts npm's own there), else npm's bundled one.
if [ -n "${PREBUILD_NODE_GYP:-}" ]; then nodegyp=$PREBUILD_NODE_GYP
elif command -v node-gyp >/dev/null 2>&1; then nodegyp=$(command -v node-gyp)
else
  npmcli=$(readlink -f "$(command -v npm)")
  nodegyp="$(dirname "$npmcli")/node-gyp-bin/node-gyp"
  [ -x "$nodegyp" ] || die "node-gyp not found (not on PATH, not at $nodegyp)"
fi

# Node's headers, without the network: npm's nodedir setting, else the headers
# installed beside node, else node-gyp's cache from an earlier source build.
version=$(node -p process.versions.node)
nodedir=""
for dir in "${npm_config_nodedir:-}" "$(npm config get nodedir 2>/dev/null || true)" \
           "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" \
           "${XDG_CACHE_HOME:-$HOME/.cache}/node-gyp/$version"; do
  if [ -n "$dir" ] && [ "$dir" != undefined ] && [ "$dir" != null ] && [ -f "$dir/include/node/node_api.h" ]; then
    nodedir=$dir; break
  fi
done
[ -n "$nodedir" ] || die "no Node $version headers (include/node/node_api.h) found: set npm's nodedir or run npm install once"
export npm_config_nodedir=$nodedir

# --- scratch copy -----------------------------------------------------------
stage=$(mktemp -d "${TMPDIR:-/tmp}/berkeley-prebuild.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/src/native" "$stage/out"
cp binding.gyp package.json "$stage/src/"
cp native/*.c native/*.h "$stage/src/native/"

# musl-gcc sees only musl's headers: give it the kernel's (and nothing of glibc's).
kernel_headers() { # dir linux-and-asm-generic-parent asm-dir
  mkdir -p "$1"
  ln -s "$2/linux" "$1/linux"; ln -s "$2/asm-generic" "$1/asm-generic"; ln -s "$3" "$1/asm"
}
kernel_headers "$stage/kernel-x64" /usr/include /usr/include/x86_64-linux-gnu/asm
kernel_headers "$stage/kernel-arm64" /usr/aarch64-linux-gnu/include /usr/aarch64-linux-gnu/include/asm

# --- build ------------------------------------------------------------------
# target: arch libc CC strip [CFLAGS]
targets=(
  "x64 glibc gcc strip"
  "x64 musl musl-gcc strip -idirafter $stage/kernel-x64"
  "arm64 glibc aarch64-linux-gnu-gcc aarch64-linux-gnu-strip"
  "arm64 musl aarch64-linux-musl-gcc aarch64-linux-gnu-strip -idirafter $stage/kernel-arm64"
  "arm glibc arm-linux-gnueabihf-gcc arm-linux-gnueabihf-strip"
)

# The checks every binary must pass: the right machine and libc, glibc symbol
# versions no newer than 2.28 (what Node 20's own binaries need), and nothing
# from V8 or Node's C++ API (C++ symbols would tie it to one Node major).
check() {
  local file=$1 arch=$2 libc=$3 machine needed syms max
  machine=$(readelf -h "$file" | sed -n 's/^ *Machine: *//p')
  case $arch in
    x64) [[ $machine == *X86-64* ]] || die "$file: machine is '$machine', not x86-64" ;;
    arm64) [[ $machine == *AArch64* ]] || die "$file: machine is '$machine', not AArch64" ;;
    arm) [[ $machine == ARM ]] && readelf -A "$file" | grep -q 'Tag_ABI_VFP_args: VFP registers' ||
           die "$file: machine is '$machine' or not hard-float, not ARM EABI hard-float" ;;
  esac
  needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  syms=$(readelf --dyn-syms -W "$file")
  if [ "$libc" = musl ]; then
    [[ " $needed" == *" libc.so "* ]] || die "$file: does not link musl's libc.so (NEEDED: $needed)"
    ! grep -q 'GLIBC_' <<<"$syms" || die "$file: the musl build references glibc symbol versions"
    # Every libc function it calls must be one musl has (no glibc-only or
    # _FORTIFY_SOURCE __*_chk symbols); napi_* and uv_* come from Node.
    local muslc have lacking
    [ "$arch" = x64 ] && muslc=/usr/lib/x86_64-linux-musl/libc.so || muslc=/usr/lib/aarch64-linux-musl/libc.so
    have=$(readelf --dyn-syms -W "$muslc" | awk '$7 != "UND" { sub(/@.*/, "", $8); print $8 }' | sort -u)
    lacking=$(awk '$7 == "UND" && $5 != "WEAK" && $8 !~ /^(napi_|node_api_|uv_)/ { sub(/@.*/, "", $8); print $8 }' <<<"$syms" | sort -u | comm -23 - <(echo "$have"))
    [ -z "$lacking" ] || die "$file: calls functions musl does not have: $(echo $lacking)"
  else
    [[ " $needed" == *" libc.so.6 "* ]] || die "$file: does not link glibc (NEEDED: $needed)"
    max=$(grep -o 'GLIBC_[0-9.]*' <<<"$syms" | sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n | tail -1)
    [ "$(printf '%s\n2.28\n' "$max" | sort -t. -k1,1n -k2,2n | tail -1)" = 2.28 ] ||
      die "$file: needs GLIBC_$max (at most 2.28 allowed)"
  fi
  [ -z "$(awk '$7 == "UND" && $8 ~ /^_Z/ { print $8 }' <<<"$syms")" ] ||
    die "$file: uses C++ symbols (V8 or Node's C++ API), not Node-API only"
  [ -n "$(awk '$7 != "UND" && $8 == "napi_register_module_v1" { print $8 }' <<<"$syms")" ] ||
    die "$file: does not export napi_register_module_v1"
  echo "prebuild: $(printf '%-26s' "${file#"$stage/out/"}") $(stat -c %s "$file") bytes, NEEDED: ${needed% }${max:+, glibc <= $max}"
}

for target in "${targets[@]}"; do
  read -r arch libc cc strip cflags <<<"$target"
  log="$stage/$arch-$libc.log"
  if ! env -u CFLAGS -u CXXFLAGS -u LDFLAGS -u CPPFLAGS \
       CC="$cc" CXX="$cc" LINK="$cc" CFLAGS="${cflags:-}" \
       node "$prebuildify" --cwd "$stage/src" --out "$stage/out" --cache "$stage/cache" \
         --napi --target "node@$version" --arch "$arch" --platform linux \
         --libc "$libc" --tag-libc --strip --strip-bin "$strip" --node-gyp "$nodegyp" \
       >"$log" 2>&1; then
    cat "$log" >&2
    die "the linux-$arch $libc build failed"
  fi
  check "$stage/out/prebuilds/linux-$arch/berkeley.$libc.node" "$arch" "$libc"
done

# --- manifest and swap ------------------------------------------------------
# Inputs hashed from the copies that were built, under their names in the repo.
{
  (cd "$stage/src" && sha256sum binding.gyp native/*.c native/*.h)
  sha256sum scripts/prebuild.sh
  (cd "$stage/out" && sha256sum prebuilds/*/*.node)
} >"$stage/out/prebuilds/SHA256SUMS"

rm -rf "$root/prebuilds.old"
[ ! -e "$root/prebuilds" ] || mv "$root/prebuilds" "$root/prebuilds.old"
mv "$stage/out/prebuilds" "$root/prebuilds"
rm -rf "$root/prebuilds.old"
echo "prebuild: wrote prebuilds/ ($(find prebuilds -name '*.node' | wc -l) binaries; check with: sha256sum -c prebuilds/SHA256SUMS)"
