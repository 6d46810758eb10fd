#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Median and 99th percentile of per-buffer element latency from GStreamer's latency tracer.

Reads a GST_DEBUG_FILE written with
    GST_TRACERS="latency(flags=element)" GST_DEBUG=GST_TRACER:7
whose records look like (GStreamer 1.22)
    element-latency, element-id=(string)0x..., element=(string)emofacedetect0,
        src=(string)src, time=(guint64)12345678, ts=(guint64)...;
where `time` (ns) is how long the buffer took from entering the element to leaving its source
pad. Prints one line per ELEMENT given on the command line (element names, in stream order),
then a line `chain` for their sum per buffer: records are grouped in stream order (one
streaming thread, no queue inside the chain), a group starting at the first element and ending
at the last; a buffer dropped inside the chain (QoS) leaves an incomplete group, which is
skipped.

usage: latency-stats.py [--skip N] LOG ELEMENT [ELEMENT...]
  --skip N   leave out each element's first N buffers (a live stream's warm-up: the first
             detection waits for OpenCV DNN's first run, decoders start)
"""
import re
import sys

RECORD = re.compile(r"element-latency, .*?element=\(string\)([^,]+), src=\(string\)[^,]+, "
                    r"time=\(guint64\)(\d+)")


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]


def main():
    args = sys.argv[1:]
    skip = 0
    if len(args) >= 2 and args[0] == "--skip":
        skip, args = int(args[1]), args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    log, elements = args[0], args[1:]
    per_element = {name: [] for name in elements}
    seen = {name: 0 for name in elements}
    chain, group = [], None
    with open(log, errors="replace") as f:
        for line in f:
            m = RECORD.search(line)
            if not m or m.group(1) not in per_element:
                continue
            name, ns = m.group(1), int(m.group(2))
            seen[name] += 1
            if seen[name] <= skip:
                continue
            per_element[name].append(ns / 1e6)
            index = elements.index(name)
            if index == 0:
                group = [ns]
            elif group is not None and len(group) == index:
                group.append(ns)
            else:
                group = None
            if group is not None and len(group) == len(elements):
                chain.append(sum(group) / 1e6)
                group = None
    for name in elements:
        v = per_element[name]
        print(f"latency element={name} buffers={len(v)} median_ms={percentile(v, 0.5):.2f} "
              f"p99_ms={percentile(v, 0.99):.2f} max_ms={percentile(v, 1.0):.2f}")
    print(f"latency element=chain buffers={len(chain)} median_ms={percentile(chain, 0.5):.2f} "
          f"p99_ms={percentile(chain, 0.99):.2f} max_ms={percentile(chain, 1.0):.2f}")


if __name__ == "__main__":
    main()
