#!/bin/sh
# Installs the Debian/Ubuntu packages Clipper needs when they are missing: with apt-get as root,
# otherwise it names them and stops.
missing=""
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "Clipper needs these system packages:$missing"
    echo "Install them (for example: sudo apt-get install$missing) and run make again."
    exit 1
fi
