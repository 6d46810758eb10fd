// SPDX-License-Identifier: LGPL-2.1-or-later
#include "finetune.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>

#include <sys/wait.h>

#include <glib.h>

#include "emo/core/model_path.hpp"

namespace emo_tools {

std::string default_python() {
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

std::string find_finetune_script(std::vector<std::string> &tried) {
  const std::vector<std::string> candidates = {
      emo::default_model_path("../tools/emo-finetune.py"),
      EMO_SOURCE_TOOLS_DIR "/emo-finetune.py",
      EMO_MODEL_INSTALL_DIR "/../tools/emo-finetune.py",
  };
  for (const std::string &c : candidates) {
    const std::string path = std::filesystem::path(c).lexically_normal().string();
    tried.push_back(path);
    if (std::filesystem::is_regular_file(path)) return path;
  }
  return {};
}

namespace {

// A number as python's float() reads it, whatever the C locale.
std::string number(double v) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_dtostr(buf, sizeof buf, v);
}

}  // namespace

std::vector<std::string> finetune_argv(const FinetuneSetup &s) {
  std::string labels;
  for (const std::string &l : s.labels) labels += (labels.empty() ? "" : ",") + l;
  std::vector<std::string> argv = {s.python,
                                   s.script,
                                   s.dump,
                                   "--labels",
                                   labels,
                                   "--onnx",
                                   s.onnx,
                                   "--epochs",
                                   std::to_string(s.epochs),
                                   "--freeze",
                                   s.freeze,
                                   "--seed",
                                   std::to_string(s.seed),
                                   "--lr",
                                   number(s.lr),
                                   "--label-smoothing",
                                   number(s.label_smoothing),
                                   "--balance",
                                   number(s.balance)};
  if (!s.prior.empty()) argv.insert(argv.end(), {"--prior", s.prior});
  if (!s.ferplus_csv.empty())
    argv.insert(argv.end(), {"--ferplus", s.ferplus_csv, "--ferplus-targets", s.ferplus_targets,
                             "--ferplus-weight", number(s.ferplus_weight)});
  if (s.ferplus_train_max > 0)
    argv.insert(argv.end(), {"--ferplus-train-max", std::to_string(s.ferplus_train_max)});
  if (s.freeze == "all") argv.insert(argv.end(), {"--l2", number(s.l2)});
  if (!s.cross_validate) argv.push_back("--no-cv");
  if (!s.output.empty()) argv.insert(argv.end(), {"--output", s.output});
  return argv;
}

int run_finetune(const FinetuneSetup &setup, std::string &error) {
  const std::vector<std::string> args = finetune_argv(setup);
  std::vector<gchar *> argv;
  for (const std::string &a : args) argv.push_back(const_cast<gchar *>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  // No standard_output/standard_error: the child inherits ours.
  const GSpawnFlags flags = static_cast<GSpawnFlags>(
      g_path_is_absolute(setup.python.c_str()) ? G_SPAWN_DEFAULT : G_SPAWN_SEARCH_PATH);
  gint status = 0;
  GError *err = nullptr;
  if (!g_spawn_sync(nullptr, argv.data(), nullptr, flags, nullptr, nullptr, nullptr, nullptr,
                    &status, &err)) {
    error = std::string("cannot run ") + setup.python + ": " + err->message;
    g_error_free(err);
    return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  error = setup.script + " was killed by signal " + std::to_string(WTERMSIG(status));
  return -1;
}

}  // namespace emo_tools
