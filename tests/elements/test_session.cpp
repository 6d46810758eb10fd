// SPDX-License-Identifier: LGPL-2.1-or-later
// emosession: windows from face metadata in running time, bus messages, the JSON Lines file,
// offline mode, a server that never answers (EOS timeout, stop), settings errors, the API key,
// and the Gemini test server (tests/support): replies, requests, an invalid key.
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "element_test_util.hpp"
#include "gemini_test_server.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/session/session.hpp"

namespace {

using namespace emo_test;
constexpr GstClockTime kFrame = GST_SECOND / 25;

struct Face {
  const char *label;
  int size;  // box side in pixels
};

/* An emosession element with its own bus inside a harness; properties set before it starts. */
class SessionHarness {
 public:
  explicit SessionHarness(const std::vector<std::pair<const char *, std::string>> &props) {
    element_.reset(gst_element_factory_make("emosession", nullptr));
    EXPECT_TRUE(element_) << "no emosession element";
    gst_object_ref_sink(element_.get());
    bus_.reset(gst_bus_new());
    gst_element_set_bus(element_.get(), bus_.get());
    /* No preroll wait: gst_harness_play() expects a synchronous state change. */
    g_object_set(element_.get(), "sync", FALSE, "async", FALSE, nullptr);
    for (const auto &[name, value] : props)
      gst_util_set_object_arg(G_OBJECT(element_.get()), name, value.c_str());
    h_.reset(gst_harness_new_with_element(element_.get(), "sink", nullptr));
    gst_harness_set_src_caps_str(h_.get(),
                                 "video/x-raw,format=GRAY8,width=320,height=240,framerate=25/1");
  }

  /* Pushes 25 fps frames over [from, to) carrying `faces` (classified, no track). */
  void push(GstClockTime from, GstClockTime to, const std::vector<Face> &faces) {
    for (GstClockTime t = from; t < to; t += kFrame) {
      GstBuffer *buf = gst_buffer_new_allocate(nullptr, 320 * 240, nullptr);
      GST_BUFFER_PTS(buf) = GST_BUFFER_DTS(buf) = t;
      GST_BUFFER_DURATION(buf) = kFrame;
      int id = 0;
      for (const Face &f : faces) {
        GstVideoRegionOfInterestMeta *meta =
            emo::gst::add_face(buf, emo::Box(10 + 100 * id, 10, f.size, f.size), id);
        emo::Prediction p;
        p.label = f.label;
        p.class_id = 0;
        p.confidence = 0.8f;
        p.scores = {0.8f, 0.2f};
        emo::gst::set_emotion(meta, p, {f.label, "other"});
        ++id;
      }
      ASSERT_EQ(gst_harness_push(h_.get(), buf), GST_FLOW_OK);
    }
  }

  void push_event(GstEvent *event) { ASSERT_TRUE(gst_harness_push_event(h_.get(), event)); }

  /* Sends EOS and returns the structures of the element messages posted before EOS. */
  std::vector<GstStructure *> finish() {
    push_event(gst_event_new_eos());
    return messages_until(GST_MESSAGE_EOS);
  }

  std::vector<GstStructure *> messages_until(GstMessageType last) {
    std::vector<GstStructure *> out;
    for (;;) {
      MessagePtr msg(gst_bus_timed_pop_filtered(
          bus_.get(), 20 * GST_SECOND,
          static_cast<GstMessageType>(GST_MESSAGE_ELEMENT | GST_MESSAGE_ERROR | last)));
      if (!msg) {
        ADD_FAILURE() << "no " << gst_message_type_get_name(last) << " message";
        break;
      }
      if (GST_MESSAGE_TYPE(msg.get()) == last) break;
      if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
        ADD_FAILURE() << "error message";
        break;
      }
      out.push_back(gst_structure_copy(gst_message_get_structure(msg.get())));
    }
    owned_.insert(owned_.end(), out.begin(), out.end());
    return out;
  }

  /* The next message of one of `types`, or nullptr after `timeout`. */
  MessagePtr pop(GstMessageType types, GstClockTime timeout = 20 * GST_SECOND) {
    return MessagePtr(gst_bus_timed_pop_filtered(bus_.get(), timeout, types));
  }

