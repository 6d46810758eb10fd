// SPDX-License-Identifier: LGPL-2.1-or-later
// Model sidecars through the elements (docs/sidecar.md): a new classifier (face-api's own RGB
// network, fetched and converted at set-up) and a BlazeFace network run from their sidecars
// alone; malformed or mismatched sidecars stop the element at start with an error naming the
// field.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>

#include "element_test_util.hpp"
#include "emo/gst/face_meta.hpp"

using namespace emo_test;

namespace {

std::string model(const std::string &name) {
  const char *dir = std::getenv("GST_EMO_MODEL_DIR");
  return std::string(dir && *dir ? dir : ".") + "/" + name;
}

// Writes `text` with `from` replaced by `to` (each once) into the temporary directory.
std::string edited(const std::string &source, const std::string &name,
                   const std::vector<std::pair<std::string, std::string>> &edits) {
  std::ifstream in(source);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(text.empty()) << source;
  for (const auto &[from, to] : edits) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
  }
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::vector<emo::gst::Face> run_chain(const std::string &launch, const std::string &format) {
  HarnessPtr h = make_harness(launch, format);
  EXPECT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), format).release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  return emo::gst::read_faces(out.get());
}

// face-api's FaceExpressionNet with its own RGB input ([1, 3, 112, 112], 7 classes), made at
// set-up by tools/faceapi-expression-to-onnx.py --rgb --sidecar: no gst-emo code knows it.
TEST(ClassifySidecar, ANewColourNetworkRunsFromItsSidecarAlone) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  const std::string rgb = model("faceapi/faceapi-expression-rgb.json");
  const std::string grey = model("faceapi/faceapi-expression.json");
  for (const char *format : {"I420", "BGRx"}) {
    const auto faces = run_chain(
        "emofacedetect ! emolandmarks ! emoclassify classify-shot-start=true model=" + rgb, format);
    ASSERT_EQ(faces.size(), 1u) << format;
    ASSERT_TRUE(faces[0].emotion) << format;
    const emo::Prediction &p = *faces[0].emotion;
    EXPECT_EQ(p.label, "happiness") << format;
    ASSERT_EQ(p.scores.size(), 7u);
    EXPECT_NEAR(std::accumulate(p.scores.begin(), p.scores.end(), 0.f), 1.f, 1e-4);
    // The same network fed the luma (R = G = B) scores the face differently: the colour crop
    // reached the colour network. The face is a clear smile (happiness ~1), so the other
    // classes' scores (~1e-12 to 1e-10) are compared on a log scale.
    const auto grey_faces = run_chain(
        "emofacedetect ! emolandmarks ! emoclassify classify-shot-start=true model=" + grey,
        format);
    ASSERT_EQ(grey_faces.size(), 1u);
    ASSERT_TRUE(grey_faces[0].emotion);
    EXPECT_EQ(grey_faces[0].emotion->label, "happiness");
    double diff = 0;
    for (size_t i = 0; i < 7; ++i)
      diff = std::max(diff, std::abs(double(std::log(std::max(p.scores[i], 1e-30f))) -
                                     std::log(std::max(grey_faces[0].emotion->scores[i], 1e-30f))));
    EXPECT_GT(diff, 0.3) << format;
  }
}

// A model's own gate (its sidecar's "gate" object, written by tools/emo-calibrate-gate.py) sets
// emoclassify's thresholds; a property set on the element overrides it, even when set to the
// built-in default.
TEST(ClassifySidecar, TheSidecarsGateAppliesUnlessAPropertyIsSet) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  // min_margin 1: no face can lead by the whole probability mass, every face is "flat".
  const std::string side =
      edited(model("emotion-cnn.json"), "gated.json",
             {{"\"emotion-cnn.onnx\"", "\"" + model("emotion-cnn.onnx") + "\""},
              {"\"labels\"",
               "\"gate\": { \"min_margin\": 1.0, \"calibration\": \"test\" },\n  "
               "\"labels\""}});
  const std::string chain =
      "emofacedetect ! emolandmarks ! emoclassify name=c classify-shot-start=true model=" + side;
  HarnessPtr h = make_harness(chain, "I420");
  ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420").release()), GST_FLOW_OK);
  BufferPtr out(gst_harness_pull(h.get()));
  auto faces = emo::gst::read_faces(out.get());
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].emotion);
  EXPECT_EQ(faces[0].emotion->label, "unknown");
  const GstStructure *emotion =
      gst_video_region_of_interest_meta_get_param(faces[0].meta, "emotion");
  ASSERT_NE(emotion, nullptr);
  EXPECT_STREQ(gst_structure_get_string(emotion, "unsure"), "flat");
  // While started, the property reads the threshold in use: the model's.
  ElementPtr c(gst_bin_get_by_name(GST_BIN(h->element), "c"));
  ASSERT_TRUE(c);
  gdouble margin = 0;
  g_object_get(c.get(), "min-margin", &margin, nullptr);
  EXPECT_DOUBLE_EQ(margin, 1.0);
  h.reset();

  // Set explicitly (to the built-in default 0.10): the property wins, the smile is labelled.
  faces = run_chain(chain + " min-margin=0.10", "I420");
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].emotion);
  EXPECT_EQ(faces[0].emotion->label, "happiness");
  // The same model's sidecar without a gate: the built-in default, the smile labelled.
  faces = run_chain("emofacedetect ! emolandmarks ! emoclassify classify-shot-start=true model=" +
                        model("emotion-cnn.json"),
                    "I420");
  ASSERT_EQ(faces.size(), 1u);
  ASSERT_TRUE(faces[0].emotion);
  EXPECT_EQ(faces[0].emotion->label, "happiness");
}

