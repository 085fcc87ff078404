#!/bin/sh
# Make sure the programs the course needs are on PATH, installing them with apt
# where that is possible (Debian or Ubuntu, as root). Otherwise say how to get them.
#   sh tools/system-packages.sh [--require] PROGRAM...
# Programs: dot (Graphviz, draws the graphs), chromium (the browser tests), npm (installs
# JupyterHub's proxy for the hub test).
# With --require, a program that is still missing is an error; without it, a note.
require=no
if [ "${1:-}" = "--require" ]; then require=yes; shift; fi

package_of() {
    case "$1" in
        dot) echo graphviz ;;
        chromium) echo chromium ;;
        *) echo "$1" ;;
    esac
}

missing=""
for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 || missing="$missing $(package_of "$program")"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing with apt-get:$missing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

status=0
for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 && continue
    package=$(package_of "$program")
    if [ "$program" = dot ]; then
        advice="Graphviz's 'dot' is not installed, so graphs show as text. Install Graphviz: sudo apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) or conda install -c conda-forge graphviz."
    else
        advice="'$program' is not installed. Install it: sudo apt-get install $package (Debian/Ubuntu)."
    fi
    echo "$advice"
    [ "$require" = yes ] && status=1
done
exit $status
