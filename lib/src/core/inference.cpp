// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the one inference engine, ONNX Runtime (see emo/core/inference.hpp).
#include "emo/core/inference.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <utility>

// No static initialisation of the C++ API: the C API of the headers' version is asked for on
// the first load, so that a library older than the headers (GetApi() returns NULL) is an error
// and not a crash.
#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>
#undef ORT_API_MANUAL_INIT

#include "emo/core/error.hpp"
#include "file_key.hpp"

namespace emo {
namespace {

constexpr const char *kLibraryHint =
    "; ONNX Runtime 1.29.0 comes from the npm package com.github.asus4.onnxruntime 0.4.9: run "
    "tools/fetch-onnxruntime.sh (tools/setup.sh runs it) and rebuild, or reinstall gst-emo, "
    "which installs its library beside its own";

// The file the dynamic linker loaded ONNX Runtime from.
std::string library_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&OrtGetApiBase), &info) != 0 && info.dli_fname != nullptr)
    return info.dli_fname;
  return "libonnxruntime.so.1";
}

std::mutex &engine_mutex() {
  static std::mutex m;
  return m;
}

// The process's ONNX Runtime environment, created on first use (engine_mutex() held).
Ort::Env &env() {
  detail::require_onnxruntime_api(ORT_API_VERSION);
  // Errors only: its warnings are about the files' contents (unused initializers), not for users.
  static Ort::Env e = [] {
    // ONNX Runtime 1.29's Linux build collects telemetry (1DS) from the environment's creation
    // on: it writes a device id and an event cache under ~/.cache/Microsoft/DeveloperTools/,
    // mat-debug-PID.log and .ses in $TMPDIR, and would upload to Microsoft. gst-emo sends
    // nothing anywhere: ORT_DISABLE_TELEMETRY=1, read once when the environment is created, is
    // its full opt-out (a value the user set is kept). DisableTelemetryEvents() alone is not
    // enough: with it and without the variable the files above are still written (checked
    // with ORT 1.29.0 and HOME/TMPDIR set to empty folders). setenv() is not safe against a
    // concurrent getenv() that walks an environment array setenv() frees; it runs once, under
    // engine_mutex(), only when the variable is absent, and glibc keeps the process's first
    // environment array alive when setenv() grows it, so a reader of that array is not hurt.
    if (std::getenv("ORT_DISABLE_TELEMETRY") == nullptr) setenv("ORT_DISABLE_TELEMETRY", "1", 0);
    Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "gst-emo");
    env.DisableTelemetryEvents();
    return env;
  }();
  return e;
}

Shape shape_of(const Ort::ConstTensorTypeAndShapeInfo &info) {
  Shape s = info.GetShape();
  for (int64_t &d : s)
    if (d < 0) d = -1;
  return s;
}

}  // namespace

namespace detail {

void require_onnxruntime_api(std::uint32_t version) {
  const OrtApiBase *base = OrtGetApiBase();
  const OrtApi *api = base != nullptr ? base->GetApi(version) : nullptr;
  if (api == nullptr) {
    const char *have = base != nullptr ? base->GetVersionString() : "unknown";
    throw ModelError(library_path(), "",
                     "the ONNX Runtime library (version " + std::string(have) +
                         ") does not provide the C API version " + std::to_string(version) +
                         " gst-emo was built with: it is older than the headers" + kLibraryHint);
  }
  if (version == ORT_API_VERSION) Ort::InitApi(api);
}

}  // namespace detail

struct Network::Impl {
  std::string path;
  mutable Ort::Session session{nullptr};  // Run() is thread-safe, not const in the C++ API
  std::vector<TensorInfo> inputs, outputs;
  std::vector<std::string> input_names_storage;
  std::vector<const char *> input_names, all_output_names;
  Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeCPU);
};

namespace {

std::unique_ptr<Network::Impl> open(const std::string &path, const NetworkOptions &options,
                                    const std::string &hint) {
  std::error_code ec;
  if (path.empty()) throw ModelError(path, "", "no file name given" + hint);
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, "", "no such file" + hint);
  if (std::filesystem::is_directory(path, ec))
    throw ModelError(path, "", "is a directory, not an ONNX file" + hint);
  Ort::Env &e = env();  // throws ModelError for a mismatched library
  auto impl = std::make_unique<Network::Impl>();
  impl->path = path;
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(std::max(1, options.intra_op_threads));
    so.SetInterOpNumThreads(1);
    so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    so.AddConfigEntry("session.intra_op.allow_spinning", "0");  // a shared CPU: no busy wait
    impl->session = Ort::Session(e, path.c_str(), so);
    Ort::AllocatorWithDefaultOptions alloc;
    for (size_t i = 0; i < impl->session.GetInputCount(); ++i) {
      const Ort::TypeInfo t = impl->session.GetInputTypeInfo(i);
      if (t.GetONNXType() != ONNX_TYPE_TENSOR ||
          t.GetTensorTypeAndShapeInfo().GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
        throw ModelError(path, "",
                         "input " + std::to_string(i) + " is not a float32 tensor" + hint);
      impl->inputs.push_back({impl->session.GetInputNameAllocated(i, alloc).get(),
                              shape_of(t.GetTensorTypeAndShapeInfo())});
    }
    for (size_t i = 0; i < impl->session.GetOutputCount(); ++i) {
      const Ort::TypeInfo t = impl->session.GetOutputTypeInfo(i);
      Shape s;
      if (t.GetONNXType() == ONNX_TYPE_TENSOR) s = shape_of(t.GetTensorTypeAndShapeInfo());
      impl->outputs.push_back({impl->session.GetOutputNameAllocated(i, alloc).get(), s});
    }
  } catch (const Ort::Exception &ex) {
    throw ModelError(path, "",
                     std::string("not a model ONNX Runtime can run (") + ex.what() + ")" + hint);
  }
  for (const TensorInfo &i : impl->inputs) impl->input_names.push_back(i.name.c_str());
  for (const TensorInfo &o : impl->outputs) impl->all_output_names.push_back(o.name.c_str());
  return impl;
}

