#!/bin/sh
# Written by Ravioli's java_buildpack. Starts the JVM with the heap at 75% of MEMORY_LIMIT (Cloud
# Foundry's format: 512m, 1G, ...), leaving the rest for metaspace, threads and native memory.
# JAVA_OPTS comes after it, so an -Xmx there wins; it is split on spaces, as Cloud Foundry does.
limit="${MEMORY_LIMIT:-}"
unit=""
case "$limit" in
  *[gGmMkK]) unit="${limit#"${limit%?}"}"; limit="${limit%?}" ;;
esac
mb=""
case "$limit" in
  ''|*[!0-9]*) ;;
  *)
    case "$unit" in
      g|G) mb=$((limit * 1024)) ;;
      k|K) mb=$((limit / 1024)) ;;
      *) mb=$limit ;;
    esac
    ;;
esac
heap=""
# Below a few MB the JVM refuses to start at all; leave the default heap then.
if [ -n "$mb" ] && [ "$mb" -ge 16 ]; then
  heap="-Xmx$((mb * 3 / 4))m"
fi
# shellcheck disable=SC2086
exec java $heap ${JAVA_OPTS:-} "$@"
