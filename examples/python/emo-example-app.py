#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""emo-example-app.py: reads gst-emo's faces from Python, without any header or module of ours.

gst-emo attaches only standard metadata: one GstVideoRegionOfInterestMeta per face (roi_type
"face", box in frame pixels) with the parameter structures "landmarks", "emotion" and "tracking"
(layout: the comment at the top of lib/include/emo/gst/face_meta.hpp and the README). This
application reads them with GObject introspection (python3-gst-1.0) in a pad probe, and prints
the same "frame" and "face" lines as the C++ example (examples/cpp/emo-example-app.cpp):

  frame index=I pts=NS faces=N
  face index=I pts=NS id=ID track=T box=X,Y,W,H landmarks=N p0=X,Y label=L confidence=C
  message emo-faces pts=NS faces=N
  session NAME field=value ...
  summary frames=N face-frames=N faces=N emo-faces-messages=N session-messages=N labels=L:N,...
          model-labels=L,...

Iterating the ROI metas of a buffer from Python with GStreamer 1.22: GI exposes no iterator
(gst_buffer_iterate_meta* are not introspectable, and the GstMeta handed to a foreach_meta
callback arrives as None), and Gst.Buffer.get_meta() returns only the first meta, as a plain
Gst.Meta. So the ids of the ROI metas are enumerated with ctypes through the public C function
gst_buffer_iterate_meta_filtered() (the way Intel DL Streamer's Python API walks them), and each
region is then read through GI with GstVideo.buffer_get_video_region_of_interest_meta_id(), which
gives a typed GstVideo.VideoRegionOfInterestMeta with get_param(). gst-emo's ids are unique in a
stream, so the lookup by id is exact.
"""
import argparse
import ctypes
import ctypes.util
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstVideo  # noqa: E402


class _Meta(ctypes.Structure):  # GstMeta (gst/gstmeta.h)
    _fields_ = [("flags", ctypes.c_uint), ("info", ctypes.c_void_p)]


class _RoiMeta(ctypes.Structure):  # the head of GstVideoRegionOfInterestMeta (gst/video)
    _fields_ = [("meta", _Meta), ("roi_type", ctypes.c_uint32), ("id", ctypes.c_int)]


_libgst = ctypes.CDLL(ctypes.util.find_library("gstreamer-1.0") or "libgstreamer-1.0.so.0")
_iterate = _libgst.gst_buffer_iterate_meta_filtered
_iterate.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
_iterate.restype = ctypes.POINTER(_RoiMeta)


def roi_metas(buffer):
    """Every GstVideoRegionOfInterestMeta of `buffer`, in meta order, as GI objects."""
    api = hash(GstVideo.video_region_of_interest_meta_api_get_type())  # after Gst.init()
    state = ctypes.c_void_p()
    ids = []
    # hash() of a GI boxed object is the address of the C structure (here the GstBuffer).
    while True:
        meta = _iterate(hash(buffer), ctypes.byref(state), api)
        if not meta:
            break
        ids.append(meta.contents.id)
    for roi_id in ids:
        roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buffer, roi_id)
        if roi is not None:
            yield roi


def number_list(structure, field):
    """A GstValueArray field as a list of numbers, or None when absent or not numeric."""
    if structure is None or not structure.has_field(field):
        return None
    try:
        values = list(structure.get_value(field))
    except TypeError:
        return None
    return values if all(isinstance(v, (int, float)) for v in values) else None


def read_face(roi):
    """One face as a dict: the same reading as emo::gst::read_faces() in C++."""
    face = {"id": roi.id, "box": (roi.x, roi.y, roi.w, roi.h), "landmarks": [], "label": None,
            "confidence": 0.0, "labels": [], "track": -1}
    lm = roi.get_param("landmarks")
    coords = number_list(lm, "points")
    ok, n = lm.get_uint("n-points") if lm is not None else (False, 0)
    if coords is not None and len(coords) % 2 == 0 and (not ok or 2 * n == len(coords)):
        # Points are in frame pixels of the region they were fitted in ("region"); when an
        # element rescaled the ROI since (videoscale), map them into the current box.
        sx = sy = 1.0
        rx = ry = ox = oy = 0.0
        region = number_list(lm, "region")
        if (region and len(region) == 4 and region[2] > 0 and region[3] > 0 and roi.w > 0
                and roi.h > 0 and tuple(region) != (roi.x, roi.y, roi.w, roi.h)):
            rx, ry = region[0], region[1]
            sx, sy = roi.w / region[2], roi.h / region[3]
            ox, oy = roi.x, roi.y
        face["landmarks"] = [(ox + (coords[i] - rx) * sx, oy + (coords[i + 1] - ry) * sy)
                             for i in range(0, len(coords), 2)]
    emotion = roi.get_param("emotion")
    if emotion is not None:
        label = emotion.get_string("label")
        ok, confidence = emotion.get_double("confidence")
        if label is not None and ok:
            face["label"], face["confidence"] = label, confidence
        if emotion.has_field("labels"):
            face["labels"] = [str(v) for v in emotion.get_value("labels")]
    tracking = roi.get_param("tracking")
    if tracking is not None:
        ok, track = tracking.get_uint64("track-id")
        if ok:
            face["track"] = track
    return face


def read_faces(buffer):
    return [read_face(roi) for roi in roi_metas(buffer)
            if GLib.quark_to_string(roi.roi_type) == "face"]


class App:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()  # the probe runs on the streaming thread
        self.frames = self.face_frames = self.faces = 0
        self.face_messages = self.session_messages = 0
        self.decoded = 0
        self.labels = {}
        self.model_labels = []
        self.failed = False
        self.loop = GLib.MainLoop()
        self.pipeline = None

    def out(self, line):
        with self.lock:
            print(line, flush=True)

    def send_eos(self):
        self.pipeline.send_event(Gst.Event.new_eos())
        return GLib.SOURCE_REMOVE

    def on_sigint(self):
        """Ctrl-C: EOS, so that the sink (e.g. emosession) finishes its work before we quit."""
        print("emo-example-app.py: interrupted, finishing the stream", file=sys.stderr)
        self.send_eos()
        return GLib.SOURCE_CONTINUE

    def limit_frames(self, pad, info):
        index = self.decoded
        self.decoded += 1
        if index < self.args.max_frames:
            return Gst.PadProbeReturn.OK
        if index == self.args.max_frames:
            GLib.idle_add(self.send_eos)  # not from the streaming thread
        return Gst.PadProbeReturn.DROP

    def on_buffer(self, pad, info):
        buffer = info.get_buffer()
        faces = read_faces(buffer)
        with self.lock:
            index = self.frames
            self.frames += 1
            self.faces += len(faces)
            self.face_frames += 1 if faces else 0
            for f in faces:
                if f["label"] is not None:
                    self.labels[f["label"]] = self.labels.get(f["label"], 0) + 1
                if f["labels"] and not self.model_labels:
                    self.model_labels = f["labels"]
        pts = buffer.pts
        self.out(f"frame index={index} pts={pts} faces={len(faces)}")
        for f in faces:
            p0 = "%.2f,%.2f" % f["landmarks"][0] if f["landmarks"] else "-"
            self.out("face index=%d pts=%d id=%d track=%d box=%d,%d,%d,%d landmarks=%d p0=%s "
                     "label=%s confidence=%.4f" % (index, pts, f["id"], f["track"], *f["box"],
                                                   len(f["landmarks"]), p0, f["label"] or "-",
                                                   f["confidence"]))
        return Gst.PadProbeReturn.OK

    def on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            s = msg.get_structure()
            name = s.get_name()
            if name == "emo-faces":
                ok, pts = s.get_uint64("timestamp")
                faces = s.get_value("faces") if s.has_field("faces") else []
                with self.lock:
                    self.face_messages += 1
                self.out(f"message emo-faces pts={pts} faces={len(faces)}")
            elif name.startswith("emo-session-"):
                with self.lock:
                    self.session_messages += 1
                # Every field, serialized ("name, field=(type)value, ...;" minus the name).
                fields = s.to_string()[len(name):].lstrip(",").rstrip(";").strip()
                self.out(f"session {name} {fields}")
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f"emo-example-app.py: error from {msg.src.get_name()}: {err.message}\n{debug}",
                  file=sys.stderr)
            self.failed = True
            self.loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            self.loop.quit()
        return True

    def build(self, uri):
        sink = "fakesink"
        if self.args.session:
            if Gst.ElementFactory.find("emosession") is not None:
                sink = "emosession " + " ".join(self.args.session_property)
            else:
                print("emo-example-app.py: no emosession element; running without a session",
                      file=sys.stderr)
        detect = " ".join(self.args.detect_property)
        try:
            self.pipeline = Gst.parse_launch(
                f"uridecodebin uri=\"{uri}\" ! videoconvert name=convert ! "
                f"emofacedetect {detect} ! "
                f"emolandmarks ! emoclassify post-messages=true ! {sink} name=sink")
        except GLib.Error as e:
            sys.exit(f"emo-example-app.py: {e.message} (is GST_PLUGIN_PATH set to gst-emo's "
                     "plugin?)")
        if self.args.max_frames > 0:
            src = self.pipeline.get_by_name("convert").get_static_pad("src")
            src.add_probe(Gst.PadProbeType.BUFFER, self.limit_frames)
        pad = self.pipeline.get_by_name("sink").get_static_pad("sink")
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_buffer)

    def run(self):
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.on_sigint)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            msg = bus.pop_filtered(Gst.MessageType.ERROR)
            if msg is not None:
                self.on_message(bus, msg)
            self.failed = True
        else:
            self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        bus.remove_signal_watch()
        labels = ",".join(f"{k}:{v}" for k, v in sorted(self.labels.items())) or "-"
        self.out(f"summary frames={self.frames} face-frames={self.face_frames} "
                 f"faces={self.faces} emo-faces-messages={self.face_messages} "
                 f"session-messages={self.session_messages} labels={labels} "
                 f"model-labels={','.join(self.model_labels) or '-'}")
        return 1 if self.failed else 0


def main():
    parser = argparse.ArgumentParser(description="Faces and emotions of a video, from Python.")
    parser.add_argument("input", metavar="FILE|URI")
    parser.add_argument("-n", "--max-frames", type=int, default=0,
                        help="stop after N frames (0: the whole input)")
    parser.add_argument("-d", "--detect-property", action="append", default=[],
                        metavar="KEY=VALUE",
                        help="set a property of emofacedetect, e.g. async-detection=false")
    parser.add_argument("-s", "--session", action="store_true",
                        help="end in the emosession sink when it is installed (else fakesink)")
    parser.add_argument("-p", "--session-property", action="append", default=[],
                        metavar="KEY=VALUE", help="a property of emosession (repeatable)")
    args = parser.parse_args()
    if args.max_frames < 0:
        parser.error("--max-frames must be >= 0")
    Gst.init(None)
    uri = args.input if Gst.uri_is_valid(args.input) else Gst.filename_to_uri(args.input)
    app = App(args)
    app.build(uri)
    return app.run()


if __name__ == "__main__":
    sys.exit(main())
