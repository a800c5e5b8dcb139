#!/bin/sh
# The build's class-data-sharing training runs (exec in examples/pom.xml): records the classes
# `privport render` and `privport apply` load, one line each, for bin/privport to archive.
# Usage: cds-training.sh JAVA CLASSPATH OUTPUT
set -u
java=$1
classpath=$2
out=$3
tmp=$out.$$
# As bin/privport runs the command line, so the list holds the classes it loads (jnr-ffi's
# reflective binding).
opts=-Djnr.ffi.asm.enabled=false
"$java" -Xshare:auto $opts -XX:DumpLoadedClassList="$tmp.render" -cp "$classpath" \
  dev.privport.cli.Privport render 80:8080 >/dev/null || exit 1
# apply runs in a throwaway user and network namespace, never in the build host's, and keeps its
# lock in a state directory of its own, not the host's /run/privport; where unshare cannot make a
# namespace, the list has render's classes only.
if unshare -rn true 2>/dev/null; then
  unshare -rn "$java" -Xshare:auto $opts -Dprivport.state.dir="$tmp.state" \
    -XX:DumpLoadedClassList="$tmp.apply" -cp "$classpath" \
    dev.privport.cli.Privport apply --keep-flows 80:8080 >/dev/null 2>&1 || true
fi
# Each line once: JDK 17 crashes dumping an archive from a list with repeated lines.
cat "$tmp.render" "$tmp.apply" 2>/dev/null | awk '!seen[$0]++' >"$out"
rm -rf -- "$tmp.render" "$tmp.apply" "$tmp.state"