struct Cache {
  using Key = std::tuple<detail::FileKey, int>;
  std::mutex mutex;
  std::map<Key, std::weak_ptr<const Network>> networks;
  std::size_t loads = 0;
};

Cache &cache() {
  static Cache c;
  return c;
}

}  // namespace

Network::Network(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Network::~Network() = default;

std::shared_ptr<const Network> Network::load(const std::string &path, const NetworkOptions &options,
                                             const std::string &how_to_get) {
  const std::string hint = how_to_get.empty() ? "" : "; " + how_to_get;
  Cache &c = cache();
  const Cache::Key key{detail::file_key(path), std::max(1, options.intra_op_threads)};
  // Held while loading, so that concurrent first users of one file load it once.
  std::lock_guard<std::mutex> lock(c.mutex);
  if (std::shared_ptr<const Network> n = c.networks[key].lock()) return n;
  std::unique_ptr<Impl> impl;
  {
    std::lock_guard<std::mutex> engine(engine_mutex());
    impl = open(path, options, hint);
  }
  auto network = std::make_shared<const Network>(std::move(impl));
  ++c.loads;
  c.networks[key] = network;
  for (auto it = c.networks.begin(); it != c.networks.end();)  // forget freed networks
    it = it->second.expired() ? c.networks.erase(it) : std::next(it);
  return network;
}

NetworkCacheStats network_cache_stats() {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  NetworkCacheStats s;
  s.loads = c.loads;
  for (const auto &entry : c.networks) {
    const long users = entry.second.use_count();
    if (users <= 0) continue;
    ++s.networks;
    s.users += static_cast<std::size_t>(users);
  }
  return s;
}

std::string onnxruntime_version() {
  std::lock_guard<std::mutex> engine(engine_mutex());
  env();
  return Ort::GetVersionString();
}

const std::string &Network::path() const { return impl_->path; }
const std::vector<TensorInfo> &Network::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo> &Network::outputs() const { return impl_->outputs; }

const TensorInfo *Network::output(const std::string &name) const {
  for (const TensorInfo &o : impl_->outputs)
    if (o.name == name) return &o;
  return nullptr;
}

std::vector<Tensor> Network::run(const std::vector<TensorView> &inputs,
                                 const std::vector<std::string> &output_names) const {
  const Impl &n = *impl_;
  if (inputs.size() != n.inputs.size())
    throw std::invalid_argument(n.path + ": " + std::to_string(inputs.size()) +
                                " inputs given, the network takes " +
                                std::to_string(n.inputs.size()));
  std::vector<Ort::Value> values;
  values.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorView &in = inputs[i];
    const Shape &want = n.inputs[i].shape;
    bool fits = in.data != nullptr && in.shape.size() == want.size();
    for (size_t d = 0; fits && d < want.size(); ++d)
      fits = in.shape[d] >= 0 && (want[d] < 0 || want[d] == in.shape[d]);
    if (!fits) {
      std::string s;
      for (int64_t d : want) s += (s.empty() ? "" : " x ") + std::to_string(d);
      throw std::invalid_argument(n.path + ": input '" + n.inputs[i].name +
                                  "' does not have the network's shape [" + s + "] (-1: any size)");
    }
    values.push_back(Ort::Value::CreateTensor<float>(n.memory, const_cast<float *>(in.data),
                                                     static_cast<size_t>(Tensor::count(in.shape)),
                                                     in.shape.data(), in.shape.size()));
  }
  std::vector<const char *> names;
  if (output_names.empty()) {
    names = n.all_output_names;
  } else {
    for (const std::string &s : output_names) {
      if (!output(s)) throw std::invalid_argument(n.path + ": no output named '" + s + "'");
      names.push_back(s.c_str());
    }
  }
  std::vector<Ort::Value> outs;
  try {
    outs = n.session.Run(Ort::RunOptions{nullptr}, n.input_names.data(), values.data(),
                         values.size(), names.data(), names.size());
  } catch (const Ort::Exception &ex) {
    throw std::runtime_error(n.path + ": " + ex.what());
  }
  std::vector<Tensor> result(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    const auto info = outs[i].GetTensorTypeAndShapeInfo();
    if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)
      throw std::runtime_error(n.path + ": output '" + names[i] + "' is not float32");
    result[i].shape = info.GetShape();
    const float *p = outs[i].GetTensorData<float>();
    result[i].data.assign(p, p + info.GetElementCount());
  }
  return result;
}

std::vector<Tensor> Network::run(const std::vector<Tensor> &inputs,
                                 const std::vector<std::string> &output_names) const {
  std::vector<TensorView> views;
  views.reserve(inputs.size());
  for (const Tensor &t : inputs) {
    if (static_cast<int64_t>(t.data.size()) != Tensor::count(t.shape))
      throw std::invalid_argument(impl_->path + ": a tensor's data does not match its shape");
    views.push_back({t.data.data(), t.shape});
  }
  return run(views, output_names);
}

}  // namespace emo
