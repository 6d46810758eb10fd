// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo tools: emo-train --kind finetuned - the appearance CNN fine-tuned with PyTorch by
// tools/emo-finetune.py, run as a child process (g_spawn) on a crop dump emo-train writes.
#pragma once

#include <string>
#include <vector>

namespace emo_tools {

/// Exit status of emo-finetune.py when python lacks torch, onnx, cv2 or numpy.
constexpr int kFinetuneMissingModule = 3;

struct FinetuneSetup {
  std::string python;  ///< interpreter (absolute, or a name looked up in $PATH)
  std::string script;  ///< emo-finetune.py
  std::string dump;    ///< directory with <index>.png, samples.csv, folds.csv
  std::string onnx;    ///< the CNN to start from (its sidecar: same name, .json)
  std::vector<std::string> labels;
  std::string output;  ///< ONNX file to write (sidecar: same name, .json); empty: CV only
  int epochs = 3, seed = 42;
  /// blocks kept fixed: "1", "2", "1+2" (an ensemble of both) or "all" (a new fully connected
  /// layer on the fixed embedding)
  std::string freeze = "1";
  bool cross_validate = true;
  double lr = 3e-3, label_smoothing = 0.0, balance = 1.0;
  std::string prior;  ///< "LABEL=FACTOR,...": score factors at prediction; empty: none
  /// FER+'s labels.csv when the dump holds FER+ images (emo-train --ferplus); empty: none.
  std::string ferplus_csv;
  std::string ferplus_targets = "votes";  ///< "votes" (soft labels) or "majority"
  double ferplus_weight = 1.0;            ///< loss weight of a FER+ image
  int ferplus_train_max = 0;              ///< at most this many FER+ train images; 0: all
  double l2 = 1e-3;                       ///< freeze "all": L2 penalty of the new layer
};

/// The interpreter emo-train runs the script with by default: Debian's /usr/bin/python3 when
/// it exists (python3-torch is installed for it), else "python3" from $PATH.
std::string default_python();

/// emo-finetune.py: beside the models as they are found (emo::find_model("../tools/...")):
/// <source tree>/tools for a build-tree binary, <prefix>/share/gst-emo/tools when installed;
/// also the compiled-in source and install locations when $GST_EMO_MODEL_DIR points elsewhere.
/// Empty when none exists; `tried` gets the paths looked at.
std::string find_finetune_script(std::vector<std::string> &tried);

/// The child's argument vector (argv[0] = python).
std::vector<std::string> finetune_argv(const FinetuneSetup &setup);

/// Runs the script (g_spawn_sync; stdout and stderr inherited, so its figures print as they
/// come) and waits. Returns its exit status (kFinetuneMissingModule: torch & co. missing);
/// -1 with `error` set when it could not be started or was killed by a signal.
int run_finetune(const FinetuneSetup &setup, std::string &error);

}  // namespace emo_tools
