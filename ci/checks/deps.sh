#!/usr/bin/env bash
# deps.sh: install the Debian packages of ci/data/packages that are missing.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

mapfile -t pkgs < <(grep -v '^#' "$ROOT/ci/data/packages" | xargs -n1)
missing=()
for p in "${pkgs[@]}"; do
	if [ "${p#*:}" != "$p" ]; then
		command -v "${p#*:}" >/dev/null 2>&1 && continue
		p=${p%%:*}
	fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (install them as root)"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || die "apt-get update failed"
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed"
