#!/usr/bin/python3
# MQTT subscriber of the tests (Debian python3-paho-mqtt): subscribes to TOPIC at QoS 1 and
# appends every message it receives to OUT as one JSON line {"topic", "payload", "t"} (t: the
# receive time, time.time_ns()), flushed at once. Reconnects by itself (0.1-0.5 s) when the broker
# goes away. With --persistent it keeps a persistent session (clean_session=False, fixed client
# id), so a broker with persistence keeps its subscription and queues messages while it is away.
# Touches READY once the subscription is acknowledged. Runs until SIGTERM or SIGINT.
# The password (with --username) comes from the environment variable named by --password-env.
import argparse
import json
import os
import signal
import sys
import time

import paho.mqtt.client as mqtt

p = argparse.ArgumentParser()
p.add_argument('--host', default='127.0.0.1')
p.add_argument('--port', type=int, required=True)
p.add_argument('--topic', required=True)
p.add_argument('--out', required=True)
p.add_argument('--ready', required=True)
p.add_argument('--client-id', default='emo-test-subscriber')
p.add_argument('--persistent', action='store_true')
p.add_argument('--cafile')
p.add_argument('--username')
p.add_argument('--password-env', default='EMO_MQTT_SUB_PASSWORD')
a = p.parse_args()

out = open(a.out, 'a', buffering=1)
client = mqtt.Client(client_id=a.client_id, clean_session=not a.persistent)
if a.cafile:
    client.tls_set(ca_certs=a.cafile)
if a.username:
    client.username_pw_set(a.username, os.environ.get(a.password_env))
client.reconnect_delay_set(min_delay=0.1, max_delay=0.5)


def on_connect(c, userdata, flags, rc):
    if rc == 0:
        c.subscribe(a.topic, qos=1)
    else:
        print(f'mqtt_collect: connection refused: {mqtt.connack_string(rc)}', file=sys.stderr)


def on_subscribe(c, userdata, mid, granted):
    open(a.ready, 'w').close()


def on_message(c, userdata, msg):
    out.write(json.dumps({'topic': msg.topic, 'payload': msg.payload.decode('utf-8', 'replace'),
                          't': time.time_ns()}) + '\n')


client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message


def stop(*_):
    client.disconnect()


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
while True:
    try:
        client.connect(a.host, a.port, keepalive=5)
        break
    except OSError:
        time.sleep(0.1)
client.loop_forever(retry_first_connection=True)
