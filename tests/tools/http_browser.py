#!/usr/bin/python3
"""Loads a page in headless Chromium (Debian's chromium) and drives it over the DevTools
protocol (python3-websocket): waits for JavaScript conditions, prints when each became true,
evaluates expressions and takes a screenshot. Used by tests/tools/test_http.sh and the bench.

  http_browser.py URL [--wait NAME=EXPR]... [--eval NAME=EXPR]... [--screenshot PNG]
                  [--timeout S] [--size WxH] [--stay S]

Prints one JSON object: {"waits": {NAME: seconds after navigation or null}, "evals": {NAME:
value}}. Exit status 1 when a wait timed out.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--remote-debugging-port=0', '--remote-allow-origins=*']


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({'id': self.next_id, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.next_id:
                if 'error' in msg:
                    raise RuntimeError(f'{method}: {msg["error"]}')
                return msg.get('result', {})

    def evaluate(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True)
        if 'exceptionDetails' in r:
            return None
        return r.get('result', {}).get('value')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('url')
    ap.add_argument('--wait', action='append', default=[])
    ap.add_argument('--eval', action='append', default=[])
    ap.add_argument('--screenshot')
    ap.add_argument('--timeout', type=float, default=30)
    ap.add_argument('--size', default='1280x900')
    ap.add_argument('--stay', type=float, default=0, help='seconds on the page after the waits')
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split('x'))
    profile = tempfile.mkdtemp(prefix='emo-chromium-')
    proc = subprocess.Popen(['chromium', *FLAGS, f'--user-data-dir={profile}',
                             f'--window-size={w},{h}', 'about:blank'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.time() + 30
        while time.time() < deadline and port is None:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                sys.exit(f'chromium exited with {proc.returncode}')
            m = re.search(r'DevTools listening on ws://[^:]+:(\d+)/', line)
            if m:
                port = int(m.group(1))
        if port is None:
            sys.exit('chromium did not open its DevTools port')
        targets = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list'))
        page = Page(next(t for t in targets if t['type'] == 'page')['webSocketDebuggerUrl'])
        page.call('Page.enable')
        page.call('Runtime.enable')
        waits = [x.split('=', 1) for x in a.wait]
        evals = [x.split('=', 1) for x in a.eval]
        start = time.time()
        page.call('Page.navigate', url=a.url)
        done = {}
        while len(done) < len(waits) and time.time() - start < a.timeout:
            for name, expr in waits:
                if name not in done and page.evaluate(f'!!({expr})'):
                    done[name] = round(time.time() - start, 3)
            time.sleep(0.05)
        if a.stay:
            time.sleep(a.stay)
        out = {'waits': {n: done.get(n) for n, _ in waits},
               'evals': {n: page.evaluate(e) for n, e in evals}}
        if a.screenshot:
            shot = page.call('Page.captureScreenshot', format='png')
            with open(a.screenshot, 'wb') as f:
                f.write(base64.b64decode(shot['data']))
        print(json.dumps(out))
        return 0 if len(done) == len(waits) else 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
