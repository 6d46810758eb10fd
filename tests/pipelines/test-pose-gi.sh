#!/usr/bin/env bash
# The "pose" structure through GObject introspection (GstEmo-1.0, libgstemometa-1.0): written
# with GstEmo.face_meta_set_pose() and read back with GstEmo.Face.get_pose() (out arguments)
# and has_pose(); a face without one reads FALSE and zeros.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 - <<'PY' || fail "pose through GstEmo"
import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstVideo', '1.0')
gi.require_version('GstEmo', '1.0')
from gi.repository import Gst, GstEmo
Gst.init(None)
buf = Gst.Buffer.new_allocate(None, 16, None)
roi = GstEmo.buffer_add_face(buf, 10, 20, 100, 100, 1)
GstEmo.face_meta_set_pose(roi, -12.5, 7.25, 3.0)
GstEmo.buffer_add_face(buf, 200, 20, 50, 50, 2)
faces = GstEmo.buffer_get_faces(buf)
assert len(faces) == 2, faces
assert faces[0].has_pose() and not faces[1].has_pose()
ok, yaw, pitch, roll = faces[0].get_pose()
assert ok and (yaw, pitch, roll) == (-12.5, 7.25, 3.0), (ok, yaw, pitch, roll)
assert faces[1].get_pose() == (False, 0.0, 0.0, 0.0), faces[1].get_pose()
print('pose via GstEmo:', yaw, pitch, roll)
PY
note "ok"
