// SPDX-License-Identifier: LGPL-2.1-or-later
#include "element_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include <opencv2/imgcodecs.hpp>

#include "emo/classify/classifier.hpp"
#include "emo/classify/features.hpp"

namespace emo_test {

const std::vector<std::string> kAnalysisFormats = {"GRAY8", "I420", "NV12", "YUY2", "BGR",
                                                   "BGRx",  "RGB",  "RGBx", "BGRA", "RGBA"};
const std::vector<std::string> kDetectFormats = {"GRAY8", "I420", "NV12", "YUY2", "BGR", "RGBA"};

std::string video_caps(const std::string &format, int width, int height) {
  return "video/x-raw,format=" + format + ",width=" + std::to_string(width) +
         ",height=" + std::to_string(height) + ",framerate=30/1";
}

const cv::Mat &astronaut() {
  static const cv::Mat image =
      cv::imread("/usr/lib/python3/dist-packages/skimage/data/astronaut.png", cv::IMREAD_COLOR);
  return image;
}

namespace {

struct CapsDeleter {
  void operator()(GstCaps *c) const { gst_caps_unref(c); }
};
struct SampleDeleter {
  void operator()(GstSample *s) const { gst_sample_unref(s); }
};
using CapsPtr = std::unique_ptr<GstCaps, CapsDeleter>;
using SamplePtr = std::unique_ptr<GstSample, SampleDeleter>;

}  // namespace

BufferPtr make_frame(const cv::Mat &bgr, const std::string &format, GstClockTime pts) {
  if (bgr.empty() || bgr.type() != CV_8UC3) return nullptr;
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGR, bgr.cols, bgr.rows);
  BufferPtr bgr_buf(gst_buffer_new_allocate(nullptr, info.size, nullptr));
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &info, bgr_buf.get(), GST_MAP_WRITE)) return nullptr;
  for (int y = 0; y < bgr.rows; ++y)
    std::memcpy(static_cast<guint8 *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)) +
                    y * GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
                bgr.ptr(y), static_cast<size_t>(bgr.cols) * 3);
  gst_video_frame_unmap(&frame);

  BufferPtr out;
  if (format == "BGR") {
    out = std::move(bgr_buf);
  } else {
    CapsPtr from(gst_caps_from_string(video_caps("BGR", bgr.cols, bgr.rows).c_str()));
    CapsPtr to(gst_caps_from_string(video_caps(format, bgr.cols, bgr.rows).c_str()));
    SamplePtr sample(gst_sample_new(bgr_buf.get(), from.get(), nullptr, nullptr));
    GError *error = nullptr;
    SamplePtr converted(gst_video_convert_sample(sample.get(), to.get(), GST_SECOND, &error));
    if (error) {
      ADD_FAILURE() << "videoconvert to " << format << ": " << error->message;
      g_error_free(error);
      return nullptr;
    }
    out.reset(gst_buffer_ref(gst_sample_get_buffer(converted.get())));
    out.reset(gst_buffer_make_writable(out.release()));
  }
  GST_BUFFER_PTS(out.get()) = pts;
  GST_BUFFER_DTS(out.get()) = pts;
  GST_BUFFER_DURATION(out.get()) = GST_SECOND / 30;
  return out;
}

BufferPtr make_blank_frame(const std::string &format, int width, int height, GstClockTime pts) {
  return make_frame(cv::Mat(height, width, CV_8UC3, cv::Scalar(128, 128, 128)), format, pts);
}

HarnessPtr make_harness(const std::string &launch, const std::string &format) {
  HarnessPtr h(gst_harness_new_parse(launch.c_str()));
  gst_harness_set_src_caps_str(h.get(), video_caps(format).c_str());
  return h;
}

HarnessPtr make_element_harness(const char *factory, const std::string &format,
                                const std::string &model) {
  ElementPtr element(gst_element_factory_make(factory, nullptr));
  if (!element) {
    ADD_FAILURE() << "no element " << factory;
    return nullptr;
  }
  gst_object_ref_sink(element.get());
  if (!model.empty()) g_object_set(element.get(), "model", model.c_str(), nullptr);
  HarnessPtr h(gst_harness_new_with_element(element.get(), "sink", "src"));
  gst_harness_set_src_caps_str(h.get(), video_caps(format).c_str());
  return h;
}

bool same_data(GstBuffer *a, GstBuffer *b) {
  const gsize size = gst_buffer_get_size(a);
  if (size != gst_buffer_get_size(b)) return false;
  GstMapInfo ma, mb;
  if (!gst_buffer_map(a, &ma, GST_MAP_READ)) return false;
  if (!gst_buffer_map(b, &mb, GST_MAP_READ)) {
    gst_buffer_unmap(a, &ma);
    return false;
  }
  const bool same = std::memcmp(ma.data, mb.data, size) == 0;
  gst_buffer_unmap(b, &mb);
  gst_buffer_unmap(a, &ma);
  return same;
}

