#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end latency of MQTT publishing: frame timestamp -> subscriber.

Plays CLIP in real time like a camera (`identity sync=true` releases each frame at its
timestamp on the pipeline clock), through the analysis chain into
`emometapublish method=mqtt`, to the broker at 127.0.0.1:PORT, and subscribes in this process
(paho). The pipeline runs on a REALTIME system clock, so a frame's capture time in wall-clock
nanoseconds is base_time + running-time (the message's "running-time"); the subscriber stamps
time.time_ns() on receipt. Prints median, p90, p99 and max of receipt - capture per message,
and the same for the chain alone (capture -> emometapublish, from a pad probe), so that the
publishing part is their difference.

usage: mqtt-latency.py CLIP PORT QOS
"""
import json
import statistics
import sys
import threading
import time

import gi

gi.require_version('Gst', '1.0')
from gi.repository import GLib, Gst  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))] if s else float('nan')


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    clip, port, qos = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    Gst.init(None)
    received = {}  # running-time -> receive wall time
    ready = threading.Event()
    sub = mqtt.Client(client_id='emo-bench-sub')
    sub.on_connect = lambda c, u, f, rc: c.subscribe('bench/faces', qos=1)
    sub.on_subscribe = lambda c, u, m, g: ready.set()

    def on_message(c, u, msg):
        t = time.time_ns()
        received[json.loads(msg.payload)['running-time']] = t

    sub.on_message = on_message
    sub.connect('127.0.0.1', port)
    sub.loop_start()
    ready.wait(10)

    pipeline = Gst.parse_launch(
        f'filesrc location={clip} ! decodebin ! videoconvert ! identity sync=true ! '
        'emofacedetect ! emolandmarks ! emoclassify ! '
        f'emometapublish name=pub method=mqtt address=mqtt://127.0.0.1:{port} topic=bench/faces '
        f'mqtt-qos={qos} include-landmarks=true ! fakesink sync=false')
    clock = Gst.SystemClock()
    clock.set_property('clock-type', Gst.ClockType.REALTIME)
    pipeline.use_clock(clock)
    at_publisher = {}  # running-time -> wall time when the frame reached emometapublish

    def probe(pad, info):
        buf = info.get_buffer()
        seg = pad.get_sticky_event(Gst.EventType.SEGMENT, 0).parse_segment()
        at_publisher[seg.to_running_time(Gst.Format.TIME, buf.pts)] = time.time_ns()
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name('pub').get_static_pad('sink').add_probe(Gst.PadProbeType.BUFFER, probe)
    loop = GLib.MainLoop()
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect('message::eos', lambda *_: loop.quit())
    bus.connect('message::error', lambda b, m: (print(m.parse_error()), loop.quit()))
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    base = pipeline.get_base_time()
    time.sleep(1)
    pipeline.set_state(Gst.State.NULL)
    sub.loop_stop()
    e2e = [(t - (base + rt)) / 1e6 for rt, t in received.items()]
    chain = [(t - (base + rt)) / 1e6 for rt, t in at_publisher.items() if rt in received]
    publish = [(received[rt] - at_publisher[rt]) / 1e6 for rt in received if rt in at_publisher]
    for name, v in (('capture->subscriber', e2e), ('capture->emometapublish', chain),
                    ('emometapublish->subscriber', publish)):
        print(f'qos={qos} {name:<28} n={len(v):4d} median_ms={statistics.median(v):7.2f} '
              f'p90_ms={pct(v, 0.9):7.2f} p99_ms={pct(v, 0.99):7.2f} max_ms={max(v):7.2f}')
    print(f'qos={qos} frames published {len(at_publisher)}, received {len(received)}')


main()
