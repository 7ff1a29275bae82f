#!/usr/bin/env bash
# Builds vfs/ (Samba's VFS module `smbta`) against Debian's own source of the installed samba
# and installs it as smbd's vfs/smbta.so. Run as root on Debian. Caches the configured tree.
#
#   scripts/build-vfs-module.sh            build (or rebuild) and install
#   scripts/build-vfs-module.sh --check    only say whether the installed module is current
#
# Environment: SMBTA_VFS_CACHE (default /var/cache/smbta-vfs) holds the apt lists, the source
# package and the configured tree; remove it to start over.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${SMBTA_VFS_CACHE:-/var/cache/smbta-vfs}
say() { printf 'build-vfs-module: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: it installs samba's build dependencies and the module into smbd's module directory"
[ -r /etc/debian_version ] && command -v apt-get >/dev/null && command -v dpkg-query >/dev/null ||
  die "this script builds against Debian's samba source package; on another distribution build vfs/ in that distribution's samba source (see vfs/README.md)"
version=$(dpkg-query -W -f='${Version}' samba 2>/dev/null) || die "samba is not installed (apt-get install samba)"
upstream=${version#*:}
upstream=${upstream%%[+~-]*}
case $upstream in
  4.1[7-9].* | 4.2[0-9].*) ;;
  *) die "samba $version: the module is written for Samba 4.17 and later (VFS interface of 4.17); this is $upstream" ;;
esac
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
moddir=/usr/lib/$multiarch/samba/vfs
[ -d "$moddir" ] || die "$moddir: no Samba VFS module directory (is samba installed from Debian's packages?)"
tree=$cache/samba-${version#*:}
built=$tree/bin/default/source3/modules/libvfs_module_smbta.so
sources=("$here"/vfs/vfs_smbta.c "$here"/vfs/smbta_wire.c "$here"/vfs/smbta_wire.h)

if [ "${1:-}" = --check ]; then
  [ -f "$moddir/smbta.so" ] && [ -f "$built" ] && cmp -s "$built" "$moddir/smbta.so" || exit 1
  for f in "${sources[@]}"; do cmp -s "$f" "$tree/source3/modules/$(basename "$f")" || exit 1; done
  exit 0
fi

# Waf needs Debian's python3 (with its tdb, talloc and ldb modules) and a fixed hash seed.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin PYTHON=/usr/bin/python3 PYTHONHASHSEED=1 DEBIAN_FRONTEND=noninteractive

fetch_source() {
  local apt=$cache/apt
  mkdir -p "$apt/sources" "$apt/lists/partial" "$cache/src"
  # The same archives and suites as the system's own sources, with deb-src, in a private
  # directory: the system's apt configuration is left as it is.
  rm -f "$apt/sources/"*
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] && sed -E 's/^Types:.*/Types: deb deb-src/' "$f" >"$apt/sources/$(basename "$f")"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] && sed -nE 's/^[[:space:]]*deb[[:space:]]+(.*)/deb \1\ndeb-src \1/p' "$f" >"$apt/sources/$(basename "$f")"
  done
  [ -n "$(ls "$apt/sources")" ] || die "no apt sources found in /etc/apt to take the samba source package from"
  aptopt=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt/sources" -o "Dir::State::Lists=$apt/lists" -o "APT::Get::List-Cleanup=false")
  say "reading the source package lists (into $apt)"
  apt-get "${aptopt[@]}" update -qq || die "apt-get update for the source lists failed"
  say "installing samba $version's build dependencies"
  apt-get "${aptopt[@]}" install -y -qq --no-install-recommends dpkg-dev >/dev/null
  apt-get "${aptopt[@]}" build-dep -y -qq "samba=$version" >/dev/null ||
    die "apt-get build-dep samba=$version failed (is $version still in the archive your sources name?)"
  if [ ! -d "$tree" ]; then
    say "fetching and unpacking the source of samba $version"
    # apt checks the download against the archive's signed index; dpkg-source's own signature
    # check wants debian-keyring, so its warning goes to the log with the rest.
    (cd "$cache/src" && apt-get "${aptopt[@]}" source --download-only -qq "samba=$version" >"$cache/src/fetch.log" 2>&1) ||
      die "apt-get source samba=$version failed (see $cache/src/fetch.log): the archive no longer has the installed version"
    rm -rf "$tree.part"
    dpkg-source -x "$cache/src/samba_${version#*:}.dsc" "$tree.part" >"$cache/src/unpack.log" 2>&1 ||
      die "dpkg-source could not unpack the samba source; see $cache/src/unpack.log"
    mv "$tree.part" "$tree"
  fi
}

add_module() {
  cp "${sources[@]}" "$tree/source3/modules/"
  grep -q "'vfs_smbta'" "$tree/source3/modules/wscript_build" || cat >>"$tree/source3/modules/wscript_build" <<'EOF'

bld.SAMBA3_MODULE('vfs_smbta',
                 subsystem='vfs',
                 source='vfs_smbta.c smbta_wire.c',
                 deps='samba-util pthread',
                 init_function='',
                 internal_module=bld.SAMBA3_IS_STATIC_MODULE('vfs_smbta'),
                 enabled=bld.SAMBA3_IS_ENABLED_MODULE('vfs_smbta'))
EOF
}

configure() {
  [ -f "$tree/.smbta-configured" ] && return
  say "configuring samba $upstream with Debian's paths (about a minute)"
  # Debian brands its symbol versions (SAMBA_4.17.12_DEBIAN_SAMBA4); smbd refuses a module without the brand.
  sed -i -E 's/^SAMBA_VERSION_VENDOR_SUFFIX=.*/SAMBA_VERSION_VENDOR_SUFFIX=Debian/' "$tree/VERSION"
  (cd "$tree" && ./configure --prefix=/usr --enable-fhs --sysconfdir=/etc --localstatedir=/var \
    --libdir="/usr/lib/$multiarch" --with-modulesdir="/usr/lib/$multiarch/samba" \
    --bundled-libraries=NONE,pytevent,ldb --without-ad-dc --disable-cups --without-json \
    --without-winbind --without-pam --without-systemd --disable-spotlight --disable-glusterfs \
    --disable-cephfs --with-shared-modules=vfs_smbta >"$tree/.smbta-configure.log" 2>&1) ||
    die "configure failed; see $tree/.smbta-configure.log"
  touch "$tree/.smbta-configured"
}

[ -d "$tree" ] && [ -f "$tree/.smbta-configured" ] || fetch_source
add_module
configure
say "building the vfs_smbta target"
(cd "$tree" && ./buildtools/bin/waf build -j"$(nproc)" --targets=vfs_smbta >"$tree/.smbta-build.log" 2>&1) || {
  grep -A3 -E '(vfs_smbta|smbta_wire)\.[ch]:[0-9]+:[0-9]+: (error|warning)' "$tree/.smbta-build.log" | head -40 >&2
  die "build failed; see $tree/.smbta-build.log"
}
install -m 0644 "$built" "$moddir/smbta.so"
say "installed $moddir/smbta.so (for samba $version); load it with 'vfs objects = smbta'"
