// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the inference engine (emo::Network, ONNX Runtime): the networks' declared inputs and
// outputs, runs, the process-wide sharing, errors for missing, corrupt and truncated files
// and for a library older than the headers, and batched CNN runs against one face per run.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "emo/classify/cnn.hpp"
#include "emo/core/error.hpp"
#include "emo/core/inference.hpp"
#include "test_data.hpp"

namespace {

std::string model_dir() {
  const char *dir = std::getenv("GST_EMO_MODEL_DIR");
  return dir && *dir ? dir : EMO_TEST_MODEL_DIR;
}

std::filesystem::path temp_dir() {
  const auto d =
      std::filesystem::temp_directory_path() /
      ("emo-inference-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
       std::to_string(getpid()));
  std::filesystem::create_directories(d);
  return d;
}

// Four different faces: the astronaut's portrait, flipped, darker and smaller.
std::vector<cv::Mat> crops(int size) {
  const cv::Mat img = cv::imread(emo::test::kAstronaut, cv::IMREAD_GRAYSCALE);
  cv::Mat face = img(cv::Rect(150, 40, 160, 180)).clone(), c;
  std::vector<cv::Mat> out;
  cv::resize(face, c, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  out.push_back(c.clone());
  cv::flip(c, c, 1);
  out.push_back(c.clone());
  out.push_back(c * 0.5);
  cv::resize(img, c, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  out.push_back(c.clone());
  return out;
}

TEST(Network, DeclaresTheFilesInputsAndOutputs) {
  const auto net = emo::Network::load(model_dir() + "/emotion-finetuned.onnx");
  ASSERT_EQ(net->inputs().size(), 1u);
  EXPECT_EQ(net->inputs()[0].name, "input");
  EXPECT_EQ(net->inputs()[0].shape, (emo::Shape{-1, 1, 64, 64}));  // batch N is free
  ASSERT_EQ(net->outputs().size(), 2u);
  EXPECT_EQ(net->outputs()[0].name, "scores");
  EXPECT_EQ(net->outputs()[0].shape, (emo::Shape{-1, 6}));
  ASSERT_NE(net->output("embedding"), nullptr);
  EXPECT_EQ(net->output("nothing"), nullptr);
  const auto bf = emo::Network::load(model_dir() + "/blazeface/face_detection_back_256_rect.onnx");
  ASSERT_EQ(bf->inputs().size(), 1u);
  EXPECT_EQ(bf->inputs()[0].shape, (emo::Shape{1, -1, -1, 3}));  // NHWC, free height and width
  EXPECT_EQ(bf->outputs().size(), 4u);
  EXPECT_EQ(emo::onnxruntime_version(), "1.29.0");
}

TEST(Network, RunsABatchAndRefusesWrongShapes) {
  const auto net = emo::Network::load(model_dir() + "/emotion-finetuned.onnx");
  emo::Tensor in{{3, 1, 64, 64}, std::vector<float>(3 * 64 * 64, 0.f)};
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = static_cast<float>(i % 97) / 48.f - 1;
  const auto out = net->run({in}, {"scores"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape, (emo::Shape{3, 6}));
  for (int b = 0; b < 3; ++b) {
    float sum = 0;
    for (int c = 0; c < 6; ++c) sum += out[0].data[b * 6 + c];
    EXPECT_NEAR(sum, 1.f, 1e-4);  // softmax
  }
  const auto all = net->run({in});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].shape, (emo::Shape{3, 256}));
  emo::Tensor wrong{{1, 1, 32, 32}, std::vector<float>(32 * 32)};
  EXPECT_THROW(net->run({wrong}), std::invalid_argument);
  EXPECT_THROW(net->run({in}, {"nothing"}), std::invalid_argument);
  EXPECT_THROW(net->run(std::vector<emo::Tensor>{}), std::invalid_argument);
}

TEST(Network, OneLoadedNetworkPerFileSharedByItsUsers) {
  const std::string path = model_dir() + "/emotion-cnn.onnx";
  const emo::NetworkCacheStats before = emo::network_cache_stats();
  auto a = emo::Network::load(path);
  auto b = emo::Network::load(model_dir() + "/../models/emotion-cnn.onnx");  // same file
  EXPECT_EQ(a.get(), b.get());
  const emo::NetworkCacheStats during = emo::network_cache_stats();
  EXPECT_GE(during.users, before.users + 2);
  EXPECT_LE(during.loads, before.loads + 1);
  // Two CNN models of one file share the network too.
  const auto m1 = emo::CnnModel::load(model_dir() + "/emotion-cnn.json");
  const auto m2 = emo::CnnModel::load(model_dir() + "/emotion-cnn.json");
  EXPECT_EQ(&m1->network(), a.get());
  EXPECT_EQ(&m2->network(), a.get());
  EXPECT_EQ(emo::network_cache_stats().loads, during.loads);
  const std::string copy = (temp_dir() / "copy.onnx").string();
  std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
  auto c = emo::Network::load(copy);  // another file: its own network
  EXPECT_NE(c.get(), a.get());
  EXPECT_EQ(emo::network_cache_stats().networks, during.networks + 1);
  c.reset();
  EXPECT_EQ(emo::network_cache_stats().networks, during.networks);
}

TEST(Network, MissingCorruptAndTruncatedFilesAreModelErrorsNamingThem) {
  const auto dir = temp_dir();
  const std::string garbage = (dir / "garbage.onnx").string();
  std::ofstream(garbage) << "not a network";
  const std::string truncated = (dir / "truncated.onnx").string();
  {
    std::ifstream in(model_dir() + "/emotion-finetuned.onnx", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  for (const std::string &path :
       {(dir / "missing.onnx").string(), garbage, truncated, dir.string()}) {
    try {
      emo::Network::load(path, {}, "run tools/fetch-models.sh");
      ADD_FAILURE() << path << " loaded";
    } catch (const emo::ModelError &e) {
      EXPECT_EQ(e.path(), path);
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("tools/fetch-models.sh"), std::string::npos) << e.what();
    }
  }
}

TEST(Network, ALibraryOlderThanTheHeadersIsAModelErrorNamingIt) {
  EXPECT_NO_THROW(emo::detail::require_onnxruntime_api(1));
  try {
    // GetApi() returns NULL for an API version the library does not have, as a library older
    // than the headers does for the headers' version.
    emo::detail::require_onnxruntime_api(1000);
    ADD_FAILURE() << "API version 1000 accepted";
  } catch (const emo::ModelError &e) {
    EXPECT_NE(e.path().find("libonnxruntime.so.1"), std::string::npos) << e.path();
    EXPECT_NE(std::string(e.what()).find("tools/fetch-onnxruntime.sh"), std::string::npos)
        << e.what();
  }
}

TEST(CnnModel, OneBatchedRunGivesEachFaceItsOwnScores) {
  // The default network (free batch) and face-api's (batch fixed to 1: one face per run).
  for (const char *name : {"emotion-finetuned.json", "faceapi/faceapi-expression.json"}) {
    const std::string path = model_dir() + "/" + name;
    if (std::string(name).find("faceapi") != std::string::npos && !std::filesystem::exists(path))
      continue;  // fetched and converted at set-up (tools/fetch-models.sh)
    const auto m = emo::CnnModel::load(path);
    const std::vector<cv::Mat> faces = crops(m->spec().input.width);
    const std::vector<emo::CnnOutput> batch = m->run_batch(faces);
    ASSERT_EQ(batch.size(), faces.size());
    for (size_t i = 0; i < faces.size(); ++i) {
      const emo::CnnOutput one = m->run(faces[i]);
      ASSERT_EQ(batch[i].scores.size(), m->labels().size());
      for (size_t c = 0; c < one.scores.size(); ++c)
        EXPECT_NEAR(batch[i].scores[c], one.scores[c], 1e-5) << name << " face " << i;
      ASSERT_EQ(batch[i].embedding.size(), one.embedding.size());
    }
    // The faces differ, so do their scores (no face got another's).
    EXPECT_GT(std::abs(batch[0].scores[0] - batch[3].scores[0]) +
                  std::abs(batch[0].scores[2] - batch[3].scores[2]),
              1e-3)
        << name;
    EXPECT_TRUE(m->run_batch({}).empty());
    const emo::Tensor t = m->input_tensor(faces);
    EXPECT_EQ(t.shape, (emo::Shape{4, 1, m->spec().input.height, m->spec().input.width}));
  }
}

}  // namespace
