#!/usr/bin/env python3
"""Times the worst diagram shapes through one `reef render-worker`, to check that nothing within
mermaid.js's own defaults (500 edges, 50,000 characters) comes near the time limit
(RenderSettings::defaults), and where merman's own limits start. Usage:
python3 bench/render_limits.py [reef]"""
import json
import struct
import subprocess
import sys
import time

exe = sys.argv[1] if len(sys.argv) > 1 else "target/release/reef"
worker = subprocess.Popen([exe, "render-worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def read_frame() -> bytes:
    (n,) = struct.unpack(">I", worker.stdout.read(4))
    return worker.stdout.read(n)


def render(source: str) -> tuple[float, str]:
    job = {"format": "svg", "scale": 1, "deadline_ms": 60_000, "source": source}
    started = time.perf_counter()
    worker.stdin.write(frame(json.dumps(job).encode()))
    worker.stdin.flush()
    header = json.loads(read_frame())
    read_frame()
    return time.perf_counter() - started, header["status"]


def chain(n):
    return "flowchart LR\n" + "".join(f"  c{i} --> c{i + 1}\n" for i in range(n))


def fan_in(e):
    return "flowchart TD\n" + "".join(f"  n{i} --> t{i % 7}\n" for i in range(e))


def grid(n):
    side = int(n ** 0.5)
    lines = []
    for r in range(side):
        for c in range(side):
            if c + 1 < side:
                lines.append(f"  g{r}_{c} --> g{r}_{c + 1}\n")
            if r + 1 < side:
                lines.append(f"  g{r}_{c} --> g{r + 1}_{c}\n")
    return "flowchart TD\n" + "".join(lines)


def dense(e):
    # Distinct labelled edges among 150 nodes: node a to the (1 + i // 150)th node after it.
    return "flowchart TD\n" + "".join(
        f"  n{i % 150} -->|e{i}| n{(i % 150 + 1 + i // 150) % 150}\n" for i in range(e))


def classes(e):
    return "classDiagram\n" + "".join(f"  C{i} --> C{(i * 7919) % e} : r{i}\n" for i in range(e))


def long_labels(chars):
    # mermaid.js's maxTextSize: about `chars` characters of labelled nodes and edges.
    lines, i = [], 0
    while sum(map(len, lines)) < chars - 60:
        lines.append(f"  a{i}[\"A label of some length {i}\"] -->|edge {i}| a{i + 1}\n")
        i += 1
    return "flowchart LR\n" + "".join(lines)


def sequence(m):
    return "sequenceDiagram\n" + "".join(f"  A{i % 10}->>A{(i + 3) % 10}: message {i}\n" for i in range(m))


shapes = [("chain", chain, [500, 2000, 5000]), ("fan-in to 7", fan_in, [100, 500, 2000]),
          ("grid", grid, [100, 500, 2000]), ("labelled, 150", dense, [500, 1000, 3000]),
          ("sequence", sequence, [500, 1500, 3000]), ("classes", classes, [500, 2000, 4000]),
          ("long labels", long_labels, [10_000, 50_000])]
print(f"{'shape':<14}{'size':>6}{'seconds':>10}  status")
for name, make, sizes in shapes:
    for size in sizes:
        seconds, status = render(make(size))
        print(f"{name:<14}{size:>6}{seconds:>10.3f}  {status}", flush=True)
        if seconds > 20:
            break
with open(f"/proc/{worker.pid}/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
print(f"worker peak resident memory over all of these: {int(peak) / 1024:.0f} MB")
worker.kill()
