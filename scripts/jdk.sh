# Sourced by the launchers at the repository root: finds a JDK >= 25 and exports JAVA_HOME, and
# runs Maven through the repository's wrapper (./mvnw), so nothing but a JDK need be installed.
# Order: $JAVA_HOME if it is >= 25, else `java` on the PATH if it is >= 25, else the newest
# JDK >= 25 under /usr/lib/jvm (Linux) or /Library/Java/JavaVirtualMachines (macOS).
# Stops with a message naming what to install when none is found.

COREMANAGER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

COREMANAGER_MIN_JDK=25

# The feature version of the JDK at $1 (a JAVA_HOME), or nothing when it is not a JDK.
coremanager_jdk_version() {
  local home="$1" release="$1/release" line
  [ -x "$home/bin/java" ] || return 0
  if [ -f "$release" ]; then
    line=$(grep -E '^JAVA_VERSION=' "$release" | head -n 1)
    line=${line#JAVA_VERSION=}
    line=${line//\"/}
  else
    line=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  fi
  line=${line#1.}
  printf '%s' "${line%%[.+-]*}"
}

# True when $1 is a JAVA_HOME holding a JDK (with javac) of at least the minimum version.
coremanager_is_good_jdk() {
  local v
  [ -n "$1" ] && [ -x "$1/bin/javac" ] || return 1
  v=$(coremanager_jdk_version "$1")
  [ -n "$v" ] && [ "$v" -ge "$COREMANAGER_MIN_JDK" ] 2>/dev/null
}

coremanager_find_jdk() {
  local candidate best="" best_version=0 v java_on_path
  if coremanager_is_good_jdk "${JAVA_HOME:-}"; then
    return 0
  fi
  java_on_path=$(command -v java 2>/dev/null || true)
  if [ -n "$java_on_path" ]; then
    candidate=$(dirname "$(dirname "$(readlink -f "$java_on_path")")")
    if coremanager_is_good_jdk "$candidate"; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$candidate" ] || continue
    coremanager_is_good_jdk "$candidate" || continue
    v=$(coremanager_jdk_version "$candidate")
    if [ "$v" -gt "$best_version" ]; then
      best="$candidate"
      best_version="$v"
    fi
  done
  if [ -n "$best" ]; then
    export JAVA_HOME="$best"
    return 0
  fi
  echo "coremanager: no JDK ${COREMANAGER_MIN_JDK} or newer was found (looked at JAVA_HOME, java on the PATH," \
       "/usr/lib/jvm and /Library/Java/JavaVirtualMachines)." >&2
  echo "coremanager: install one, e.g. 'apt-get install openjdk-25-jdk' or Temurin 25 from adoptium.net," \
       "or set JAVA_HOME to it." >&2
  return 1
}

# Runs the Maven Wrapper (./mvnw: the Maven version pinned in .mvn/wrapper/maven-wrapper.properties,
# downloaded from Maven Central into ~/.m2/wrapper on first use) with plain output: batch mode
# (-B, no colours or escape codes, even on a terminal), no download progress (-ntp).
# Call coremanager_find_jdk first: the wrapper runs Maven on $JAVA_HOME.
coremanager_mvn() {
  "$COREMANAGER_ROOT/mvnw" -B -ntp -Dstyle.color=never "$@"
}
