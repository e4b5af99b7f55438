#!/bin/bash
# scenario: the zero-copy test suite (JUnit classes tagged "lab") on this guest's NICs; ARGS name test classes
# Runs the lab module's test classes with the JUnit console launcher, on the test class path the host's build wrote
# (lab/target/lab-test-classpath.txt), with XML reports in $SLUICE_LAB_OUT/reports for the host to read.
#   ./sluice lab --nic igb --scenario tests
#   ./sluice lab --scenario tests -- ZeroCopyModesTest ZeroCopyTxTest#shouldForwardEveryFrameToTheOtherNicThroughOneUmemInZeroCopy
set -euo pipefail
cd "$SLUICE_HOME"
classpath_file=lab/target/lab-test-classpath.txt
[ -f "$classpath_file" ] || { echo "no $classpath_file: run ./sluice build on the host"; exit 2; }
select=()
for class in "$@"; do
    case "$class" in
        *'#'*) select+=(--select-method "io.sluice.lab.${class#io.sluice.lab.}") ;;
        *) select+=(--select-class "io.sluice.lab.${class#io.sluice.lab.}") ;;
    esac
done
[ ${#select[@]} -gt 0 ] || select=(--scan-classpath "$SLUICE_HOME/lab/target/test-classes")
# The lab's virtio-net NICs have one queue each (QEMU's hub gives no multi-queue backend), so tag multiqueue is left
# out there; igb has several. A class named in ARGS runs whatever its tags.
exclude=()
[ "$SLUICE_LAB_DRIVER" = igb ] || exclude+=(--exclude-tag=multiqueue)
[ $# -eq 0 ] || exclude=()
mkdir -p "$SLUICE_LAB_OUT/reports"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED \
    -XX:TieredStopAtLevel=1 -Xshare:auto \
    -cp "$SLUICE_HOME/lab/target/test-classes:$(cat "$classpath_file")" \
    org.junit.platform.console.ConsoleLauncher execute --disable-banner --disable-ansi-colors \
    --details=tree --include-tag=lab "${exclude[@]}" "${select[@]}" --reports-dir="$SLUICE_LAB_OUT/reports"
