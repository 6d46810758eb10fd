#!/usr/bin/env python3
"""Summarises the "emo-faces" element messages that `gst-launch-1.0 -m` printed (one per frame,
posted by `emoclassify post-messages=true`): frames, frames with faces, faces per frame and the
emotion labels seen. Used by pipelines/analyze.sh and the pipeline tests.

    summarize-messages.py MESSAGES.txt           human-readable summary
    summarize-messages.py --json MESSAGES.txt    the same as one JSON object, plus per-frame data
"""
import json
import re
import sys
from collections import Counter

# gst-launch prints the nested "face" structures escaped: face\,\ id\=\(int\)0\,\ ...
FACE = re.compile(r'face, id=\(int\)(?P<id>-?\d+), x=\(int\)(?P<x>-?\d+), y=\(int\)(?P<y>-?\d+), '
                  r'width=\(int\)(?P<width>\d+), height=\(int\)(?P<height>\d+), '
                  r'landmarks=\(uint\)(?P<landmarks>\d+)'
                  r'(?:, label=\(string\)"?(?P<label>[^,;"]*)"?, confidence=\(double\)(?P<conf>[-0-9.e]+))?'
                  r'(?:, shot-start=\(boolean\)(?P<shot>true|false))?')
TIMESTAMP = re.compile(r'emo-faces, timestamp=\(guint64\)(\d+)')


def parse(path):
    frames = []
    with open(path, errors='replace') as f:
        for line in f:
            if 'Got message' not in line or 'emo-faces' not in line:
                continue
            ts = TIMESTAMP.search(line)
            faces = []
            for m in FACE.finditer(line.replace('\\', '')):
                face = {k: int(m.group(k)) for k in ('id', 'x', 'y', 'width', 'height', 'landmarks')}
                face['label'] = m.group('label')
                face['confidence'] = float(m.group('conf')) if m.group('conf') else None
                face['shot_start'] = m.group('shot') == 'true'
                faces.append(face)
            frames.append({'timestamp': int(ts.group(1)) if ts else None, 'faces': faces})
    return frames


def summary(frames):
    labels = Counter(face['label'] for fr in frames for face in fr['faces'] if face['label'])
    with_faces = sum(1 for fr in frames if fr['faces'])
    return {'frames': len(frames), 'frames_with_faces': with_faces,
            'max_faces': max((len(fr['faces']) for fr in frames), default=0),
            'faces': sum(len(fr['faces']) for fr in frames), 'labels': dict(labels.most_common())}


def main():
    args = sys.argv[1:]
    as_json = args[:1] == ['--json']
    if as_json:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    frames = parse(args[0])
    s = summary(frames)
    if as_json:
        s['per_frame'] = frames
        json.dump(s, sys.stdout)
        print()
        return
    share = 100.0 * s['frames_with_faces'] / s['frames'] if s['frames'] else 0.0
    print(f"frames: {s['frames']}, with faces: {s['frames_with_faces']} ({share:.0f} %), "
          f"faces: {s['faces']}, at most {s['max_faces']} per frame")
    total = sum(s['labels'].values())
    seen = ', '.join(f'{label} {100.0 * n / total:.0f} %' for label, n in s['labels'].items())
    print(f"emotions (share of face detections): {seen or 'none'}")


if __name__ == '__main__':
    main()