TEST(ClassifySidecar, AMalformedOrMismatchedSidecarFailsAtStartNamingTheField) {
  const std::string onnx = model("faceapi/faceapi-expression.onnx");
  const std::string src = model("faceapi/faceapi-expression.json");
  const std::pair<std::string, std::string> model_line = {"\"faceapi-expression.onnx\"",
                                                          "\"" + onnx + "\""};
  struct Case {
    const char *name;
    std::pair<std::string, std::string> edit;
    const char *says;
  } cases[] = {
      {"labels.json", {"\"neutral\",", ""}, "labels has 6 entries but output \"scores\" has 7"},
      {"size.json",
       {"\"width\": 112,\n    \"height\": 112", "\"width\": 64,\n    \"height\": 64"},
       "input.width is 64 but the network's input \"input\" is ?x1x112x112"},
      {"layout.json",
       {"\"layout\": \"nchw\"", "\"layout\": \"nhcw\""},  // the converter writes nchw
       "input.layout is \"nhcw\", not one of \"nchw\" | \"nhwc\""},
      {"output.json",
       {"\"scores\": \"scores\"", "\"scores\": \"prob\""},
       "outputs.scores names \"prob\" but the network's outputs are \"scores\", \"embedding\""},
  };
  for (const Case &c : cases) {
    const std::string side = edited(src, c.name, {model_line, c.edit});
    std::string error;
    EXPECT_EQ(start_with_model("emoclassify", side, error), GST_STATE_CHANGE_FAILURE) << c.name;
    EXPECT_NE(error.find("Model sidecar '" + side + "'"), std::string::npos) << error;
    EXPECT_NE(error.find(c.says), std::string::npos) << error;
  }
  // The unedited sidecar (model path made absolute) starts.
  std::string error;
  EXPECT_NE(start_with_model("emoclassify", edited(src, "good.json", {model_line}), error),
            GST_STATE_CHANGE_FAILURE)
      << error;
}

TEST(FaceDetectSidecar, TheDetectorRunsFromASidecar) {
  ASSERT_FALSE(astronaut().empty()) << "astronaut.png (python3-skimage) is missing";
  // The committed sidecar of the short-range network, and a copy with its own name.
  const std::string side = model("blazeface-sidecars/face_detection_front_128_rect.json");
  const std::string renamed = edited(
      side, "short.json",
      {{"\"../blazeface/", "\"" + model("blazeface") + "/"}, {"\"blazeface-short\"", "\"mine\""}});
  for (const std::string &s : {side, renamed}) {
    const auto faces = run_chain("emofacedetect model=" + s, "I420");
    ASSERT_EQ(faces.size(), 1u) << s;
    EXPECT_EQ(faces[0].keypoints.size(), 6u);
    EXPECT_EQ(faces[0].detector_model, s == side ? "blazeface-short" : "mine");
  }
}

TEST(FaceDetectSidecar, AMalformedOrMismatchedSidecarFailsAtStartNamingTheField) {
  const std::string sq = model("blazeface-sidecars/face_detection_back_256x256_barracuda.json");
  const std::pair<std::string, std::string> model_line = {"\"../blazeface/",
                                                          "\"" + model("blazeface") + "/"};
  struct Case {
    const char *name;
    std::pair<std::string, std::string> edit;
    const char *says;
  } cases[] = {
      {"keypoints.json",
       {"\"keypoints\": 6", "\"keypoints\": 5"},
       "decode.keypoints is 5 (14 values per anchor) but the network's outputs are"},
      {"size.json",
       {"\"size\": 256", "\"size\": 128"},
       "input.size is 128 but the network's input \"input:0\" is 1x256x256x3"},
      {"layout.json", {"\"nhwc\"", "\"hwc\""}, "input.layout is \"hwc\", not one of"},
      {"anchors.json",
       {"\"anchors_per_layer\": 2", "\"anchors_per_layer\": 3"},
       "anchors.strides and anchors.anchors_per_layer: anchors give 2 grid(s) of 768, 576"},
  };
  for (const Case &c : cases) {
    const std::string side = edited(sq, c.name, {model_line, c.edit});
    std::string error;
    EXPECT_EQ(start_with_model("emofacedetect", side, error), GST_STATE_CHANGE_FAILURE) << c.name;
    EXPECT_NE(error.find("Model sidecar '" + side + "'"), std::string::npos) << error;
    EXPECT_NE(error.find(c.says), std::string::npos) << error;
  }
}

}  // namespace
