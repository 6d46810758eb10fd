#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""emo-example-app.py: reads gst-emo's faces from Python through GObject introspection only.

gst-emo attaches standard metadata: one GstVideoRegionOfInterestMeta per face (roi_type "face",
box in frame pixels) with the parameter structures "landmarks", "emotion", "tracking" (and
"detection", "object_id"; layout: lib/include/gst/emo/face-meta.h). Its shared C library
libgstemometa-1.0 reads them, with GObject introspection annotations: `GstEmo-1.0` (installed
GstEmo-1.0.typelib; from a build tree GI_TYPELIB_PATH=build/lib LD_LIBRARY_PATH=build/lib).
GstEmo.buffer_get_faces() returns every face of a buffer as a GstEmo.Face snapshot, including
the structures a scaling element removed from the region meta (kept by gst-emo's companion
meta). This application reads them in a pad probe and prints the same "frame" and "face" lines
as the C++ example (examples/cpp/emo-example-app.cpp):

  frame index=I pts=NS faces=N
  face index=I pts=NS id=ID track=T box=X,Y,W,H landmarks=N p0=X,Y label=L confidence=C
  message emo-faces pts=NS faces=N
  session NAME field=value ...
  summary frames=N face-frames=N faces=N emo-faces-messages=N session-messages=N labels=L:N,...
          model-labels=L,...
"""
import argparse
import signal
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstEmo", "1.0")
from gi.repository import GLib, Gst, GstEmo  # noqa: E402


def read_face(face):
    """One GstEmo.Face as a dict: the same reading as emo::gst::read_faces() in C++."""
    coords = list(face.get_landmarks())
    label = face.get_emotion_label() if face.has_emotion() else None
    return {"id": face.get_id(), "box": tuple(face.get_box()),
            "landmarks": list(zip(coords[0::2], coords[1::2])),
            "label": label,
            "confidence": face.get_emotion_confidence() if label is not None else 0.0,
            "labels": list(face.get_emotion_labels()), "track": face.get_track_id()}


def read_faces(buffer):
    return [read_face(f) for f in GstEmo.buffer_get_faces(buffer)]


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
                                                   len(f["landmarks"]), p0,
                                                   "-" if f["label"] is None else f["label"],
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
