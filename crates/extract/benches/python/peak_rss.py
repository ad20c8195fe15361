"""Runs a command, passes its stdout through, and prints its peak RSS (MiB) to stderr."""
import os
import subprocess
import sys

proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
print(f"peak_rss_mib={usage.ru_maxrss / 1024:.1f}", file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
