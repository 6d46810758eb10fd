// SPDX-License-Identifier: LGPL-2.1-or-later
// The churn suite: real pipelines run as applications run them, shortened for the
// self-contained tier (no ../shared/data: skimage's astronaut and GStreamer test sources).
//   - caps changes mid-stream (multifilesrc of PNG frames of two sizes and three formats):
//     boxes in the new size's pixels, one face once, tracks kept across a format change;
//   - PLAYING <-> NULL cycles with bounded RSS growth;
//   - flushing seeks during play;
//   - N pipelines in one process give the same output as one;
//   - a soak of several loops with bounded RSS growth.
// Longer runs: bench/churn-bench.sh sets EMO_CHURN_CYCLES, EMO_CHURN_SEEKS,
// EMO_CHURN_PIPELINES and EMO_CHURN_LOOPS (figures in bench/RESULTS.md).
#include <glib/gstdio.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "element_test_util.hpp"
#include "emo/detect/detection.hpp"

using namespace emo_test;

namespace {

const emo::Box kFace(172, 74, 105, 105);  // in astronaut.png, by eye
const char *const kAstronautPng = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
const char *const kChain = "emofacedetect ! emolandmarks ! emoclassify ! emooverlay";

// Bound on RSS growth after the warm-up. Under AddressSanitizer (tools/sanitize.sh) freed
// memory waits in its quarantine (256 MiB by default), which RSS counts: the bound is then
// that of the quarantine, and the sanitizer itself checks the memory.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kMaxGrowthMiB = 24.0 + 256.0;
#else
constexpr double kMaxGrowthMiB = 24.0;
#endif

int env_int(const char *name, int fallback) {
  const char *v = g_getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// Resident set size of this process, in MiB (/proc/self/statm).
double rss_mib() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  in >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

struct Pipeline {
  ElementPtr pipeline;
  explicit Pipeline(const std::string &launch) {
    GError *error = nullptr;
    pipeline.reset(gst_parse_launch(launch.c_str(), &error));
    if (error) {
      ADD_FAILURE() << launch << ": " << error->message;
      g_error_free(error);
    }
  }
  ~Pipeline() {
    if (pipeline) gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  }
  // Waits for EOS (true) or an error (false, reported).
  bool wait_eos(GstClockTime timeout = 60 * GST_SECOND) {
    BusPtr bus(gst_element_get_bus(pipeline.get()));
    MessagePtr msg(gst_bus_timed_pop_filtered(
        bus.get(), timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
    if (!msg) {
      ADD_FAILURE() << "no EOS within the timeout";
      return false;
    }
    if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
      GError *error = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(msg.get(), &error, &debug);
      ADD_FAILURE() << GST_OBJECT_NAME(GST_MESSAGE_SRC(msg.get())) << ": " << error->message << " ("
                    << (debug ? debug : "") << ")";
      g_error_free(error);
      g_free(debug);
      return false;
    }
    return true;
  }
  bool run() {
    if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      ADD_FAILURE() << "cannot play";
      return false;
    }
    const bool ok = wait_eos();
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return ok;
  }
};

// Frames written by emometapublish: per line width, height and the faces' boxes and tracks.
struct Line {
  int width = 0, height = 0;
  std::vector<emo::Box> boxes;
  std::vector<std::int64_t> tracks;
  std::vector<bool> shot_start;
};

std::vector<Line> read_lines(const std::string &path) {
  std::vector<Line> out;
  std::ifstream in(path);
  for (std::string text; std::getline(in, text);) {
    JsonParser *parser = json_parser_new();
    GError *error = nullptr;
    if (!json_parser_load_from_data(parser, text.c_str(), -1, &error)) {
      ADD_FAILURE() << error->message;
      g_error_free(error);
      g_object_unref(parser);
      continue;
    }
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    Line line;
    line.width = static_cast<int>(json_object_get_int_member(o, "width"));
    line.height = static_cast<int>(json_object_get_int_member(o, "height"));
    JsonArray *faces = json_object_get_array_member(o, "faces");
    for (guint i = 0; i < json_array_get_length(faces); ++i) {
      JsonObject *f = json_array_get_object_element(faces, i);
      JsonObject *b = json_object_get_object_member(f, "box");
      line.boxes.emplace_back(static_cast<int>(json_object_get_int_member(b, "x")),
                              static_cast<int>(json_object_get_int_member(b, "y")),
                              static_cast<int>(json_object_get_int_member(b, "width")),
                              static_cast<int>(json_object_get_int_member(b, "height")));
      line.tracks.push_back(
          json_object_has_member(f, "track-id") ? json_object_get_int_member(f, "track-id") : -1);
      line.shot_start.push_back(json_object_has_member(f, "shot-start") &&
                                json_object_get_boolean_member(f, "shot-start"));
    }
    out.push_back(line);
    g_object_unref(parser);
  }
  return out;
}

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The astronaut scaled by `scale` at `at` on a mid-grey `size` frame; `face` gets its face.
cv::Mat scene(cv::Size size, cv::Point at, double scale, emo::Box &face) {
  cv::Mat frame(size, CV_8UC3, cv::Scalar(128, 128, 128));
  cv::Mat a;
  const int side = static_cast<int>(512 * scale);
  cv::resize(astronaut(), a, {side, side}, 0, 0, cv::INTER_AREA);
  a.copyTo(frame(cv::Rect(at.x, at.y, side, side)));
  face =
      emo::Box(at.x + static_cast<int>(kFace.x * scale), at.y + static_cast<int>(kFace.y * scale),
               static_cast<int>(kFace.width * scale), static_cast<int>(kFace.height * scale));
  return frame;
}

// PNG frames: 0-2 640x480 RGB, 3-5 the same with alpha (pngdec gives RGBA), 6-7 grey (GRAY8),
// 8-13 1280x720 RGB with the face elsewhere. Returns the multifilesrc location pattern.
struct PngFrames {
  std::string pattern;
  emo::Box small_face, large_face;
  static constexpr int kCount = 14, kFirstLarge = 8;
};

const PngFrames &png_frames() {
  static const PngFrames frames = [] {
    PngFrames f;
    const std::string dir = temp_dir() + "/png";
    g_mkdir_with_parents(dir.c_str(), 0700);
    f.pattern = dir + "/frame-%03d.png";
    const cv::Mat small = scene({640, 480}, {60, 10}, 0.9, f.small_face);
    const cv::Mat large = scene({1280, 720}, {600, 150}, 1.0, f.large_face);
    for (int i = 0; i < PngFrames::kCount; ++i) {
      cv::Mat out = small;
      if (i >= 3 && i < 6) cv::cvtColor(small, out, cv::COLOR_BGR2BGRA);
      if (i >= 6 && i < 8) cv::cvtColor(small, out, cv::COLOR_BGR2GRAY);
      if (i >= PngFrames::kFirstLarge) out = large;
      char name[64];
      std::snprintf(name, sizeof(name), "/frame-%03d.png", i);
      EXPECT_TRUE(cv::imwrite(dir + name, out));
    }
    return f;
  }();
  return frames;
}

std::string png_source() {
  return "multifilesrc location=" + png_frames().pattern +
         " index=0 stop-index=" + std::to_string(PngFrames::kCount - 1) +
         " caps=image/png,framerate=10/1 ! pngdec";
}

// The reproduction, with format changes too: pngdec's caps change from RGB to RGBA to
// GRAY8 at 640x480 (tracks go on), then to 1280x720 (a new shot: the face once, in the new
// size's pixels, from the first frame of the new size).
TEST(Churn, CapsChangesMidStreamMoveBoxesToTheNewSize) {
  const std::string out = temp_dir() + "/caps-change.jsonl";
  Pipeline p(png_source() + " ! emofacedetect ! emometapublish location=" + out + " ! fakesink");
  ASSERT_TRUE(p.run());
  const std::vector<Line> lines = read_lines(out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(PngFrames::kCount));
  const std::int64_t first_track = lines[0].tracks.empty() ? -1 : lines[0].tracks[0];
  for (int i = 0; i < PngFrames::kCount; ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    const Line &l = lines[static_cast<size_t>(i)];
    const bool large = i >= PngFrames::kFirstLarge;
    EXPECT_EQ(l.width, large ? 1280 : 640);
    EXPECT_EQ(l.height, large ? 720 : 480);
    ASSERT_EQ(l.boxes.size(), 1u) << "one face, reported once";
    const emo::Box &b = l.boxes[0];
    EXPECT_TRUE(b.x >= 0 && b.y >= 0 && b.x + b.width <= l.width && b.y + b.height <= l.height)
        << b;
    EXPECT_GT(emo::detect::iou(b, large ? png_frames().large_face : png_frames().small_face), 0.5)
        << b;
    if (large) {
      EXPECT_NE(l.tracks[0], first_track) << "a new size ends the track";
      EXPECT_EQ(l.shot_start[0], i == PngFrames::kFirstLarge);
    } else {
      EXPECT_EQ(l.tracks[0], first_track) << "a format change keeps the track";
    }
  }
}

std::string astronaut_source(int frames) {
  return std::string("filesrc location=") + kAstronautPng +
         " ! pngdec ! imagefreeze num-buffers=" + std::to_string(frames) +
         " ! video/x-raw,framerate=30/1 ! videoconvert";
}

// The astronaut at 30 fps for ever (seekable) through the chain into emometapublish at `out`.
std::string endless_astronaut(const std::string &out) {
  return std::string("filesrc location=") + kAstronautPng +
         " ! pngdec ! imagefreeze ! video/x-raw,framerate=30/1 ! videoconvert ! " + kChain +
         " ! emometapublish location=" + out + " ! fakesink sync=false";
}

// Plays `p` and waits until it is (pre)rolled.
void start(Pipeline &p, GstState state) {
  ASSERT_NE(gst_element_set_state(p.pipeline.get(), state), GST_STATE_CHANGE_FAILURE);
  ASSERT_NE(gst_element_get_state(p.pipeline.get(), nullptr, nullptr, 30 * GST_SECOND),
            GST_STATE_CHANGE_FAILURE);
}

TEST(Churn, PlayingNullCyclesKeepMemoryBounded) {
  const int cycles = env_int("EMO_CHURN_CYCLES", 8);
  Pipeline p(astronaut_source(4) + " ! " + kChain + " ! fakesink sync=false");
  double warm = 0;
  for (int i = 0; i < cycles; ++i) {
    ASSERT_TRUE(p.run()) << "cycle " << i;
    if (i == 2) warm = rss_mib();  // after the models and pools are up
  }
  const double growth = rss_mib() - warm;
  std::printf("[ churn ] %d PLAYING/NULL cycles: RSS %.1f MiB after 3, %+.1f MiB after %d\n",
              cycles, warm, growth, cycles);
  EXPECT_LT(growth, kMaxGrowthMiB) << "MiB of RSS growth over " << cycles - 3 << " cycles";
}

TEST(Churn, FlushingSeeksDuringPlay) {
  const int seeks = env_int("EMO_CHURN_SEEKS", 20);
  const std::string out = temp_dir() + "/seeks.jsonl";
  Pipeline p(endless_astronaut(out));
  start(p, GST_STATE_PLAYING);
  BusPtr bus(gst_element_get_bus(p.pipeline.get()));
  for (int i = 0; i < seeks; ++i) {
    const GstClockTime start = static_cast<GstClockTime>(i % 7) * GST_SECOND / 2;
    const GstClockTime stop = i + 1 == seeks ? start + GST_SECOND / 3 : start + 60 * GST_SECOND;
    EXPECT_TRUE(gst_element_seek(p.pipeline.get(), 1.0, GST_FORMAT_TIME,
                                 static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH), GST_SEEK_TYPE_SET,
                                 start, GST_SEEK_TYPE_SET, stop))
        << "seek " << i;
    g_usleep(20000);
    MessagePtr error(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
    ASSERT_FALSE(error) << "error after seek " << i;
  }
  ASSERT_TRUE(p.wait_eos());
  gst_element_set_state(p.pipeline.get(), GST_STATE_NULL);
  const std::vector<Line> lines = read_lines(out);
  ASSERT_GE(lines.size(), 10u);
  // The last segment (a third of a second) was analysed: its frames have the face.
  const Line &last = lines.back();
  ASSERT_EQ(last.boxes.size(), 1u);
  EXPECT_GT(emo::detect::iou(last.boxes[0], kFace), 0.5);
}

// N pipelines in one process, each with its own elements, write what one alone writes.
TEST(Churn, ParallelPipelinesGiveTheSameOutputAsOne) {
  const int n = env_int("EMO_CHURN_PIPELINES", 3);
  auto launch = [](const std::string &out) {
    return png_source() + " ! videoconvert ! " + kChain + " ! emometapublish location=" + out +
           " ! fakesink";
  };
  const std::string alone = temp_dir() + "/alone.jsonl";
  {
    Pipeline p(launch(alone));
    ASSERT_TRUE(p.run());
  }
  const std::string reference = read_file(alone);
  ASSERT_EQ(read_lines(alone).size(), static_cast<size_t>(PngFrames::kCount));
  std::vector<std::unique_ptr<Pipeline>> pipelines;
  std::vector<std::string> outs;
  for (int i = 0; i < n; ++i) {
    outs.push_back(temp_dir() + "/parallel-" + std::to_string(i) + ".jsonl");
    pipelines.push_back(std::make_unique<Pipeline>(launch(outs.back())));
  }
  for (auto &p : pipelines)
    ASSERT_NE(gst_element_set_state(p->pipeline.get(), GST_STATE_PLAYING),
              GST_STATE_CHANGE_FAILURE);
  for (auto &p : pipelines) EXPECT_TRUE(p->wait_eos());
  pipelines.clear();
  for (const std::string &out : outs) EXPECT_EQ(read_file(out), reference) << out;
}

// A pipeline looped several times (a flushing seek back to the start at each EOS, as a player
// loops a clip; a loop is one second, 30 frames): the face on every frame of every loop, and
// flat memory after the first loop.
TEST(Churn, SoakOfSeveralLoopsKeepsMemoryBounded) {
  const int loops = env_int("EMO_CHURN_LOOPS", 4);
  const std::string out = temp_dir() + "/soak.jsonl";
  Pipeline p(endless_astronaut(out));
  start(p, GST_STATE_PAUSED);
  double after_first = 0;
  for (int loop = 0; loop < loops; ++loop) {
    ASSERT_TRUE(gst_element_seek(p.pipeline.get(), 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
                                 GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_SET, GST_SECOND));
    if (loop == 0) {
      ASSERT_NE(gst_element_set_state(p.pipeline.get(), GST_STATE_PLAYING),
                GST_STATE_CHANGE_FAILURE);
    }
    ASSERT_TRUE(p.wait_eos()) << "loop " << loop;
    if (loop == 0) after_first = rss_mib();
  }
  const double growth = rss_mib() - after_first;
  gst_element_set_state(p.pipeline.get(), GST_STATE_NULL);
  std::printf("[ churn ] %d loops of 30 frames: RSS %.1f MiB after 1, %+.1f MiB after %d\n", loops,
              after_first, growth, loops);
  EXPECT_LT(growth, kMaxGrowthMiB) << "MiB of RSS growth over " << loops - 1 << " loops";
  const std::vector<Line> lines = read_lines(out);
  EXPECT_GE(lines.size(), static_cast<size_t>(30 * loops));
  int with_face = 0;
  for (const Line &l : lines) with_face += l.boxes.size() == 1;
  EXPECT_EQ(with_face, static_cast<int>(lines.size())) << "the face on every frame of every loop";
}

}  // namespace