  void stop() { h_.reset(); }
  /* Sets or reads a property while the element runs. */
  void set(const char *name, const std::string &value) {
    g_object_set(element_.get(), name, value.c_str(), nullptr);
  }
  void get(const char *name, gchar **value) { g_object_get(element_.get(), name, value, nullptr); }
  ~SessionHarness() {
    h_.reset();
    for (GstStructure *s : owned_) gst_structure_free(s);
  }

 private:
  ElementPtr element_;
  BusPtr bus_;
  HarnessPtr h_;
  std::vector<GstStructure *> owned_;
};

std::vector<GstStructure *> named(const std::vector<GstStructure *> &all, const char *name) {
  std::vector<GstStructure *> out;
  for (GstStructure *s : all)
    if (gst_structure_has_name(s, name)) out.push_back(s);
  return out;
}

std::string field(const GstStructure *s, const char *name) {
  const gchar *v = gst_structure_get_string(s, name);
  return v ? v : "";
}

std::vector<std::string> timeline_of(const GstStructure *s) {
  std::vector<std::string> out;
  const GValue *array = gst_structure_get_value(s, "timeline");
  for (guint i = 0; array && i < gst_value_array_get_size(array); ++i)
    out.push_back(g_value_get_string(gst_value_array_get_value(array, i)));
  return out;
}

std::vector<emo::WindowRecord> read_records(const std::string &path) {
  std::vector<emo::WindowRecord> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::string error;
    std::optional<emo::WindowRecord> r = emo::record_from_json(line, &error);
    EXPECT_TRUE(r) << error << ": " << line;
    if (r) out.push_back(*r);
  }
  return out;
}

std::string fresh_path(const char *name) {
  const std::string path = temp_dir() + "/" + name;
  g_remove(path.c_str());
  return path;
}

using Strings = std::vector<std::string>;

TEST(Session, OfflineWindowsAreSampledPostedAndWritten) {
  g_unsetenv("GEMINI_API_KEY");
  const std::string path = fresh_path("offline.jsonl");
  SessionHarness s({{"window", "2"},
                    {"sample-interval", "0.5"},
                    {"min-window", "1"},
                    {"context", "my exams"},
                    {"language", "en"},
                    {"location", path}});
  // The largest face is the primary one: happiness (80 px) over sadness (40 px).
  s.push(0, 2 * GST_SECOND, {{"sadness", 40}, {"happiness", 80}});
  s.push(2 * GST_SECOND, 3 * GST_SECOND, {});
  s.push(3 * GST_SECOND, 4 * GST_SECOND, {{"surprise", 60}});
  s.push(4 * GST_SECOND, 5600 * GST_MSECOND, {{"sadness", 60}});
  const std::vector<GstStructure *> all = s.finish();

  const std::vector<GstStructure *> windows = named(all, "emo-session-window");
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(timeline_of(windows[0]), Strings(4, "happiness"));
  EXPECT_EQ(timeline_of(windows[1]), (Strings{"none", "none", "surprise", "surprise"}));
  EXPECT_EQ(timeline_of(windows[2]), Strings(4, "sadness"));
  EXPECT_EQ(field(windows[1], "dominant"), "surprise");
  EXPECT_EQ(field(windows[2], "closed-by"), "eos");
  EXPECT_EQ(field(windows[0], "context"), "my exams");
  guint64 start = 0, end = 0;
  ASSERT_TRUE(gst_structure_get_uint64(windows[2], "start", &start));
  ASSERT_TRUE(gst_structure_get_uint64(windows[2], "end", &end));
  EXPECT_EQ(start, 4 * GST_SECOND);
  EXPECT_EQ(end, 5600 * GST_MSECOND);  // the end of the last frame
  gdouble share = 0;
  ASSERT_TRUE(gst_structure_get_double(windows[1], "face-share", &share));
  EXPECT_DOUBLE_EQ(share, 0.5);

  const std::vector<GstStructure *> analyses = named(all, "emo-session-analysis");
  ASSERT_EQ(analyses.size(), 3u);
  for (GstStructure *a : analyses) {
    EXPECT_EQ(field(a, "state"), "skipped");
    EXPECT_NE(field(a, "detail").find("no API key"), std::string::npos);
  }

  // Written before EOS went on: one whole line per window, in order.
  const std::vector<emo::WindowRecord> records = read_records(path);
  ASSERT_EQ(records.size(), 3u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].window.index, i);
    EXPECT_EQ(records[i].analysis.state, "skipped");
    EXPECT_EQ(records[i].context, "my exams");
    EXPECT_NE(records[i].prompt.user_text.find("my exams"), std::string::npos);
  }
  EXPECT_EQ(records[1].window.timeline, timeline_of(windows[1]));
  EXPECT_NE(records[0].prompt.user_text.find("happiness, happiness, happiness, happiness"),
            std::string::npos);
  // Each window message carries its record as published ("json", analysis still pending).
  for (size_t i = 0; i < windows.size(); ++i) {
    std::string error;
    const std::optional<emo::WindowRecord> r =
        emo::record_from_json(field(windows[i], "json"), &error);
    ASSERT_TRUE(r) << error;
    EXPECT_EQ(r->window.index, i);
    EXPECT_EQ(r->window.timeline, timeline_of(windows[i]));
    EXPECT_EQ(r->analysis.state, "pending");
  }
}

