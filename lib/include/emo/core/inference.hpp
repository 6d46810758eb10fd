// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the one inference engine (ONNX Runtime, CPU), behind a small interface with no
// engine and no GStreamer types. Every network of the project runs through it: BlazeFace
// (emo/detect/blazeface.hpp) and the emotion CNNs (emo/classify/cnn.hpp).
//
// Engine: ONNX Runtime 1.29.0 (Microsoft, MIT), fetched at set-up by
// tools/fetch-onnxruntime.sh into third_party/onnxruntime/ and installed beside gst-emo's
// libraries (docs/onnxruntime.md). One ONNX Runtime environment per process, created on the
// first Network::load() (nothing happens when the plugin is loaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emo/core/tensor.hpp"

namespace emo {

/// How a network runs.
struct NetworkOptions {
  /// Threads ONNX Runtime uses inside one run (intra-op). 1: the calling thread alone, no
  /// thread pool (the default: the pipeline's own threads give the parallelism).
  int intra_op_threads = 1;
};

/// A float32 input without a copy: `data` holds Tensor::count(shape) values in row-major
/// order and must stay valid during Network::run().
struct TensorView {
  const float *data = nullptr;
  Shape shape;
};

/// One loaded ONNX network (an ONNX Runtime session on the CPU).
///
/// Thread-safe: run() is const and may be called from several threads at once (ONNX
/// Runtime's Session::Run is). So one loaded network serves every element and pipeline of the
/// process (see load()).
class Network {
 public:
  /// Returns the network of the ONNX file `path`, loading it only when no live user holds it
  /// already: a process-wide cache keyed by the canonical path, the file's size and
  /// modification time and the options, holding weak references (a network is freed when its
  /// last user drops it; a file replaced on disk is loaded afresh). Concurrent first calls for
  /// one file load it once.
  ///
  /// Throws emo::ModelError naming `path` when the file is missing, a directory, not a
  /// readable ONNX model, or uses an operator or type ONNX Runtime cannot run, or when the
  /// ONNX Runtime library is older than the headers gst-emo was built with. `how_to_get` is
  /// appended to the message: where the file comes from (e.g. "run tools/fetch-models.sh").
  static std::shared_ptr<const Network> load(const std::string &path,
                                             const NetworkOptions &options = {},
                                             const std::string &how_to_get = "");

  ~Network();
  Network(const Network &) = delete;
  Network &operator=(const Network &) = delete;

  /// The file it was loaded from (as given to load()).
  const std::string &path() const;
  /// The inputs and outputs as the file declares them, in the file's order; free dimensions
  /// are -1. Only float32 tensors are supported: load() refuses a network with other inputs.
  const std::vector<TensorInfo> &inputs() const;
  const std::vector<TensorInfo> &outputs() const;
  /// The output of that name (nullptr when the network has none).
  const TensorInfo *output(const std::string &name) const;

  /// Runs the network: `inputs` in inputs() order, each of a shape the network accepts (free
  /// dimensions any size); returns the outputs named by `output_names` (all outputs, in
  /// outputs() order, when empty), in that order, with their actual shapes. Throws
  /// std::invalid_argument for a wrong input count or size, std::runtime_error for what ONNX
  /// Runtime refuses (its message).
  std::vector<Tensor> run(const std::vector<TensorView> &inputs,
                          const std::vector<std::string> &output_names = {}) const;
  /// The same with owned tensors.
  std::vector<Tensor> run(const std::vector<Tensor> &inputs,
                          const std::vector<std::string> &output_names = {}) const;

  struct Impl;
  explicit Network(std::unique_ptr<Impl> impl);  ///< use load()

 private:
  std::unique_ptr<Impl> impl_;
};

/// The sharing of networks in this process (for emo-analyze's stats).
struct NetworkCacheStats {
  std::size_t networks = 0;  ///< networks loaded now (one per file and options)
  std::size_t users = 0;     ///< holders of those networks (elements, models) now
  std::size_t loads = 0;     ///< files read since the process started (cache misses)
};
NetworkCacheStats network_cache_stats();

/// The version of the ONNX Runtime library in use (e.g. "1.29.0"); loads the library's API
/// like load() does. Throws emo::ModelError as load() does for a library older than the
/// headers.
std::string onnxruntime_version();

namespace detail {
/// Checks that the ONNX Runtime library in use provides the C API of `version` (the headers'
/// ORT_API_VERSION in production; tests ask for a later one). Throws emo::ModelError naming
/// the library file and how to get a matching one otherwise.
void require_onnxruntime_api(std::uint32_t version);
}  // namespace detail

}  // namespace emo
