// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-predict: classifies the emotion of every face in still images; one JSON line per image.
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "dataset.hpp"
#include "emo/classify/classifier.hpp"
#include "emo/detect/detection.hpp"
#include "emo/classify/emotion_model.hpp"
#include "emo/detect/detector.hpp"
#include "emo/core/error.hpp"
#include "emo/core/model_path.hpp"
#include "emo/classify/features.hpp"
#include "emo/classify/surprise_check.hpp"
#include "emo/landmarks/landmarker.hpp"
#include "extract.hpp"

// The default emotion model, the same file as emoclassify's default.
#define EMO_DEFAULT_EMOTION_MODEL "emotion-ferplus-e2e.json"

using namespace emo_tools;

namespace {

struct Options {
  gchar *model = nullptr, *landmarks = nullptr, *cascade = nullptr;
  gboolean whole = FALSE;
  gint upscale = 288;
  gdouble inset = 0.05;
  gint64 max_pixels = 50000000;
  gchar **files = nullptr;
  ~Options() { g_free(model), g_free(landmarks), g_free(cascade), g_strfreev(files); }
};

// $GST_EMO_MODEL_DIR, else the source tree's models/ for a build-tree binary, else installed.
std::string default_model() { return emo::default_model_path(EMO_DEFAULT_EMOTION_MODEL); }

// Vote shares are multiples of 1/trees: 4 decimals keep them exact enough and readable.
double rounded(double v) { return std::round(v * 1e4) / 1e4; }

void add_box(JsonBuilder *b, const emo::Box &box) {
  json_builder_set_member_name(b, "box");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "x");
  json_builder_add_int_value(b, box.x);
  json_builder_set_member_name(b, "y");
  json_builder_add_int_value(b, box.y);
  json_builder_set_member_name(b, "width");
  json_builder_add_int_value(b, box.width);
  json_builder_set_member_name(b, "height");
  json_builder_add_int_value(b, box.height);
  json_builder_end_object(b);
}

void add_face(JsonBuilder *b, const emo::Box &box, const std::vector<emo::Point> &landmarks,
              const emo::Prediction &p, const std::vector<std::string> &labels) {
  json_builder_begin_object(b);
  add_box(b, box);
  json_builder_set_member_name(b, "landmarks");
  json_builder_add_int_value(b, static_cast<gint64>(landmarks.size()));
  // The facial-action measures the surprise check uses (tools/emo-calibrate-surprise.py).
  if (const std::optional<emo::FaceActions> a = emo::face_actions(landmarks)) {
    json_builder_set_member_name(b, "actions");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "brow-raise");
    json_builder_add_double_value(b, rounded(a->brow_raise));
    json_builder_set_member_name(b, "mouth-open");
    json_builder_add_double_value(b, rounded(a->mouth_open));
    json_builder_set_member_name(b, "eye-open");
    json_builder_add_double_value(b, rounded(a->eye_open));
    json_builder_end_object(b);
  }
  json_builder_set_member_name(b, "label");
  json_builder_add_string_value(b, p.label.c_str());
  json_builder_set_member_name(b, "confidence");
  json_builder_add_double_value(b, rounded(p.confidence));
  json_builder_set_member_name(b, "scores");
  json_builder_begin_object(b);
  for (size_t c = 0; c < labels.size() && c < p.scores.size(); ++c) {
    json_builder_set_member_name(b, labels[c].c_str());
    json_builder_add_double_value(b, rounded(p.scores[c]));
  }
  json_builder_end_object(b);
  json_builder_end_object(b);
}

void print_json(JsonBuilder *b) {
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  g_autofree gchar *text = json_generator_to_data(gen, nullptr);
  std::printf("%s\n", text);
  std::fflush(stdout);
}

void print_error(const std::string &file, const std::string &message) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "file");
  json_builder_add_string_value(b, file.c_str());
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, message.c_str());
  json_builder_end_object(b);
  print_json(b);
}

// The image's width and height from its header (gdk-pixbuf reads only as much of the file as
// it needs for them), so that a huge image is refused before anything is decoded. Empty when
// no loader knows the format.
std::optional<std::pair<int, int>> header_size(const std::string &file) {
  int width = 0, height = 0;
  if (!gdk_pixbuf_get_file_info(file.c_str(), &width, &height) || width <= 0 || height <= 0)
    return std::nullopt;
  return std::make_pair(width, height);
}

class Predictor {
 public:
  explicit Predictor(const Options &o)
      : model_(emo::EmotionModel::load(o.model ? o.model : default_model())),
        landmarker_(o.landmarks ? o.landmarks : emo::Landmarker::kDefaultModel),
        whole_(o.whole),
        upscale_(o.upscale),
        inset_(o.inset),
        max_pixels_(o.max_pixels) {
    if (landmarker_.num_points() != emo::kFeatureLandmarks)
      throw emo::ModelMismatch(
          "the landmark model gives " + std::to_string(landmarker_.num_points()) +
          " points; the emotion model needs " + std::to_string(emo::kFeatureLandmarks));
    if (!whole_)
      detector_ = emo::detect::make_detector(o.cascade ? o.cascade : default_detector_model());
  }