// A 1 MiB context set while playing is cut to the documented limit at a character boundary
// (with a warning), and each window's line stores it once (not again inside the prompt).
TEST(Session, ALongContextIsCutAndStoredOnce) {
  g_unsetenv("GEMINI_API_KEY");
  const std::string path = fresh_path("long-context.jsonl");
  SessionHarness s({{"window", "2"}, {"min-window", "1"}, {"location", path}});
  // "é" (2 bytes) straddles the limit: the cut falls before it.
  std::string context(emo::kMaxContextBytes - 1, 'a');
  context += "\u00e9";
  context += std::string(1 << 20, 'b');
  s.push(0, GST_SECOND, {{"happiness", 60}});
  s.set("context", context);
  MessagePtr warning = s.pop(GST_MESSAGE_WARNING, GST_SECOND);
  ASSERT_TRUE(warning);
  gchar *kept = nullptr;
  s.get("context", &kept);
  ASSERT_TRUE(kept);
  EXPECT_EQ(std::string(kept), std::string(emo::kMaxContextBytes - 1, 'a'));
  g_free(kept);
  s.push(GST_SECOND, 4 * GST_SECOND, {{"happiness", 60}});
  s.finish();
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  const std::vector<emo::WindowRecord> records = read_records(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].context, std::string(emo::kMaxContextBytes - 1, 'a'));
  EXPECT_NE(records[0].prompt.user_text.find(records[0].context), std::string::npos);
  EXPECT_LT(lines[0].size(), emo::kMaxContextBytes + 8192) << "the context once per line";
}

TEST(Session, GapsFlushesAndShortWindows) {
  g_unsetenv("GEMINI_API_KEY");
  SessionHarness s({{"window", "10"}, {"min-window", "2"}});
  s.push(0, 3 * GST_SECOND, {{"anger", 50}});
  s.push(8 * GST_SECOND, 12 * GST_SECOND, {{"neutral", 50}});  // 5 s without data: a gap
  s.push_event(gst_event_new_flush_start());
  s.push_event(gst_event_new_flush_stop(TRUE));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  s.push_event(gst_event_new_segment(&segment));
  s.push(0, GST_SECOND, {{"fear", 50}});  // 1 s < min-window: dropped at EOS
  const std::vector<GstStructure *> windows = named(s.finish(), "emo-session-window");
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(field(windows[0], "closed-by"), "gap");
  EXPECT_EQ(timeline_of(windows[0]), Strings(3, "anger"));
  EXPECT_EQ(field(windows[1], "closed-by"), "flush");
  EXPECT_EQ(timeline_of(windows[1]), Strings(4, "neutral"));
}

