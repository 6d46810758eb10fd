// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-train: trains a gst-emo emotion model from labelled image folders - the appearance CNN
// fine-tuned with PyTorch (tools/emo-finetune.py, run as a child process), a random forest over
// landmark features, or a fused model over those features and the CNN's embedding and scores -
// reports identity-grouped cross-validation, saves the model.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <glib.h>

#include "dataset.hpp"
#include "emo/classify/classifier.hpp"
#include "emo/classify/fused.hpp"
#include "emo/core/error.hpp"
#include "emo/classify/features.hpp"
#include "evaluate.hpp"
#include "extract.hpp"
#include "finetune.hpp"
#include "training.hpp"
#include "training_fused.hpp"

using namespace emo_tools;

namespace {

struct Options {
  gchar *output = nullptr, *labels = nullptr, *cache = nullptr;
  gchar *landmarks = nullptr, *cascade = nullptr;
  gchar **whole = nullptr, **detect = nullptr, **maps = nullptr;
  gchar *kind = nullptr, *algorithm = nullptr, *cnn = nullptr, *inputs = nullptr, *dump = nullptr;
  gchar *python = nullptr, *script = nullptr, *freeze = nullptr, *prior = nullptr;
  gchar *ferplus = nullptr, *ferplus_targets = nullptr, *crops = nullptr;
  gdouble ferplus_weight = 1.0, l2 = 1e-3;
  gint ferplus_train_max = 0;
  gint hidden = 64, iterations = 300;
  gint epochs = 3;
  gdouble lr = 3e-3, label_smoothing = 0.0, balance = 1.0;
  gint trees = 200, max_depth = 20, min_samples = 2, active_vars = 0, folds = 5, seed = 42;
  gint threads = 2, upscale = 288;
  gdouble inset = 0.05;
  gboolean no_balance = FALSE, oversample = FALSE, no_progress = FALSE;
  ~Options() {
    g_free(output), g_free(labels), g_free(cache), g_free(landmarks), g_free(cascade);
    g_strfreev(whole), g_strfreev(detect), g_strfreev(maps);
    g_free(kind), g_free(algorithm), g_free(cnn), g_free(inputs), g_free(dump);
    g_free(python), g_free(script), g_free(freeze), g_free(prior);
    g_free(ferplus), g_free(ferplus_targets), g_free(crops);
  }
};

// Removes a temporary directory (and what is in it) when it goes out of scope.
struct TempDir {
  std::string path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// The CNN sidecar: $GST_EMO_MODEL_DIR/emotion-cnn.json, else models/emotion-cnn.json in the
// current directory (the source tree), else the installed one.
std::string default_cnn() {
  const char *dir = g_getenv("GST_EMO_MODEL_DIR");
  if (dir && *dir) return std::string(dir) + "/emotion-cnn.json";
  if (std::filesystem::exists("models/emotion-cnn.json")) return "models/emotion-cnn.json";
  return EMO_MODEL_INSTALL_DIR "/emotion-cnn.json";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Prints a confusion matrix and, when both sources are present, the figures per source
// (whole-image crops, detected faces) with the recall per class.
void print_evaluation(const std::vector<std::string> &labels, const Confusion &cm,
                      const Confusion &whole_cm, const Confusion &detect_cm) {
  cm.print(labels);
  if (!whole_cm.total() || !detect_cm.total()) return;
  std::printf("whole-image samples: accuracy %.3f, balanced accuracy %.3f\n", whole_cm.accuracy(),
              whole_cm.balanced_accuracy());
  std::printf("detected-face samples: accuracy %.3f, balanced accuracy %.3f\n",
              detect_cm.accuracy(), detect_cm.balanced_accuracy());
  std::printf("recall per class:   %-9s %-9s\n", "whole", "detected");
  for (size_t c = 0; c < labels.size(); ++c)
    std::printf("  %-16s %-9.3f %-9.3f\n", labels[c].c_str(), whole_cm.recall(static_cast<int>(c)),
                detect_cm.recall(static_cast<int>(c)));
}

int run(int argc, char **argv) {
  Options o;
  const GOptionEntry entries[] = {
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "Write the model here (.yml.gz)",
       "FILE"},
      {"whole-image", 'w', 0, G_OPTION_ARG_FILENAME_ARRAY, &o.whole,
       "Folder of <label>/<face crop> images (repeatable)", "DIR"},
      {"detect", 'd', 0, G_OPTION_ARG_FILENAME_ARRAY, &o.detect,
       "Folder of <label>/<photo> images; the largest detected face is used (repeatable)", "DIR"},
      {"ferplus", 0, 0, G_OPTION_ARG_FILENAME, &o.ferplus,
       "finetuned: FER+ folder (train|valid|test/<label>/*.png + labels.csv, see "
       "../shared/data/ferplus/README.md): train trains; valid and test, without images "
       "identical to an earlier split's, are only measured",
       "DIR"},
      {"ferplus-targets", 0, 0, G_OPTION_ARG_STRING, &o.ferplus_targets,
       "finetuned: FER+ train targets: votes (default: the 10 crowd votes as soft labels, FER+'s "
       "probability mode) or majority (the folder label)",
       "votes|majority"},
      {"ferplus-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.ferplus_weight,
       "finetuned: loss weight of a FER+ image against a folder image (default 1)", "F"},
      {"ferplus-train-max", 0, 0, G_OPTION_ARG_INT, &o.ferplus_train_max,
       "finetuned: use at most N FER+ train images, a random subset (--seed); 0 = all (default)",
       "N"},
      {"crops", 0, 0, G_OPTION_ARG_FILENAME, &o.crops,
       "finetuned: use the crops, samples and folds of an earlier --dump-crops DIR run (same "
       "folders, crop framing and --labels) instead of extracting them again",
       "DIR"},
      {"l2", 0, 0, G_OPTION_ARG_DOUBLE, &o.l2,
       "finetuned --freeze all: L2 penalty of the new layer (default 0.001)", "F"},
      {"labels", 'l', 0, G_OPTION_ARG_STRING, &o.labels,
       "Classes to use, in this order (after --map); default: every folder label", "A,B,..."},
      {"map", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &o.maps,
       "Rename/merge folder labels, e.g. happiness=HAPPY,sadness=SAD", "from=TO,..."},
      {"trees", 't', 0, G_OPTION_ARG_INT, &o.trees, "Number of trees (default 200)", "N"},
      {"max-depth", 0, 0, G_OPTION_ARG_INT, &o.max_depth, "Maximum tree depth (default 20)", "N"},
      {"min-samples", 0, 0, G_OPTION_ARG_INT, &o.min_samples,
       "Minimum samples to split a node (default 2)", "N"},
      {"active-vars", 0, 0, G_OPTION_ARG_INT, &o.active_vars,
       "Features tried per split (default 0 = sqrt of the feature count)", "N"},
      {"folds", 'k', 0, G_OPTION_ARG_INT, &o.folds,
       "Identity-grouped cross-validation folds (default 5; 0 = none)", "K"},
      {"no-balance", 0, 0, G_OPTION_ARG_NONE, &o.no_balance,
       "Do not weight classes inversely to their frequency (priors)", nullptr},
      {"oversample", 0, 0, G_OPTION_ARG_NONE, &o.oversample,
       "Replicate samples of smaller classes up to the largest class's count", nullptr},
      {"seed", 0, 0, G_OPTION_ARG_INT, &o.seed, "Random seed (default 42)", "N"},
      {"cache", 'c', 0, G_OPTION_ARG_FILENAME, &o.cache,
       "Feature cache file (cv::FileStorage, e.g. features.yml.gz): skips landmark fitting of "
       "images already seen with the same settings",
       "FILE"},
      {"threads", 'j', 0, G_OPTION_ARG_INT, &o.threads, "Worker threads (default 2)", "N"},
      {"upscale", 0, 0, G_OPTION_ARG_INT, &o.upscale,
       "Upscale face crops (--whole-image) and small --detect images to at least N px (default "
       "288)",
       "N"},
      {"inset", 0, 0, G_OPTION_ARG_DOUBLE, &o.inset,
       "Whole-image crops: face box inset per side, fraction of the side (default 0.05)", "F"},
      {"landmarks-model", 0, 0, G_OPTION_ARG_FILENAME, &o.landmarks,
       "68-point landmark model (default: dlib's)", "FILE"},
      {"detector", 0, 0, G_OPTION_ARG_FILENAME, &o.cascade,
       "Face detector for --detect folders: a BlazeFace .onnx (default: the full-range model "
       "emofacedetect uses, from $GST_EMO_MODEL_DIR or the installed model directory) or an "
       "OpenCV cascade .xml",
       "FILE"},
      {"cascade", 0, 0, G_OPTION_ARG_FILENAME, &o.cascade, "Same as --detector (older name)",
       "FILE"},
      {"no-progress", 0, 0, G_OPTION_ARG_NONE, &o.no_progress, "No progress bar", nullptr},
      {"kind", 0, 0, G_OPTION_ARG_STRING, &o.kind,
       "finetuned (default: the CNN fine-tuned with PyTorch, --output FILE.onnx + FILE.json), "
       "fused (a forest over geometry + CNN, see --inputs) or forest (landmark geometry only)",
       "KIND"},
      {"epochs", 0, 0, G_OPTION_ARG_INT, &o.epochs, "finetuned: training epochs (default 3)", "N"},
      {"freeze", 0, 0, G_OPTION_ARG_STRING, &o.freeze,
       "finetuned: residual blocks of the CNN kept fixed: 1 (the last block and a new final "
       "convolution are trained), 2 (only a new final convolution), 1+2 (default: both heads in "
       "one model, their mean scores; best in grouped CV), all (the whole CNN fixed, a new "
       "fully connected layer on its embedding; any CNN with an embedding output, e.g. "
       "face-api's)",
       "1|2|1+2|all"},
      {"lr", 0, 0, G_OPTION_ARG_DOUBLE, &o.lr,
       "finetuned: learning rate of the final convolution, the block's is a tenth (default "
       "0.003)",
       "F"},
      {"label-smoothing", 0, 0, G_OPTION_ARG_DOUBLE, &o.label_smoothing,
       "finetuned: label smoothing of the cross-entropy (default 0)", "F"},
      {"balance", 0, 0, G_OPTION_ARG_DOUBLE, &o.balance,
       "finetuned: class weights (n / (classes * count)) ^ F; 1 balanced (default), 0 none", "F"},
      {"prior", 0, 0, G_OPTION_ARG_STRING, &o.prior,
       "finetuned: multiply these classes' scores by FACTOR at prediction (in the "
       "cross-validation and the written model, not in training), e.g. happiness=1.5",
       "LABEL=F,..."},
      {"python", 0, 0, G_OPTION_ARG_FILENAME, &o.python,
       "finetuned: python interpreter with python3-torch (default /usr/bin/python3, else python3 "
       "from PATH)",
       "FILE"},
      {"finetune-script", 0, 0, G_OPTION_ARG_FILENAME, &o.script,
       "finetuned: the training script (default: tools/emo-finetune.py of the source tree for a "
       "build-tree binary, else the installed share/gst-emo/tools/emo-finetune.py)",
       "FILE"},
      {"algorithm", 0, 0, G_OPTION_ARG_STRING, &o.algorithm,
       "Fused model: rtrees (default: random forest, --trees ...) or mlp (--hidden)", "ALG"},
      {"cnn", 0, 0, G_OPTION_ARG_FILENAME, &o.cnn,
       "CNN sidecar (default: $GST_EMO_MODEL_DIR/emotion-cnn.json, else models/emotion-cnn.json, "
       "else " EMO_MODEL_INSTALL_DIR "/emotion-cnn.json); its zero-shot figures are reported too",
       "FILE"},
      {"inputs", 0, 0, G_OPTION_ARG_STRING, &o.inputs,
       "Fused model inputs (default geometry,embedding,scores)", "LIST"},
      {"hidden", 0, 0, G_OPTION_ARG_INT, &o.hidden, "mlp: hidden units (default 64, 0 = linear)",
       "N"},
      {"iterations", 0, 0, G_OPTION_ARG_INT, &o.iterations, "mlp: iterations (default 300)", "N"},
      {"dump-crops", 0, 0, G_OPTION_ARG_FILENAME, &o.dump,
       "Write each sample's aligned CNN crop (<index>.png) and DIR/samples.csv (index, label, "
       "identity, whole-image, status, path, geometry features); not with --cache hits",
       "DIR"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *ctx = g_option_context_new("- train a gst-emo emotion model");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_set_description(
      ctx,
      "Each DIR holds one sub-folder per label. Cross-validation folds never split an "
      "identity:\nCK+ 'S010_004_00000017.png' -> 'S010'; LFW-style 'First_Last_0001.jpg' -> "
      "'First_Last'\n(trailing _<digits> and extension removed); otherwise the file name.\n");
  GError *err = nullptr;
  const bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
  g_option_context_free(ctx);
  if (!parsed) {
    g_printerr("emo-train: %s\n", err->message);
    g_error_free(err);
    return 2;
  }
  if (!o.whole && !o.detect && !o.ferplus && !o.crops) {
    g_printerr(
        "emo-train: give at least one --whole-image, --detect or --ferplus folder (see "
        "--help)\n");
    return 2;
  }
  if (o.trees < 1 || o.max_depth < 1 || o.folds < 0 || o.threads < 1 || o.upscale < 1 ||
      o.inset <= -0.5 || o.inset >= 0.5) {
    g_printerr("emo-train: invalid numeric option (see --help)\n");
    return 2;
  }

  LabelMap map;
  std::string error;
  for (gchar **m = o.maps; m && *m; ++m) {
    if (!parse_label_map(*m, map, error)) {
      g_printerr("emo-train: %s\n", error.c_str());
      return 2;
    }
  }
  const std::vector<std::string> wanted =
      o.labels ? split_list(o.labels) : std::vector<std::string>{};

  const std::string kind = o.kind ? o.kind : "finetuned";
  if (kind != "fused" && kind != "forest" && kind != "finetuned") {
    g_printerr("emo-train: --kind must be finetuned, fused or forest\n");
    return 2;
  }
  if (o.ferplus && kind != "finetuned") {
    g_printerr("emo-train: --ferplus needs --kind finetuned\n");
    return 2;
  }
  FinetuneSetup ft;
  TempDir tmp_dump;
  const std::string freeze = o.freeze ? o.freeze : "1+2";
  if (kind == "finetuned") {
    if (o.epochs < 1 || (freeze != "1" && freeze != "2" && freeze != "1+2" && freeze != "all") ||
        o.lr <= 0 || o.label_smoothing < 0 || o.label_smoothing >= 1 || o.balance < 0 ||
        o.ferplus_weight <= 0 || o.ferplus_train_max < 0 || o.l2 < 0) {
      g_printerr(
          "emo-train: invalid --epochs, --freeze, --lr, --label-smoothing, --balance or "
          "--ferplus-weight\n");
      return 2;
    }
    ft.ferplus_targets = o.ferplus_targets ? o.ferplus_targets : "votes";
    if (ft.ferplus_targets != "votes" && ft.ferplus_targets != "majority") {
      g_printerr("emo-train: --ferplus-targets must be votes or majority\n");
      return 2;
    }
    ft.ferplus_weight = o.ferplus_weight, ft.ferplus_train_max = o.ferplus_train_max;
    ft.l2 = o.l2;
    if (o.ferplus) {
      ft.ferplus_csv = std::string(o.ferplus) + "/labels.csv";
      if (!std::filesystem::is_regular_file(ft.ferplus_csv)) {
        g_printerr("emo-train: --ferplus %s: no labels.csv there\n", o.ferplus);
        return 2;
      }
    }
    if (o.output) {
      ft.output = o.output;
      if (g_str_has_suffix(o.output, ".json"))
        ft.output = ft.output.substr(0, ft.output.size() - 5) + ".onnx";
      else if (!g_str_has_suffix(o.output, ".onnx")) {
        g_printerr(
            "emo-train: --kind finetuned writes an ONNX model: --output FILE.onnx (its "
            "sidecar FILE.json is written beside it)\n");
        return 2;
      }
    }
    ft.python = o.python ? o.python : default_python();
    std::vector<std::string> tried;
    ft.script = o.script ? o.script : find_finetune_script(tried);
    if (ft.script.empty() || !std::filesystem::is_regular_file(ft.script)) {
      std::string where = o.script ? o.script : "";
      for (const auto &t : tried) where += (where.empty() ? "" : ", ") + t;
      g_printerr(
          "emo-train: cannot find emo-finetune.py (looked at %s); give "
          "--finetune-script\n",
          where.c_str());
      return 2;
    }
    if (o.cache) {
      g_printerr(
          "emo-train: warning: --cache is not used with --kind finetuned (it needs every "
          "face's crop)\n");
      g_free(o.cache), o.cache = nullptr;
    }
    if (!o.dump) {
      GError *terr = nullptr;
      gchar *dir = g_dir_make_tmp("emo-train-XXXXXX", &terr);
      if (!dir) {
        g_printerr("emo-train: cannot make a temporary directory: %s\n", terr->message);
        g_error_free(terr);
        return 1;
      }
      tmp_dump.path = dir;
      g_free(dir);
    }
  }
  const std::string dump_dir = o.dump ? o.dump : tmp_dump.path;
  emo::FusedInputs inputs;
  try {
    if (o.inputs) inputs = emo::FusedInputs::parse(o.inputs);
  } catch (const std::invalid_argument &e) {
    g_printerr("emo-train: %s\n", e.what());
    return 2;
  }
  const std::string cnn_path = o.cnn ? o.cnn : default_cnn();
  std::shared_ptr<const emo::CnnModel> cnn;
  if (kind != "forest" || o.cnn || !dump_dir.empty()) cnn = emo::CnnModel::load(cnn_path);
  if (!dump_dir.empty()) std::filesystem::create_directories(dump_dir);

  const auto t0 = std::chrono::steady_clock::now();
  if (o.crops && kind != "finetuned") {
    g_printerr("emo-train: --crops needs --kind finetuned\n");
    return 2;
  }
  if (o.crops) {  // an earlier dump: straight to the fine-tuning
    if (wanted.empty() || !std::filesystem::is_regular_file(std::string(o.crops) + "/folds.csv")) {
      g_printerr("emo-train: --crops needs --labels and a DIR written by --dump-crops\n");
      return 2;
    }
    ft.dump = o.crops;
    ft.onnx = cnn->spec().onnx;
    ft.labels = wanted;
    ft.epochs = o.epochs, ft.freeze = freeze, ft.seed = o.seed;
    ft.lr = o.lr, ft.label_smoothing = o.label_smoothing, ft.balance = o.balance;
    ft.prior = o.prior ? o.prior : "";
    ft.cross_validate = o.folds >= 2;
    std::printf("fine-tuning %s on the crops of %s (%s blocks frozen, balance %g, prior %s)\n",
                ft.onnx.c_str(), o.crops, ft.freeze.c_str(), ft.balance,
                ft.prior.empty() ? "none" : ft.prior.c_str());
    std::string error;
    const int rc = run_finetune(ft, error);
    if (rc != 0) {
      g_printerr("emo-train: fine-tuning failed: %s\n",
                 error.empty() ? ("exit status " + std::to_string(rc)).c_str() : error.c_str());
      return rc == kFinetuneMissingModule ? 2 : 1;
    }
    return 0;
  }
  std::vector<Sample> samples;
  int excluded = 0;
  for (gchar **d = o.whole; d && *d; ++d) {
    auto s = scan_folder(*d, true, map, wanted, excluded);
    samples.insert(samples.end(), s.begin(), s.end());
  }
  for (gchar **d = o.detect; d && *d; ++d) {
    auto s = scan_folder(*d, false, map, wanted, excluded);
    samples.insert(samples.end(), s.begin(), s.end());
  }
  // FER+: 48x48 face crops as --whole-image; emo-finetune.py tells them (and their split)
  // apart by path through labels.csv. No identities: each file is its own group.
  size_t ferplus_samples = 0;
  for (const char *split : {"train", "valid", "test"}) {
    if (!o.ferplus) break;
    auto s = scan_folder(std::string(o.ferplus) + "/" + split, true, map, wanted, excluded);
    ferplus_samples += s.size();
    samples.insert(samples.end(), s.begin(), s.end());
  }
  if (samples.empty()) {
    g_printerr("emo-train: no images found\n");
    return 1;
  }

  ExtractSettings es;
  if (o.landmarks) es.landmarks_model = o.landmarks;
  if (o.cascade) es.detector_model = o.cascade;
  es.upscale = o.upscale, es.inset = o.inset, es.threads = o.threads, es.progress = !o.no_progress;
  es.cnn = cnn;
  es.dump_crops = dump_dir;
  es.cnn_scores = !o.ferplus;  // --ferplus: the zero-shot figures come from emo-finetune.py
  g_printerr("extracting features of %zu images...\n", samples.size());
  const Extraction ex = extract_features(samples, es, o.cache ? o.cache : "");
  const double t_extract = seconds_since(t0);

  // Classes: --labels order, else sorted folder labels.
  std::vector<std::string> labels = wanted;
  if (labels.empty()) {
    for (const auto &s : samples) labels.push_back(s.label);
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  }
  const int nc = static_cast<int>(labels.size());
  std::vector<int> used_w(nc), used_d(nc), no_face(nc), unreadable(nc);
  Dataset d;
  std::vector<size_t> sample_of_row;  // d's row -> samples index
  cv::Mat cnn_scores;                 // CNN class scores of the used samples (zero-shot figures)
  const int emb = cnn ? cnn->embedding_size() : 0;
  const int ncnn = cnn ? static_cast<int>(cnn->labels().size()) : 0;
  FILE *dump_csv =
      dump_dir.empty() ? nullptr : std::fopen((dump_dir + "/samples.csv").c_str(), "w");
  if (!dump_dir.empty() && !dump_csv) {
    g_printerr("emo-train: cannot write %s/samples.csv\n", dump_dir.c_str());
    return 1;
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    if (dump_csv) {
      std::fprintf(dump_csv, "%zu,%s,%s,%d,%d,%s", i, samples[i].label.c_str(),
                   samples[i].group.c_str(), samples[i].whole_image ? 1 : 0, ex.status[i],
                   samples[i].path.c_str());
      for (int j = 0; j < ex.features.cols; ++j)
        std::fprintf(dump_csv, ",%.6g", ex.features.at<float>(static_cast<int>(i), j));
      std::fprintf(dump_csv, "\n");
    }
    const int c = static_cast<int>(std::find(labels.begin(), labels.end(), samples[i].label) -
                                   labels.begin());
    if (ex.status[i] == kUnreadable) {
      ++unreadable[c];
      continue;
    }
    if (ex.status[i] == kNoFace) {
      ++no_face[c];
      continue;
    }
    ++(samples[i].whole_image ? used_w : used_d)[c];
    const int r = static_cast<int>(i);
    if (kind != "fused") {
      d.x.push_back(ex.features.row(r));
    } else {
      cv::Mat row(1, 0, CV_32F);
      if (inputs.geometry) cv::hconcat(row, ex.features.row(r), row);
      if (inputs.embedding) cv::hconcat(row, ex.cnn.row(r).colRange(0, emb), row);
      if (inputs.scores) cv::hconcat(row, ex.cnn.row(r).colRange(emb, emb + ncnn), row);
      d.x.push_back(row);
    }
    if (cnn) cnn_scores.push_back(ex.cnn.row(r).colRange(emb, emb + ncnn));
    d.y.push_back(c);
    d.groups.push_back(samples[i].group);
    sample_of_row.push_back(i);
    d.whole.push_back(samples[i].whole_image);
  }
  if (dump_csv) {
    std::fclose(dump_csv);
    // The cross-validation folds (same assignment as below), for experiments on the dump.
    if (FILE *f = std::fopen((dump_dir + "/folds.csv").c_str(), "w")) {
      const std::vector<int> fold =
          grouped_folds(d.groups, std::max(o.folds, 2), static_cast<unsigned>(o.seed));
      for (size_t r = 0; r < fold.size(); ++r)
        std::fprintf(f, "%zu,%d\n", sample_of_row[r], fold[r]);
      std::fclose(f);
    }
  }
  std::printf("%-12s %11s %8s %8s %10s\n", "class", "whole-image", "detect", "no face",
              "unreadable");
  int tot[4] = {0, 0, 0, 0};
  for (int c = 0; c < nc; ++c) {
    std::printf("%-12s %11d %8d %8d %10d\n", labels[c].c_str(), used_w[c], used_d[c], no_face[c],
                unreadable[c]);
    tot[0] += used_w[c], tot[1] += used_d[c], tot[2] += no_face[c], tot[3] += unreadable[c];
  }
  std::printf("%-12s %11d %8d %8d %10d\n", "total", tot[0], tot[1], tot[2], tot[3]);
  auto ids = d.groups;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::printf(
      "%zu identities; %d images of other labels excluded; %d from cache; "
      "features took %.1f s\n",
      ids.size(), excluded, ex.from_cache, t_extract);
  for (int c = 0; c < nc; ++c) {
    if (used_w[c] + used_d[c] == 0) {
      g_printerr("emo-train: class '%s' has no usable sample\n", labels[c].c_str());
      return 1;
    }
  }

  if (ferplus_samples)
    std::printf(
        "%zu FER+ images (train, valid, test) among the whole-image samples: figures per "
        "source and split come from the fine-tuning below\n",
        ferplus_samples);
  if (cnn && o.folds >= 2 && !ferplus_samples) {
    Confusion cm(nc), whole_cm(nc), detect_cm(nc);
    evaluate_cnn(d, cnn_scores, cnn->labels(), labels, cm, whole_cm, detect_cm);
    std::printf("\nCNN alone, zero-shot (%s; its classes outside --labels ignored):\n",
                cnn_path.c_str());
    print_evaluation(labels, cm, whole_cm, detect_cm);
  }

  if (kind == "finetuned") {
    ft.dump = dump_dir;
    ft.onnx = cnn->spec().onnx;
    ft.labels = labels;
    ft.epochs = o.epochs, ft.freeze = freeze, ft.seed = o.seed;
    ft.lr = o.lr, ft.label_smoothing = o.label_smoothing, ft.balance = o.balance;
    ft.prior = o.prior ? o.prior : "";
    ft.cross_validate = o.folds >= 2;
    std::printf(
        "\nfine-tuning %s with %s %s (%d epochs, %s blocks frozen, lr %g, label "
        "smoothing %g, balance %g, prior %s)%s\n",
        ft.onnx.c_str(), ft.python.c_str(), ft.script.c_str(), ft.epochs, ft.freeze.c_str(), ft.lr,
        ft.label_smoothing, ft.balance, ft.prior.empty() ? "none" : ft.prior.c_str(),
        ft.cross_validate ? "; identity-grouped cross-validation on the folds above" : "");
    std::string error;
    const int rc = run_finetune(ft, error);
    if (rc == kFinetuneMissingModule) {
      g_printerr(
          "emo-train: --kind finetuned needs PyTorch (and python3-onnx, -opencv, "
          "-numpy) for %s: on Debian, apt install python3-torch; or give --python, or "
          "--kind fused\n",
          ft.python.c_str());
      return 2;
    }
    if (rc != 0) {
      g_printerr("emo-train: fine-tuning failed: %s\n",
                 error.empty()
                     ? ("emo-finetune.py exited with status " + std::to_string(rc)).c_str()
                     : error.c_str());
      return 1;
    }
    if (!o.output) {
      g_printerr("emo-train: no --output: the final model is not trained\n");
      return 0;
    }
    std::printf("\nfinal model saved to %s (sidecar %s.json; total %.1f s)\n", ft.output.c_str(),
                ft.output.substr(0, ft.output.size() - 5).c_str(), seconds_since(t0));
    return 0;
  }

  TrainSetup setup;
  emo::TrainParams &params = setup.params;
  params.trees = o.trees, params.max_depth = o.max_depth, params.min_sample_count = o.min_samples;
  params.active_vars = o.active_vars, params.balance_classes = !o.no_balance, params.seed = o.seed;
  setup.oversample = o.oversample;
  std::printf(
      "forest: %d trees, max depth %d, min samples %d, active vars %d, priors %s, "
      "oversampling %s\n",
      params.trees, params.max_depth, params.min_sample_count, params.active_vars,
      params.balance_classes ? "balanced" : "none", setup.oversample ? "yes" : "no");

  FusedSetup fsetup;
  if (kind == "fused") {
    fsetup.cnn = cnn;
    fsetup.inputs = inputs;
    fsetup.params.algorithm = o.algorithm ? o.algorithm : "rtrees";
    fsetup.params.forest = params;
    fsetup.params.hidden = o.hidden;
    fsetup.params.iterations = o.iterations;
    // The sidecar as the model file will name it: relative to the model's directory.
    const std::filesystem::path out_dir =
        std::filesystem::absolute(o.output ? o.output : "x").parent_path();
    fsetup.cnn_sidecar =
        std::filesystem::absolute(cnn_path).lexically_relative(out_dir).lexically_normal().string();
    std::printf("fused model: %s over %s (%d values)\n", fsetup.params.algorithm.c_str(),
                inputs.str().c_str(), d.x.cols);
  }

  if (o.folds >= 2) {
    const auto t1 = std::chrono::steady_clock::now();
    Confusion cm(nc), whole_cm(nc), detect_cm(nc);
    if (kind == "fused")
      cross_validate_fused(d, labels, o.folds, fsetup, static_cast<unsigned>(o.seed), o.threads, cm,
                           whole_cm, detect_cm);
    else
      cross_validate(d, labels, o.folds, setup, o.threads, cm, whole_cm, detect_cm);
    std::printf("\n%d-fold cross-validation grouped by identity (%.1f s):\n", o.folds,
                seconds_since(t1));
    print_evaluation(labels, cm, whole_cm, detect_cm);
  }

  if (!o.output) {
    g_printerr("emo-train: no --output: the final model is not trained\n");
    return 0;
  }
  const auto t2 = std::chrono::steady_clock::now();
  if (kind == "fused")
    train_fused_on(d, {}, labels, fsetup).save(o.output);
  else
    train_on(d, {}, labels, setup).save(o.output);
  std::printf("\nfinal model: %d samples, trained in %.1f s, saved to %s (total %.1f s)\n",
              d.x.rows, seconds_since(t2), o.output, seconds_since(t0));
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const emo::ModelError &e) {
    g_printerr("emo-train: %s\n", e.what());
    return 2;
  } catch (const std::exception &e) {
    g_printerr("emo-train: error: %s\n", e.what());
    return 1;
  }
}
