// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze --http: the rules of the web API that need no server (request validation, access
// check, event thinning, Server-Sent Events framing), kept apart so that GoogleTest checks them
// (tests/tools/test_http_rules.cpp). See docs/web.md for the API they implement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace emo_analyze::http {

/// Largest request body accepted (POST /api/sources), bytes; larger: 413.
constexpr std::size_t kMaxBody = 4096;

/// An HTTP status and a one-line reason for the client (never echoes a secret).
struct Verdict {
  int status = 200;
  std::string reason;
  bool ok() const { return status < 400; }
};

/// Is `uri` a source the API may add: rtsp://, rtsps://, rtspt:// (with a host), file:// (an
/// absolute path) or v4l2:// (a /dev path)? Anything else (http://, a bare path, shell text,
/// control characters): 400 with the reason.
Verdict check_source_uri(const std::string &uri);

/// Parses the body of POST /api/sources: a JSON object {"uri": "<source>"} (other members are
/// refused so that a typo does not pass silently), at most kMaxBody bytes. On success `uri`
/// holds the source. 413 for a body too large, 400 for malformed JSON, a missing or non-string
/// "uri", unknown members, or a URI check_source_uri() refuses.
Verdict parse_add_request(const char *body, std::size_t length, std::string &uri);

/// A source name as the API accepts it in a path (what emo_analyze::source_name() produces:
/// letters, digits, '.', '_', '-'; 1 to 128 characters, not "." or "..").
bool valid_source_name(const std::string &name);

/// Route of a request path under /api/sources: kind and the source name it names.
struct Route {
  enum Kind { None, Sources, Source, Video } kind = None;
  std::string name;
};
/// "/api/sources" -> Sources; "/api/sources/NAME" -> Source; "/api/sources/NAME/video.mjpeg"
/// -> Video; anything else (or an invalid name) -> None.
Route route_of(const std::string &path);

/// Access check. `token` empty: open. Otherwise the request passes with an Authorization
/// header "Bearer <token>" or a Cookie header carrying `cookie_name`=`cookie_value` (the
/// random value a login sets; never the token itself). Comparisons take the same time whatever
/// the first differing byte.
bool authorized(const std::string &token, const char *authorization, const char *cookie_header,
                const std::string &cookie_name, const std::string &cookie_value);
/// Constant-time string comparison.
bool same_secret(const std::string &a, const std::string &b);

/// Thinning of frame events: frames with faces at most `rate` per second (the first one at
/// once, then the first frame of each 1/rate slot), and the first frame without faces after frames
/// with faces (so that a page clears its "faces now"); other frames without faces are not sent (as
/// over MQTT). `rate` <= 0 sends every frame with faces.
class Thinner {
 public:
  explicit Thinner(double rate) : rate_(rate) {}
  /// `now_us`: a monotonic time in microseconds; `faces`: faces in the frame.
  bool due(std::int64_t now_us, std::size_t faces);

 private:
  double rate_;
  std::int64_t next_us_ = 0;  // the next slot
  bool sent_any_ = false, had_faces_ = false;
};

/// One Server-Sent Event: "event: TYPE\ndata: DATA\n\n". `data` must be one line (compact
/// JSON); any CR or LF in it is replaced by a space so that it cannot end the event early.
std::string sse_event(const std::string &type, const std::string &data);

/// The event form of a published message (compact JSON object `json`): the same object with
/// "source" (the source's name) and, when `entry_ms` >= 0, "entry-time" (UNIX milliseconds at
/// which the frame entered the analysis) added, by json-glib. "" when `json` is not an object.
std::string with_source(const std::string &json, const std::string &source,
                        std::int64_t entry_ms = -1);

}  // namespace emo_analyze::http
