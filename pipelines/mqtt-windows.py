#!/usr/bin/python3
# A dashboard's view of a gst-emo site: subscribes to the session windows that every emo-analyze
# (every machine, every camera) publishes to <prefix>/<camera>/windows and prints one line per
# window, across all cameras, as the windows close. Debian python3-paho-mqtt.
#
#   pipelines/mqtt-windows.py [--host H] [--port P] [--prefix gst-emo] [--cafile CA]
#                             [--username U]   (password: $EMO_MQTT_PASSWORD)
#
# Line: time received, camera, window index, start-end (s of the camera's running time),
# dominant emotion, share of samples with a face, how the window closed, the timeline.
# With --analyses, the final analysis of each window too (Gemini's reply, or its state).
import argparse
import json
import os
import signal
import sys
import time

import paho.mqtt.client as mqtt

p = argparse.ArgumentParser(description=__doc__)
p.add_argument('--host', default='127.0.0.1')
p.add_argument('--port', type=int, default=1883)
p.add_argument('--prefix', default='gst-emo')
p.add_argument('--cafile')
p.add_argument('--username')
p.add_argument('--analyses', action='store_true')
a = p.parse_args()

client = mqtt.Client(client_id=f'emo-windows-{os.getpid()}')
if a.cafile:
    client.tls_set(ca_certs=a.cafile)
if a.username:
    client.username_pw_set(a.username, os.environ.get('EMO_MQTT_PASSWORD'))
client.reconnect_delay_set(min_delay=0.5, max_delay=10)


def on_connect(c, userdata, flags, rc):
    if rc != 0:
        print(f'# broker refused: {mqtt.connack_string(rc)}', file=sys.stderr, flush=True)
        return
    c.subscribe(f'{a.prefix}/+/windows', qos=1)
    print(f'# subscribed to {a.prefix}/+/windows on {a.host}:{a.port}', flush=True)


def on_message(c, userdata, msg):
    camera = msg.topic.split('/')[-2]
    try:
        w = json.loads(msg.payload)
    except ValueError:
        print(f'# {msg.topic}: not JSON', file=sys.stderr, flush=True)
        return
    stamp = time.strftime('%H:%M:%S')
    if w.get('event') == 'window':
        timeline = ' '.join(label[:3] for label in w['timeline'])
        print(f"{stamp}  {camera:<28} window {w['index']:>3}  {w['start'] / 1e9:6.1f}-"
              f"{w['end'] / 1e9:6.1f} s  {w['dominant']:<10} face {w['face_share'] * 100:3.0f} %  "
              f"{w['closed_by']:<7} {timeline}", flush=True)
    elif a.analyses and w.get('event') == 'analysis':
        an = w['analysis']
        print(f"{stamp}  {camera:<28} analysis {w['index']:>1}: {an['state']}"
              f"{': ' + an['text'] if an.get('text') else ''}", flush=True)


client.on_connect = on_connect
client.on_message = on_message
signal.signal(signal.SIGTERM, lambda *_: client.disconnect())
signal.signal(signal.SIGINT, lambda *_: client.disconnect())
client.connect_async(a.host, a.port, keepalive=30)
client.loop_forever(retry_first_connection=True)
