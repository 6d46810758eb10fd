// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: label names shared by every stage (metadata, JSON, MQTT, sessions, overlay).
#pragma once

namespace emo {

/// The label of a face that gets no emotion: too small, too blurred, turned too far, or scores
/// too flat to trust (see emo/classify/gate.hpp). Its "emotion" structure keeps the scores.
constexpr const char *kUnknownEmotion = "unknown";

}  // namespace emo