/* A TCP port on 127.0.0.1 that accepts connections (kernel backlog) but never answers. */
class SilentServer {
 public:
  SilentServer() {
    socket_ =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
    GInetAddress *loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *address = g_inet_socket_address_new(loopback, 0);
    EXPECT_TRUE(g_socket_bind(socket_, address, TRUE, nullptr));
    EXPECT_TRUE(g_socket_listen(socket_, nullptr));
    g_object_unref(address);
    g_object_unref(loopback);
    GSocketAddress *local = g_socket_get_local_address(socket_, nullptr);
    port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
    g_object_unref(local);
  }
  ~SilentServer() { g_object_unref(socket_); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  GSocket *socket_ = nullptr;
  guint16 port_ = 0;
};

TEST(Session, WindowsWithoutAReplyByTheEosTimeoutAreWrittenAsPending) {
  SilentServer server;
  const std::string path = fresh_path("pending.jsonl");
  const std::string key = "test-key-never-shown-0123456789";
  SessionHarness s({{"window", "2"},
                    {"min-window", "1"},
                    {"api-key", key},
                    {"endpoint", server.endpoint()},
                    {"timeout", "30"},
                    {"eos-timeout", "0.5"},
                    {"location", path}});
  s.push(0, 4 * GST_SECOND + kFrame, {{"happiness", 50}});  // window 0 closes at 4 s
  const gint64 before = g_get_monotonic_time();
  const std::vector<GstStructure *> all = s.finish();
  EXPECT_LT(g_get_monotonic_time() - before, 15 * G_USEC_PER_SEC);  // not the 30 s timeout
  ASSERT_EQ(named(all, "emo-session-window").size(), 2u);
  const std::vector<GstStructure *> analyses = named(all, "emo-session-analysis");
  ASSERT_EQ(analyses.size(), 2u);
  for (GstStructure *a : analyses) {
    EXPECT_EQ(field(a, "state"), "pending");
    EXPECT_NE(field(a, "detail").find("eos-timeout"), std::string::npos);
    gchar *text = gst_structure_to_string(a);
    EXPECT_EQ(std::string(text).find(key), std::string::npos);
    g_free(text);
  }
  s.stop();  // the late replies (cancelled) must not add lines
  const std::vector<emo::WindowRecord> records = read_records(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].analysis.state, "pending");
  EXPECT_TRUE(records[0].analysis.retryable());
  std::ifstream in(path);
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content.find(key), std::string::npos);
}

/* Polls until `path` has `n` lines or 10 s have passed; returns the lines it has. */
std::size_t wait_lines(const std::string &path, std::size_t n) {
  std::size_t lines = 0;
  for (int i = 0; i < 200 && lines < n; ++i) {
    if (i) g_usleep(50000);
    std::ifstream in(path);
    lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
  }
  return lines;
}

/* Until its reply comes, the window waits in the journal (what a SIGKILL would leave); a stop
 * writes it as pending and removes the journal. */
TEST(Session, StoppingBeforeTheReplyWritesThePendingWindowAndDropsTheJournal) {
  SilentServer server;
  const std::string path = fresh_path("stopped.jsonl");
  const std::string journal = emo::PendingJournal::path_for(path);
  {
    SessionHarness s({{"window", "2"},
                      {"min-window", "1"},
                      {"api-key", "k"},
                      {"endpoint", server.endpoint()},
                      {"location", path}});
    s.push(0, 2 * GST_SECOND + kFrame, {{"sadness", 50}});
    s.messages_until(GST_MESSAGE_ELEMENT);  // the window message
    ASSERT_EQ(wait_lines(journal, 1), 1u) << "the window is not journalled";
    EXPECT_EQ(wait_lines(path, 0), 0u);
    EXPECT_THROW(emo::PendingJournal(path).add({}), std::runtime_error) << "journal not locked";
    EXPECT_TRUE(emo::recover_pending_journal(path, false).empty()) << "a live journal was read";
  }
  EXPECT_FALSE(g_file_test(journal.c_str(), G_FILE_TEST_EXISTS)) << "journal left after a stop";
  const std::vector<emo::WindowRecord> records = read_records(path);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].analysis.state, "pending");
  EXPECT_NE(records[0].analysis.detail.find("stopped"), std::string::npos);
}

