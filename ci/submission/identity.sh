#!/usr/bin/env bash
# identity.sh "Name <email>": refuse a missing or placeholder identity, one
# that no person answers to, for authoring and signing off patches (DCO).
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

ident=${1:-}
name=${ident% <*}
email=${ident##* <}
email=${email%>}
if [ -z "$name" ] || [ "$name" = "$ident" ] || [[ $email != *@*.* ]]; then
	die "no git identity ('$ident'): set git config user.name and user.email, or BUNDLE_IDENT=\"Name <email>\""
fi
domain=${email##*@}
case $domain in
example.com | example.org | example.net | *.example | *.invalid | *.test | localhost | *.localdomain | *.local)
	die "'$ident' is a placeholder identity: patches are signed off by whoever runs make bundle" ;;
esac
case $email in
*noreply* | ci@* | root@*)
	die "'$ident' is a placeholder identity: patches are signed off by whoever runs make bundle" ;;
esac
