#!/bin/sh
# The build's class-data-sharing training runs (exec in examples/pom.xml): records the classes
# `privport render`, `privport apply` and `privport status` load, one line each, for bin/privport
# to archive.
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
# A command line DirectRun leaves to picocli (--out), rendering every backend: picocli's classes
# and the other renderers', for check, doctor, install and the rest.
"$java" -Xshare:auto $opts -XX:DumpLoadedClassList="$tmp.files" -cp "$classpath" \
  dev.privport.cli.Privport render --backend all --out "$tmp.out" 80:8080 >/dev/null || exit 1
# apply runs in a throwaway user and network namespace, never in the build host's, and keeps its
# lock in a state directory of its own, not the host's /run/privport; where unshare cannot make a
# namespace, the list has render's classes only.
# apply twice (the second reads the table the first made and compares it with the plan, as most
# applies do), then status, in one namespace.
if unshare -rn true 2>/dev/null; then
  unshare -rn sh -c '
    java=$1 opts=$2 tmp=$3 classpath=$4
    for run in apply apply2 status; do
      command=${run%2}
      "$java" -Xshare:auto $opts -Dprivport.state.dir="$tmp.state" \
        -XX:DumpLoadedClassList="$tmp.$run" -cp "$classpath" \
        dev.privport.cli.Privport $command 80:8080 >/dev/null 2>&1
    done
    true' sh "$java" "$opts" "$tmp" "$classpath" || true
fi
# Each line once: JDK 17 crashes dumping an archive from a list with repeated lines.
cat "$tmp.render" "$tmp.files" "$tmp.apply" "$tmp.apply2" "$tmp.status" 2>/dev/null |
  awk '!seen[$0]++' >"$out"
rm -rf -- "$tmp.render" "$tmp.files" "$tmp.out" "$tmp.apply" "$tmp.apply2" "$tmp.status" \
  "$tmp.state"
