#!/usr/bin/env bash
# A one-node Slurm cluster in a folder of its own, for the tests: munged, slurmctld and slurmd,
# started as root, each with its own key, socket, state, spool, logs and ports, so nothing of
# the machine's own Slurm or munge setup is used or changed. It installs nothing: it needs
# Debian's slurm-wlm and munge (CI installs them first, see .ci/run).
#
#   slurm-cluster.sh start DIR   start it; prints the path of its slurm.conf (use it as SLURM_CONF)
#                                once sinfo shows the node idle
#   slurm-cluster.sh stop DIR    stop the three daemons started in DIR
#
# The node has this machine's CPUs and memory (slurmd -C) and select/cons_tres with CR_CPU, so
# tasks run at once only as far as their --cpus-per-task fit the CPUs.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$(realpath -m "$2")

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

free_port() {
  # A port nothing listens on (connecting is refused), in the dynamic range.
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "slurm-cluster: no free port found" >&2
  exit 1
}

case $cmd in
start)
  for c in munged slurmctld slurmd sinfo; do
    command -v "$c" >/dev/null || { echo "slurm-cluster: '$c' is not installed (apt-get install slurm-wlm munge)" >&2; exit 3; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "slurm-cluster: slurmd must start as root" >&2; exit 3; }
  mkdir -p "$dir"/munge "$dir"/state "$dir"/spool "$dir"/log
  chmod 755 "$dir"
  chmod 700 "$dir/munge"
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
  # This machine as slurmd sees it: "NodeName=<host> CPUs=2 Boards=1 ... RealMemory=24105".
  node=$(slurmd -C | head -n 1)
  host=$(sed -E 's/^NodeName=([^ ]+).*/\1/' <<<"$node")
  ctld_port=$(free_port)
  d_port=$(free_port)
  while [ "$d_port" = "$ctld_port" ]; do d_port=$(free_port); done
  cat > "$dir/slurm.conf" <<CONF
ClusterName=dpctest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=1
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 300); do
    if [ "$(sinfo -h -o %T 2>/dev/null)" = "idle" ]; then echo "$SLURM_CONF"; exit 0; fi
    sleep 0.1
  done
  echo "slurm-cluster: the node did not come up idle in 30 s; see $dir/log/" >&2
  exit 1
  ;;
stop)
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
  ;;
*) usage ;;
esac