  // Prints the line of one file; false when it could not be read.
  bool run(const std::string &file) {
    const std::optional<std::pair<int, int>> size = header_size(file);
    if (!size) {
      print_error(file, "unreadable image");
      return false;
    }
    const gint64 pixels = static_cast<gint64>(size->first) * size->second;
    if (pixels > max_pixels_) {
      print_error(file, "image too large: " + std::to_string(size->first) + " x " +
                            std::to_string(size->second) + " = " + std::to_string(pixels) +
                            " pixels, more than the limit of " + std::to_string(max_pixels_) +
                            " (--max-pixels); not decoded");
      return false;
    }
    const cv::Mat gray = read_gray(file);
    if (gray.empty()) {
      print_error(file, "unreadable image");
      return false;
    }
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "file");
    json_builder_add_string_value(b, file.c_str());
    json_builder_set_member_name(b, "faces");
    json_builder_begin_array(b);
    if (whole_) {
      const WholeFace face = prepare_whole_face(gray, upscale_, inset_);
      classify(b, face.image, face.box, face.original_box);
    } else {
      DetectImage img = prepare_for_detection(gray, upscale_);
      if (is_blazeface(*detector_)) add_detection_margin(img);
      for (const emo::detect::FaceDetection &face :
           detector_->detect(emo::detect::FrameView::from_mat(img.image), emo::DetectorParams{})) {
        const emo::Box box = face.pixel_box(img.image.cols, img.image.rows);
        classify(b, img.image, box, img.to_input(box));
      }
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    print_json(b);
    return true;
  }

 private:
  void classify(JsonBuilder *b, const cv::Mat &image, const emo::Box &box, const emo::Box &shown) {
    const std::vector<emo::Point> points =
        landmarker_.fit(image, detector_ ? fit_box(*detector_, box) : box);
    add_face(b, shown, points, model_.predict(image, box, points), model_.labels());
  }

  emo::EmotionModel model_;
  emo::Landmarker landmarker_;
  std::unique_ptr<emo::detect::Detector> detector_;
  bool whole_;
  int upscale_;
  double inset_;
  gint64 max_pixels_;
};

int run(int argc, char **argv) {
  Options o;
  const GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model,
       "Emotion model: CNN sidecar .json/.onnx, fused .yml.gz or landmark forest .yml.gz "
       "(default: " EMO_DEFAULT_EMOTION_MODEL " from $GST_EMO_MODEL_DIR, else the source tree's "
       "models/ for a build-tree binary, else " EMO_MODEL_INSTALL_DIR ")",
       "FILE"},
      {"landmarks-model", 0, 0, G_OPTION_ARG_FILENAME, &o.landmarks,
       "68-point landmark model (default: dlib's)", "FILE"},
      {"detector", 0, 0, G_OPTION_ARG_FILENAME, &o.cascade,
       "Face detector: a BlazeFace .onnx (default: the full-range model emofacedetect uses, "
       "found like the emotion model) or an OpenCV cascade .xml",
       "FILE"},
      {"cascade", 0, 0, G_OPTION_ARG_FILENAME, &o.cascade, "Same as --detector (older name)",
       "FILE"},
      {"whole-image", 'w', 0, G_OPTION_ARG_NONE, &o.whole,
       "Each image is one face crop: no detection", nullptr},
      {"upscale", 0, 0, G_OPTION_ARG_INT, &o.upscale,
       "Upscale face crops (--whole-image) and small images to at least N px (default 288)", "N"},
      {"inset", 0, 0, G_OPTION_ARG_DOUBLE, &o.inset,
       "With --whole-image: face box inset per side, fraction of the side (default 0.05)", "F"},
      {"max-pixels", 0, 0, G_OPTION_ARG_INT64, &o.max_pixels,
       "Refuse images of more than N pixels (width x height, read from the header before "
       "decoding; default 50000000)",
       "N"},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.files, nullptr, "IMAGE..."},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *ctx = g_option_context_new("- classify facial emotions in images");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_set_description(
      ctx,
      "Prints one JSON line per image. Images larger than --max-pixels, or whose size cannot "
      "be read\nfrom their header (gdk-pixbuf: PNG, JPEG, GIF, BMP, TIFF, PNM, ...), get an "
      "\"error\" line.\nExit status: 0 all images read, 1 some image could not be read, 2 usage "
      "or model error.\n");
  GError *err = nullptr;
  const bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
  g_option_context_free(ctx);
  if (!parsed) {
    g_printerr("emo-predict: %s\n", err->message);
    g_error_free(err);
    return 2;
  }
  if (!o.files || !*o.files) {
    g_printerr("emo-predict: no image given (see --help)\n");
    return 2;
  }
  if (o.upscale < 1 || o.inset <= -0.5 || o.inset >= 0.5 || o.max_pixels < 1) {
    g_printerr("emo-predict: invalid --upscale, --inset or --max-pixels\n");
    return 2;
  }
  std::unique_ptr<Predictor> predictor;
  try {
    predictor = std::make_unique<Predictor>(o);
  } catch (const emo::ModelError &e) {
    g_printerr("emo-predict: %s\n", e.what());
    return 2;
  } catch (const emo::ModelMismatch &e) {
    g_printerr("emo-predict: %s\n", e.what());
    return 2;
  }
  int status = 0;
  for (gchar **f = o.files; *f; ++f) {
    try {
      if (!predictor->run(*f)) status = 1;
    } catch (const std::exception &e) {
      print_error(*f, e.what());
      status = 1;
    }
  }
  return status;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    g_printerr("emo-predict: error: %s\n", e.what());
    return 1;
  }
}