TEST(Session, TheJournalOfAKilledRunIsMovedIntoTheFileAtStart) {
  g_unsetenv("GEMINI_API_KEY");
  const std::string path = fresh_path("recovered.jsonl");
  emo::WindowRecord killed;
  killed.session = "killed-run";
  killed.window.index = 4;
  killed.window.sample_interval = GST_SECOND;
  killed.window.timeline = {"happiness"};
  killed.prompt = {"system", "user"};
  { emo::PendingJournal(path).add(killed); }  // no discard(): as after SIGKILL
  SessionHarness s({{"window", "2"}, {"min-window", "1"}, {"location", path}});
  s.push(0, 2 * GST_SECOND + kFrame, {{"happiness", 50}});
  s.finish();
  s.stop();
  const std::vector<emo::WindowRecord> records = read_records(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].session, "killed-run");
  EXPECT_EQ(records[0].window.index, 4u);
  EXPECT_EQ(records[0].analysis.state, "pending");
  EXPECT_EQ(records[1].analysis.state, "skipped");  // this run is offline: no journal
  EXPECT_FALSE(g_file_test(emo::PendingJournal::path_for(path).c_str(), G_FILE_TEST_EXISTS));
}

/* A device as location: no journal beside it (it would be a stray /dev/full.pending that
 * nothing removes), a warning saying so, and the failed write is an error naming the file. */
TEST(Session, ADeviceAsLocationGetsNoStrayJournal) {
  ASSERT_TRUE(g_file_test("/dev/full", G_FILE_TEST_EXISTS));
  const std::string journal = emo::PendingJournal::path_for("/dev/full");
  g_remove(journal.c_str());
  emo::test::GeminiTestServer server;
  {
    SessionHarness s({{"window", "2"},
                      {"min-window", "1"},
                      {"api-key", "k"},
                      {"endpoint", server.endpoint()},
                      {"location", "/dev/full"}});
    MessagePtr warning = s.pop(GST_MESSAGE_WARNING, GST_SECOND);
    ASSERT_TRUE(warning) << "no warning about the location";
    GError *err = nullptr;
    gst_message_parse_warning(warning.get(), &err, nullptr);
    EXPECT_NE(std::string(err->message).find("/dev/full is not a regular file"), std::string::npos)
        << err->message;
    g_error_free(err);
    EXPECT_FALSE(g_file_test(journal.c_str(), G_FILE_TEST_EXISTS)) << "journal beside /dev/full";
    s.push(0, 2 * GST_SECOND + kFrame, {{"sadness", 50}});
    MessagePtr error = s.pop(GST_MESSAGE_ERROR);
    ASSERT_TRUE(error) << "the failed write is not an error";
    gst_message_parse_error(error.get(), &err, nullptr);
    EXPECT_NE(std::string(err->message).find("/dev/full"), std::string::npos) << err->message;
    g_error_free(err);
  }
  EXPECT_FALSE(g_file_test(journal.c_str(), G_FILE_TEST_EXISTS)) << "stray journal left";
  g_remove(journal.c_str());
}

TEST(Session, RefusedConnectionIsARetryableFailure) {
  const std::string path = fresh_path("refused.jsonl");
  std::string endpoint;
  {
    SilentServer closed;  // closed at the end of this block: nothing listens on its port
    endpoint = closed.endpoint();
  }
  SessionHarness s({{"window", "2"},
                    {"min-window", "1"},
                    {"api-key", "k"},
                    {"endpoint", endpoint},
                    {"max-retries", "0"},
                    {"location", path}});
  s.push(0, 2 * GST_SECOND + kFrame, {{"sadness", 50}});
  const std::vector<GstStructure *> analyses = named(s.finish(), "emo-session-analysis");
  ASSERT_EQ(analyses.size(), 1u);
  EXPECT_EQ(field(analyses[0], "state"), "failed");
  gboolean retryable = FALSE;
  ASSERT_TRUE(gst_structure_get_boolean(analyses[0], "retryable", &retryable));
  EXPECT_TRUE(retryable);
  ASSERT_EQ(read_records(path).size(), 1u);
}

std::string start_error(const std::vector<std::pair<const char *, std::string>> &props,
                        std::string *warning = nullptr) {
  ElementPtr element(gst_element_factory_make("emosession", nullptr));
  gst_object_ref_sink(element.get());
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(element.get(), bus.get());
  for (const auto &[name, value] : props)
    gst_util_set_object_arg(G_OBJECT(element.get()), name, value.c_str());
  const GstStateChangeReturn ret = gst_element_set_state(element.get(), GST_STATE_PAUSED);
  std::string text;
  while (MessagePtr msg{gst_bus_pop_filtered(
      bus.get(), static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))}) {
    GError *error = nullptr;
    if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR)
      gst_message_parse_error(msg.get(), &error, nullptr);
    else
      gst_message_parse_warning(msg.get(), &error, nullptr);
    (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR ? text : *warning) += error->message;
    g_error_free(error);
  }
  EXPECT_EQ(ret == GST_STATE_CHANGE_FAILURE, !text.empty()) << text;
  gst_element_set_state(element.get(), GST_STATE_NULL);
  gst_element_set_bus(element.get(), nullptr);
  return text;
}

