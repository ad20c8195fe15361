#!/usr/bin/env python3
"""The load and the memory sampler of `make bench-render` (see bench-render.sh).

Sends RENDERS `POST /render` requests for the demo shop's script-built pages,
TABS at a time, in two phases (the first 50, then the rest), and samples every
100 ms the proportional set size of the renderer and of every process in the
process groups of the run's Chromium (found by the run's own profile
directory). One process does all of it, so the harness takes little of the
CPU the renders need. Prints `key value` lines. Loopback only; every request
has a timeout.
"""
import http.client
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

work, renderer_pid, api_port, shop_port, tabs, renders = sys.argv[1:7]
renderer_pid, api_port, shop_port = int(renderer_pid), int(api_port), int(shop_port)
tabs, renders = int(tabs), int(renders)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def groups():
    """The process groups holding a process started with the run's directory."""
    found = set()
    needle = work.encode()
    for name in os.listdir("/proc"):
        if name.isdigit() and needle in read(f"/proc/{name}/cmdline"):
            stat = read(f"/proc/{name}/stat").decode(errors="replace")
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 2:
                found.add(fields[2])
    return found


def pss_kib():
    wanted = groups()
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        if int(name) != renderer_pid:
            stat = read(f"/proc/{name}/stat").decode(errors="replace")
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) < 3 or fields[2] not in wanted or fields[0] == "Z":
                continue
        for line in read(f"/proc/{name}/smaps_rollup").decode(errors="replace").splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
                break
    return total


peak = 0
stop = threading.Event()


def sampler():
    global peak
    while not stop.is_set():
        peak = max(peak, pss_kib())
        stop.wait(0.1)


def slugs():
    conn = http.client.HTTPConnection("127.0.0.1", shop_port, timeout=10)
    conn.request("GET", "/?format=json")
    return [p["slug"] for p in json.loads(conn.getresponse().read())]


catalogue = slugs()


def render(index):
    slug = catalogue[index % len(catalogue)]
    body = json.dumps({
        "url": f"http://127.0.0.1:{shop_port}/js/products/{slug}",
        "wait_for": ".price",
    })
    try:
        conn = http.client.HTTPConnection("127.0.0.1", api_port, timeout=60)
        conn.request("POST", "/render", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status
    except OSError:
        return 0


idle = pss_kib()
threading.Thread(target=sampler, daemon=True).start()
first = min(renders, 50)
statuses = []
started = time.monotonic()
with ThreadPoolExecutor(max_workers=tabs) as pool:
    statuses += pool.map(render, range(first))
    at_first = pss_kib()
    statuses += pool.map(render, range(first, renders))
finished = time.monotonic()
at_last = pss_kib()
stop.set()
ok = statuses.count(200)
seconds = finished - started
print(f"render_tabs {tabs}")
print(f"render_count {renders}")
print(f"render_ok {ok}")
print(f"render_seconds {seconds:.2f}")
print(f"render_per_second {ok / seconds:.2f}")
print(f"render_pss_idle_mib {idle // 1024}")
print(f"render_pss_peak_mib {peak // 1024}")
print(f"render_pss_at_render_{first}_mib {at_first // 1024}")
print(f"render_pss_at_render_{renders}_mib {at_last // 1024}")
time.sleep(1)
print(f"render_pss_after_mib {pss_kib() // 1024}")