int count_rois(GstBuffer *buffer) {
  int n = 0;
  gpointer state = nullptr;
  while (
      gst_buffer_iterate_meta_filtered(buffer, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    ++n;
  return n;
}

GstStateChangeReturn start_with_model(const char *factory, const std::string &model,
                                      std::string &error_text) {
  ElementPtr element(gst_element_factory_make(factory, nullptr));
  if (!element) {
    ADD_FAILURE() << "no element " << factory;
    return GST_STATE_CHANGE_FAILURE;
  }
  gst_object_ref_sink(element.get());
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(element.get(), bus.get());
  g_object_set(element.get(), "model", model.c_str(), nullptr);
  const GstStateChangeReturn ret = gst_element_set_state(element.get(), GST_STATE_PAUSED);
  MessagePtr msg(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
  if (msg) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error(msg.get(), &error, &debug);
    error_text = std::string(error->message) + "\n" + (debug ? debug : "");
    g_error_free(error);
    g_free(debug);
  }
  gst_element_set_state(element.get(), GST_STATE_NULL);
  gst_element_set_bus(element.get(), nullptr);
  return ret;
}

std::vector<emo::Point> synthetic_landmarks(float smile, float noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> jitter(0.f, noise > 0.f ? noise : 1e-6f);
  std::vector<emo::Point> p(68);
  const float kPi = 3.14159265f;
  for (int i = 0; i <= 16; ++i) {  // jaw: a U from ear to ear
    const float a = kPi * static_cast<float>(i) / 16.f;
    p[i] = {100.f - 60.f * std::cos(a), 100.f + 70.f * std::sin(a)};
  }
  for (int i = 0; i < 5; ++i) {  // brows
    p[17 + i] = {55.f + 8.f * i, 70.f - 3.f * (i == 2)};
    p[22 + i] = {113.f + 8.f * i, 70.f - 3.f * (i == 2)};
  }
  for (int i = 0; i < 9; ++i) p[27 + i] = {100.f + (i < 4 ? 0.f : 4.f * (i - 6)), 85.f + 5.f * i};
  for (int i = 0; i < 6; ++i) {  // eyes
    const float a = 2.f * kPi * static_cast<float>(i) / 6.f;
    p[36 + i] = {70.f - 8.f * std::cos(a), 85.f - 3.f * std::sin(a)};
    p[42 + i] = {130.f - 8.f * std::cos(a), 85.f - 3.f * std::sin(a)};
  }
  const float half_width = 22.f + 6.f * smile, corner_lift = 8.f * smile;
  for (int i = 0; i < 12; ++i) {  // outer lip: 48 left corner ... 54 right corner ... back
    const float a = 2.f * kPi * static_cast<float>(i) / 12.f;
    const float corner = std::abs(std::cos(a));
    p[48 + i] = {100.f - half_width * std::cos(a),
                 140.f - 8.f * std::sin(a) - corner_lift * corner};
  }
  for (int i = 0; i < 8; ++i) {  // inner lip
    const float a = 2.f * kPi * static_cast<float>(i) / 8.f;
    const float corner = std::abs(std::cos(a));
    p[60 + i] = {100.f - 0.8f * half_width * std::cos(a),
                 140.f - 3.f * std::sin(a) - corner_lift * corner};
  }
  if (noise > 0.f)
    for (emo::Point &q : p) q += emo::Point(jitter(rng), jitter(rng));
  return p;
}

namespace {
char g_temp_dir[4096];  // plain storage: still valid when the atexit handler runs
}  // namespace

const std::string &temp_dir() {
  static const std::string dir = [] {
    std::string templ = (std::filesystem::temp_directory_path() / "emo-elements-XXXXXX").string();
    if (!g_mkdtemp(templ.data()) || templ.size() >= sizeof(g_temp_dir)) return std::string();
    std::strcpy(g_temp_dir, templ.c_str());
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(g_temp_dir, ec);
    });
    return templ;
  }();
  return dir;
}

const std::string &tiny_model_path() {
  static const std::string path = [] {
    const int per_class = 40;
    cv::Mat features(2 * per_class, emo::kFeatureLength, CV_32F);
    std::vector<int> labels;
    for (int i = 0; i < 2 * per_class; ++i) {
      const int cls = i % 2;  // 0 = happiness (smile), 1 = sadness (corners down)
      const auto f = emo::compute_features(
          synthetic_landmarks(cls == 0 ? 1.f : -1.f, 1.5f, static_cast<unsigned>(i)));
      std::copy(f.begin(), f.end(), features.ptr<float>(i));
      labels.push_back(cls);
    }
    emo::TrainParams params;
    params.trees = 15;
    const auto model =
        emo::EmotionClassifier::train(features, labels, {"happiness", "sadness"}, params);
    const std::string file = temp_dir() + "/tiny-emotion.yml.gz";
    model.save(file);
    return file;
  }();
  return path;
}

void expect_every_analysis_format_negotiates(GstHarness *h) {
  for (const std::string &format : kAnalysisFormats) {
    SCOPED_TRACE(format);
    gst_harness_set_src_caps_str(h, video_caps(format).c_str());
    ASSERT_EQ(gst_harness_push(h, make_blank_frame(format).release()), GST_FLOW_OK);
    BufferPtr out(gst_harness_pull(h));
    ASSERT_TRUE(out);
  }
}

void expect_blank_frame_passes_through(GstHarness *h, const std::string &format) {
  const GstClockTime pts = 5 * GST_SECOND;
  BufferPtr in = make_blank_frame(format, 512, 512, pts);
  GST_BUFFER_DTS(in.get()) = pts - GST_MSECOND;
  BufferPtr expected(gst_buffer_copy_deep(in.get()));
  ASSERT_EQ(gst_harness_push(h, in.release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h));
  ASSERT_TRUE(out);
  EXPECT_TRUE(same_data(out.get(), expected.get()));
  EXPECT_EQ(count_rois(out.get()), 0);
  EXPECT_EQ(GST_BUFFER_PTS(out.get()), pts);
  EXPECT_EQ(GST_BUFFER_DTS(out.get()), pts - GST_MSECOND);
}

}  // namespace emo_test
