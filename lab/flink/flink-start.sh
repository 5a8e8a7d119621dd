#!/bin/sh
# Start a Flink process of the lab's session cluster as Flink's own scripts would (lab-only):
# PyPI's apache-flink-libraries has the jars but no start scripts, so this computes the JVM's
# memory options with Flink's bash-java-utils.jar from conf/config.yaml, then runs the entrypoint.
# `submit KIND` runs the lab's job (lab/flink/TdaLabJob.java: datagen or failing) detached, as
# Flink's `flink run -d` would, on the cluster of conf/config.yaml.
# Usage: flink-start.sh jobmanager|taskmanager|submit KIND   (FLINK_HOME, default /opt/flink)
set -eu
home=${FLINK_HOME:-/opt/flink}
case $1 in
  submit)
    exec env FLINK_CONF_DIR="$home/conf" java -Xmx256m --add-opens=java.base/java.util=ALL-UNNAMED \
      -cp "$home/lib/*" org.apache.flink.client.cli.CliFrontend run -d /opt/flink-jobs/tda-lab-job-2.3.0.jar "$2" ;;
  jobmanager) params=GET_JM_RESOURCE_PARAMS; class=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint ;;
  taskmanager) params=GET_TM_RESOURCE_PARAMS; class=org.apache.flink.runtime.taskexecutor.TaskManagerRunner ;;
  *) echo "usage: $0 jobmanager|taskmanager|submit KIND" >&2; exit 2 ;;
esac
computed=$(java -cp "$home/bin/bash-java-utils.jar:$home/lib/*" org.apache.flink.runtime.util.bash.BashJavaUtils \
  "$params" --configDir "$home/conf" 2>/dev/null | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p')
jvm=$(echo "$computed" | sed -n 1p)
dynamic=$(echo "$computed" | sed -n 2p)
[ -n "$jvm" ] || { echo "bash-java-utils computed no memory options from $home/conf" >&2; exit 1; }
export FLINK_PLUGINS_DIR="$home/plugins" FLINK_CONF_DIR="$home/conf"
# the options Flink's scripts pass on Java 17 (conf/config.yaml's env.java.opts.all)
# shellcheck disable=SC2086
exec java $jvm --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
  -Dlog4j.configurationFile="$home/conf/log4j-console.properties" \
  -cp "$home/lib/*" "$class" --configDir "$home/conf" $dynamic
