// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze --http's rules without a server (tools/http/http_rules.hpp) and the published
// messages they wrap (emo/publish/messages.hpp): request validation, routes, the access check,
// event thinning, Server-Sent Events framing.
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include <string>

#include "emo/gst/face_meta.hpp"
#include "emo/publish/messages.hpp"
#include "http_rules.hpp"

using namespace emo_analyze::http;

namespace {

Verdict add(const std::string &body, std::string *uri_out = nullptr) {
  std::string uri;
  const Verdict v = parse_add_request(body.data(), body.size(), uri);
  if (uri_out) *uri_out = uri;
  return v;
}

JsonObject *parse(JsonParser *parser, const std::string &json) {
  if (!json_parser_load_from_data(parser, json.c_str(), -1, nullptr)) return nullptr;
  return json_node_get_object(json_parser_get_root(parser));
}

}  // namespace

TEST(HttpRules, AcceptsRtspFileAndV4l2Sources) {
  std::string uri;
  EXPECT_TRUE(add(R"({"uri": "rtsp://cam.local:8554/stream"})", &uri).ok());
  EXPECT_EQ(uri, "rtsp://cam.local:8554/stream");
  EXPECT_TRUE(add(R"({"uri": "rtsps://user:secret@10.0.0.2/live"})").ok());
  EXPECT_TRUE(add(R"({"uri": "file:///srv/clips/a%20b.mp4"})").ok());
  EXPECT_TRUE(add(R"({"uri": "v4l2:///dev/video0"})").ok());
}

TEST(HttpRules, RefusesOtherUrisWith400) {
  for (const char *body :
       {R"({"uri": "http://cam/stream"})", R"({"uri": "/tmp/clip.mp4"})",
        R"({"uri": "file://otherhost/clip.mp4"})", R"({"uri": "v4l2:///etc/passwd"})",
        R"({"uri": "v4l2:///dev/../etc/passwd"})", R"({"uri": "rtsp:///nohost"})", R"({"uri": ""})",
        R"({"uri": "rtsp://cam/\n! filesrc"})", R"({"uri": "javascript:x"})"}) {
    const Verdict v = add(body);
    EXPECT_EQ(v.status, 400) << body;
    EXPECT_FALSE(v.reason.empty()) << body;
  }
}

TEST(HttpRules, RefusesMalformedJsonAndWrongShapes) {
  for (const char *body :
       {"{", "not json", "[]", R"("rtsp://x/y")", R"({"uri": 5})", R"({"url": "rtsp://x/y"})",
        R"({"uri": "rtsp://x/y", "name": "a"})", R"({})", ""}) {
    const Verdict v = add(body);
    EXPECT_EQ(v.status, 400) << body;
  }
  EXPECT_NE(add("{").reason.find("malformed JSON"), std::string::npos);
}

TEST(HttpRules, RefusesABodyOverTheLimitWith413) {
  const std::string big = R"({"uri": "rtsp://x/)" + std::string(kMaxBody, 'a') + "\"}";
  EXPECT_EQ(add(big).status, 413);
  // Exactly at the limit is read (and judged on its content).
  std::string at = R"({"uri": "rtsp://x/)";
  at += std::string(kMaxBody - at.size() - 2, 'a') + "\"}";
  ASSERT_EQ(at.size(), kMaxBody);
  EXPECT_EQ(add(at).status, 400);  // a URI longer than 2048 characters
}

TEST(HttpRules, Routes) {
  EXPECT_EQ(route_of("/api/sources").kind, Route::Sources);
  Route r = route_of("/api/sources/127.0.0.1-8554-stream");
  EXPECT_EQ(r.kind, Route::Source);
  EXPECT_EQ(r.name, "127.0.0.1-8554-stream");
  r = route_of("/api/sources/cam_1/video.mjpeg");
  EXPECT_EQ(r.kind, Route::Video);
  EXPECT_EQ(r.name, "cam_1");
  for (const char *p :
       {"/api/sources/", "/api/sources/../x", "/api/sources/a/b", "/api/sources/a b",
        "/api/sourcesx", "/api/sources/video.mjpeg/x", "/api/sources/%2e%2e"})
    EXPECT_EQ(route_of(p).kind, Route::None) << p;
}

TEST(HttpRules, TokenByBearerOrLoginCookie) {
  const std::string token = "s3cret-token", cookie = "c00kie-value";
  EXPECT_TRUE(authorized("", nullptr, nullptr, "emo_session", cookie));  // open
  EXPECT_FALSE(authorized(token, nullptr, nullptr, "emo_session", cookie));
  EXPECT_TRUE(authorized(token, "Bearer s3cret-token", nullptr, "emo_session", cookie));
  EXPECT_TRUE(authorized(token, "bearer s3cret-token", nullptr, "emo_session", cookie));
  EXPECT_FALSE(authorized(token, "Bearer s3cret-toke", nullptr, "emo_session", cookie));
  EXPECT_FALSE(authorized(token, "Bearer s3cret-token2", nullptr, "emo_session", cookie));
  EXPECT_FALSE(authorized(token, "Basic s3cret-token", nullptr, "emo_session", cookie));
  EXPECT_TRUE(authorized(token, nullptr, "a=b; emo_session=c00kie-value", "emo_session", cookie));
  EXPECT_FALSE(authorized(token, nullptr, "emo_session=s3cret-token", "emo_session", cookie));
  EXPECT_FALSE(authorized(token, nullptr, "other=c00kie-value", "emo_session", cookie));
  EXPECT_FALSE(authorized(token, nullptr, "emo_session=", "emo_session", cookie));
  EXPECT_TRUE(same_secret("abc", "abc"));
  EXPECT_FALSE(same_secret("abc", "abd"));
  EXPECT_FALSE(same_secret("abc", "ab"));
  EXPECT_FALSE(same_secret("ab", "abc"));
}

TEST(HttpRules, ThinsFramesWithFacesToTheRateAndSendsTheFirstEmptyOne) {
  Thinner t(4.0);             // at most one frame with faces per 250 ms
  EXPECT_FALSE(t.due(0, 0));  // no faces yet: nothing to say
  EXPECT_TRUE(t.due(1000, 1));
  EXPECT_FALSE(t.due(101000, 1));
  EXPECT_FALSE(t.due(250999, 2));
  EXPECT_TRUE(t.due(251000, 2));
  EXPECT_TRUE(t.due(260000, 0));   // the faces went away: said at once
  EXPECT_FALSE(t.due(300000, 0));  // and only once
  EXPECT_TRUE(t.due(600000, 1));
  Thinner steady(4.0);
  int sent = 0;  // 25 fps with faces for 10 s: 4 per second, not 25 / ceil(25 / 4)
  for (int i = 0; i < 250; ++i) sent += steady.due(i * 40000, 1) ? 1 : 0;
  EXPECT_EQ(sent, 40);
  Thinner all(0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(all.due(i, 1));
}

TEST(HttpRules, ServerSentEventFraming) {
  EXPECT_EQ(sse_event("frame", R"({"a":1})"), "event: frame\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sse_event("x", "a\nb\rc"), "event: x\ndata: a b c\n\n");
}

TEST(HttpRules, EventsAreThePublishedMessagesWithTheirSource) {
  const std::string window = R"({"session":"s","index":3,"analysis":{"state":"ok"}})";
  const std::string published = emo::publish::with_event(window, "analysis");
  const std::string event = with_source(published, "cam-1", 1700000000123);
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = parse(parser, event);
  ASSERT_NE(o, nullptr) << event;
  EXPECT_EQ(json_object_get_int_member(o, "version"), emo::publish::kSchemaVersion);
  EXPECT_STREQ(json_object_get_string_member(o, "event"), "analysis");
  EXPECT_STREQ(json_object_get_string_member(o, "source"), "cam-1");
  EXPECT_EQ(json_object_get_int_member(o, "entry-time"), 1700000000123);
  EXPECT_EQ(json_object_get_int_member(o, "index"), 3);
  EXPECT_EQ(with_source("[1]", "x"), "");
  EXPECT_EQ(emo::publish::with_event("nope", "window"), "");
}

TEST(PublishMessages, FrameMessageOfABufferWithAFace) {
  gst_init(nullptr, nullptr);
  GstBuffer *buf = gst_buffer_new_allocate(nullptr, 64 * 48 * 3 / 2, nullptr);
  GST_BUFFER_PTS(buf) = 2 * GST_SECOND;
  GST_BUFFER_DURATION(buf) = 40 * GST_MSECOND;
  emo::gst::add_face(buf, emo::Box{10, 12, 20, 22}, 7);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.base = GST_SECOND;
  emo::publish::FrameInfo info;
  info.frame = 41;
  info.segment = &segment;
  info.width = 64;
  info.height = 48;
  std::size_t n = 0;
  const std::string json = emo::publish::frame_json(buf, info, &n);
  gst_buffer_unref(buf);
  EXPECT_EQ(n, 1u);
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o = parse(parser, json);
  ASSERT_NE(o, nullptr) << json;
  EXPECT_EQ(json_object_get_int_member(o, "version"), 1);
  EXPECT_EQ(json_object_get_int_member(o, "frame"), 41);
  EXPECT_EQ(json_object_get_int_member(o, "pts"), 2000000000);
  EXPECT_EQ(json_object_get_int_member(o, "running-time"), 3000000000);
  EXPECT_EQ(json_object_get_int_member(o, "width"), 64);
  JsonArray *faces = json_object_get_array_member(o, "faces");
  ASSERT_EQ(json_array_get_length(faces), 1u);
  JsonObject *box = json_object_get_object_member(json_array_get_object_element(faces, 0), "box");
  EXPECT_EQ(json_object_get_int_member(box, "x"), 10);
  EXPECT_EQ(json_object_get_int_member(box, "height"), 22);
  EXPECT_EQ(json.find('\n'), std::string::npos);  // one line: one SSE data field
}
