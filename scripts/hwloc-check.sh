#!/usr/bin/env bash
# Compares the topology reader with hwloc on real machines' sysfs snapshots: runs check.py (from the
# snapshot folder, hwloc's test suite with lstopo's expected output) over every snapshot with
# `coremanager topology --json --root`. Usage: scripts/hwloc-check.sh [SNAPSHOT_DIR]
# (default: ../shared/hwloc beside the repository). Its last line is "N passed, M failed".
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
# shellcheck source=scripts/jdk.sh
. "$root/scripts/jdk.sh"
coremanager_find_jdk || exit 1
snapshots="${1:-$root/../shared/hwloc}"
[ -f "$snapshots/check.py" ] || { echo "hwloc-check: no check.py in $snapshots" >&2; exit 2; }
# package, not install: the reactor resolves core, and ~/.m2 stays untouched.
(cd "$root" && mvn -q -B -ntp -DskipTests -Dmaven.javadoc.skip=true -pl cli -am package) >&2
exec python3 "$snapshots/check.py" "$snapshots" \
  "$JAVA_HOME/bin/java -jar $root/cli/target/coremanager.jar topology --json --root {root}"
