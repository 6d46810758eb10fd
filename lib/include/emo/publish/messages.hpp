// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the JSON messages gst-emo publishes (emometapublish's frames, emosession's windows
// and analyses over MQTT; emo-analyze's Server-Sent Events), built in one place so that every
// channel carries the same objects with the same schema version.
//
// Frame message (one per frame; emometapublish writes it to a file or MQTT):
//   {"version":1,"frame":N,"pts":ns,"duration":ns,"running-time":ns,"stream-time":ns,
//    "width":px,"height":px,"faces":[{"id":..,"track-id":..,"detected":bool,
//    "shot-start":true (only when set),"box":{"x","y","width","height"} (frame pixels),
//    "landmarks":[[x,y],...] (frame pixels, rounded to 1/64 px; left out without landmarks),
//    "emotion":{"label","class-id","confidence","scores":{label: score}} (rounded to 1e-4)}]}
//   Times in nanoseconds, null when the buffer has none.
// Window messages: the session record (emo/session/session.hpp, record_to_json()) with
//   "version" and "event" ("window" when it closes, "analysis" when its analysis is final).
#pragma once

#include <gst/gst.h>

#include <string>

namespace emo::publish {

/// Version of every published message (the "version" member); raised when a member changes
/// meaning or goes away; new members may appear without a new version.
constexpr int kSchemaVersion = 1;

/// What a frame message needs besides the buffer.
struct FrameInfo {
  guint64 frame = 0;                    ///< buffers counted from 0 by the publisher
  const GstSegment *segment = nullptr;  ///< for running-time and stream-time; may be null
  int width = 0, height = 0;            ///< frame size from the caps, pixels
  bool include_landmarks = true;
};

/// The frame message of `buffer`'s faces (emo::gst::read_faces()), compact JSON, no newline.
/// Throws what read_faces() throws (std::exception).
std::string frame_json(GstBuffer *buffer, const FrameInfo &info, std::size_t *n_faces = nullptr);

/// `object_json` (a JSON object) with "version" set to kSchemaVersion and "event" to `event`
/// (left out when null), compact JSON.
/// Returns "" when `object_json` is not a JSON object.
std::string with_event(const std::string &object_json, const char *event);

}  // namespace emo::publish