TEST(Session, InvalidSettingsGiveClearErrors) {
  EXPECT_NE(start_error({{"window", "10"}, {"min-window", "20"}}).find("min-window"),
            std::string::npos);
  EXPECT_NE(start_error({{"window", "5"}, {"sample-interval", "6"}}).find("sample-interval"),
            std::string::npos);
  EXPECT_NE(start_error({{"endpoint", "ftp://example.org"}}).find("invalid endpoint"),
            std::string::npos);
  EXPECT_NE(start_error({{"model", "models/../x"}}).find("invalid model"), std::string::npos);
  const std::string dir_path = "/nonexistent-dir/out.jsonl";
  EXPECT_NE(start_error({{"location", dir_path}}).find(dir_path), std::string::npos);
  const std::string tmpl = temp_dir() + "/bad-template.txt";
  g_file_set_contents(tmpl.c_str(), "Hello {mood}", -1, nullptr);
  EXPECT_NE(start_error({{"prompt-template", tmpl}}).find("{mood}"), std::string::npos);
  std::string warning;
  EXPECT_EQ(start_error({{"language", "fr"}}, &warning), "");
  EXPECT_NE(warning.find("\"fr\""), std::string::npos);
}

TEST(Session, ApiKeyIsWriteOnly) {
  ElementPtr element(gst_element_factory_make("emosession", nullptr));
  gst_object_ref_sink(element.get());
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(element.get()), "api-key");
  ASSERT_NE(spec, nullptr);
  EXPECT_FALSE(spec->flags & G_PARAM_READABLE);
  EXPECT_TRUE(spec->flags & G_PARAM_WRITABLE);
}

TEST(Session, RequestBudgetPropertiesAreStartTimeSettingsWithTheirDefaults) {
  ElementPtr element(gst_element_factory_make("emosession", nullptr));
  gst_object_ref_sink(element.get());
  for (const auto &[name, fallback] :
       {std::pair<const char *, int>{"max-in-flight", 4},
        std::pair<const char *, int>{"max-requests-per-minute", 0}}) {
    GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(element.get()), name);
    ASSERT_NE(spec, nullptr) << name;
    /* set in NULL, refused from READY on like emosession's other start-time settings */
    EXPECT_FALSE(spec->flags & (GST_PARAM_MUTABLE_READY | GST_PARAM_MUTABLE_PLAYING)) << name;
    EXPECT_EQ(G_PARAM_SPEC_INT(spec)->minimum, 0) << name;  // 0: no limit; never negative
    gint value = -1;
    g_object_get(element.get(), name, &value, nullptr);
    EXPECT_EQ(value, fallback) << name;
  }
}

}  // namespace

namespace {

/* max-in-flight=1 and a server that takes 1.5 s per reply: the three windows are all in the
 * journal while only the first request has reached the server and nothing is in the file;
 * then each is sent in turn, and all three are written with their reply. */
TEST(SessionServer, WindowsOverMaxInFlightWaitInTheJournalAndNoneIsLost) {
  emo::test::GeminiTestServer server;
  emo::test::GeminiReply slow;
  slow.text = "Una cosa a la vez.";
  slow.delay = std::chrono::milliseconds(1500);
  server.set_default(slow);
  const std::string path = fresh_path("budget.jsonl");
  const std::string journal = emo::PendingJournal::path_for(path);
  {
    SessionHarness s({{"window", "2"},
                      {"min-window", "1"},
                      {"api-key", "budget-test-key"},
                      {"endpoint", server.endpoint()},
                      {"max-in-flight", "1"},
                      {"eos-timeout", "60"},
                      {"location", path}});
    s.push(0, 6 * GST_SECOND + kFrame, {{"happiness", 50}});  // windows close at 2, 4 and 6 s
    ASSERT_EQ(wait_lines(journal, 3), 3u) << "the waiting windows are not journalled";
    EXPECT_LE(server.request_count(), 1u);
    EXPECT_EQ(wait_lines(path, 0), 0u);
    const std::vector<GstStructure *> analyses = named(s.finish(), "emo-session-analysis");
    ASSERT_EQ(analyses.size(), 3u);
    for (GstStructure *a : analyses) EXPECT_EQ(field(a, "state"), "ok") << field(a, "detail");
  }
  EXPECT_FALSE(g_file_test(journal.c_str(), G_FILE_TEST_EXISTS));
  const std::vector<emo::WindowRecord> records = read_records(path);
  ASSERT_EQ(records.size(), 3u);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].window.index, i);
    EXPECT_EQ(records[i].analysis.text, slow.text);
  }
  EXPECT_EQ(server.request_count(), 3u);
  EXPECT_EQ(server.max_held(), 1u);
}

TEST(SessionServer, RepliesArePostedAndWrittenAndRequestsHoldContextAndTimeline) {
  emo::test::GeminiTestServer server;
  emo::test::GeminiReply reply;
  reply.text = "Se nota que el examen te preocupa.";
  server.set_default(reply);
  const std::string path = fresh_path("server.jsonl");
  SessionHarness s({{"window", "2"},
                    {"min-window", "1"},
                    {"api-key", "server-test-key"},
                    {"endpoint", server.endpoint()},
                    {"context", "el examen de mañana"},
                    {"location", path}});
  s.push(0, 2 * GST_SECOND, {{"sadness", 50}});
  s.push(2 * GST_SECOND, 4 * GST_SECOND, {{"fear", 50}});
  const std::vector<GstStructure *> all = s.finish();
  const std::vector<GstStructure *> analyses = named(all, "emo-session-analysis");
  ASSERT_EQ(analyses.size(), 2u);
  for (GstStructure *a : analyses) {
    EXPECT_EQ(field(a, "state"), "ok");
    EXPECT_EQ(field(a, "text"), reply.text);
    gint status = 0;
    EXPECT_TRUE(gst_structure_get_int(a, "http-status", &status));
    EXPECT_EQ(status, 200);
  }
  const std::vector<emo::test::RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  std::vector<std::string> texts;
  for (const emo::test::RecordedRequest &r : requests) {
    EXPECT_EQ(r.api_key, "server-test-key");
    EXPECT_EQ(r.model, "gemini-2.5-flash");
    EXPECT_NE(r.system_instruction.find("empático"), std::string::npos);
    EXPECT_NE(r.user_text.find("el examen de mañana"), std::string::npos);
    texts.push_back(r.user_text);
  }
  const auto has = [&](const std::string &timeline) {
    return std::any_of(texts.begin(), texts.end(),
                       [&](const std::string &t) { return t.find(timeline) != std::string::npos; });
  };
  EXPECT_TRUE(has("sadness, sadness\n"));
  EXPECT_TRUE(has("fear, fear\n"));
  const std::vector<emo::WindowRecord> records = read_records(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].analysis.text, reply.text);
  EXPECT_FALSE(records[0].analysis.retryable());
}

TEST(SessionServer, InvalidKeyIsAFinalFailureWithGeminisMessage) {
  emo::test::GeminiTestServer server;
  emo::test::GeminiReply invalid;
  invalid.status = 400;
  invalid.message = "API key not valid. Please pass a valid API key.";
  server.set_default(invalid);
  SessionHarness s({{"window", "2"},
                    {"min-window", "1"},
                    {"api-key", "bad-key"},
                    {"endpoint", server.endpoint()}});
  s.push(0, 2 * GST_SECOND + kFrame, {{"sadness", 50}});
  const std::vector<GstStructure *> analyses = named(s.finish(), "emo-session-analysis");
  ASSERT_EQ(analyses.size(), 1u);
  EXPECT_EQ(field(analyses[0], "state"), "failed");
  EXPECT_NE(field(analyses[0], "detail").find("API key not valid"), std::string::npos);
  gboolean retryable = TRUE;
  ASSERT_TRUE(gst_structure_get_boolean(analyses[0], "retryable", &retryable));
  EXPECT_FALSE(retryable);
  EXPECT_EQ(server.request_count(), 1u);  // not retried
}

}  // namespace
