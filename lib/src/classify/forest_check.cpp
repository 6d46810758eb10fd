// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo (private): validation of an emotion model's forest before OpenCV reads it
// (forest_check.hpp). OpenCV 4.6's DTreesImpl::readSplit() only asserts var <= var_type's size
// (one past the end) and predictions trust every child index, so a crafted file crashes it.
#include "forest_check.hpp"

#include <cmath>
#include <vector>

#include "emo/core/error.hpp"

namespace emo::detail {
namespace {

class Checker {
 public:
  Checker(const std::string &path) : path_(path) {}

  [[noreturn]] void fail(const std::string &what) const {
    throw ModelError(path_, "", "malformed forest: " + what);
  }

  int integer(const cv::FileNode &n, const std::string &name) const {
    if (!n.isInt()) fail(name + " is missing or not an integer");
    return static_cast<int>(n);
  }

  double real(const cv::FileNode &n, const std::string &name) const {
    if (!n.isReal() && !n.isInt()) fail(name + " is missing or not a number");
    const double v = static_cast<double>(n);
    if (!std::isfinite(v)) fail(name + " is not finite");
    return v;
  }

  std::vector<int> ints(const cv::FileNode &n, const std::string &name) const {
    if (!n.isSeq()) fail(name + " is missing or not a sequence");
    std::vector<int> out;
    out.reserve(n.size());
    for (const cv::FileNode &e : n) out.push_back(integer(e, name + " entry"));
    return out;
  }

 private:
  std::string path_;
};

}  // namespace

void check_forest(const cv::FileNode &forest, int features, std::size_t labels,
                  const std::string &path) {
  const Checker c(path);
  if (c.integer(forest["format"], "format") != 3)
    c.fail("format is not 3 (the RTrees layout of OpenCV 3 and 4)");
  if (c.integer(forest["is_classifier"], "is_classifier") != 1) c.fail("not a classifier");
  const int var_count = c.integer(forest["var_count"], "var_count");
  const int var_all = c.integer(forest["var_all"], "var_all");
  if (var_count != features)
    c.fail("var_count is " + std::to_string(var_count) + ", expected " + std::to_string(features));
  if (var_all != var_count + 1)
    c.fail("var_all is " + std::to_string(var_all) + ", expected var_count + 1 (the response)");

  const std::vector<int> var_type = c.ints(forest["var_type"], "var_type");
  if (static_cast<int>(var_type.size()) != var_all)
    c.fail("var_type holds " + std::to_string(var_type.size()) + " entries, var_all is " +
           std::to_string(var_all));
  // The inputs the splits refer to (var_idx maps split vars to variables when present).
  std::vector<int> inputs(static_cast<std::size_t>(var_count));
  for (int i = 0; i < var_count; ++i) inputs[static_cast<std::size_t>(i)] = i;
  const cv::FileNode var_idx = forest["var_idx"];
  const bool global = !forest["global_var_idx"].empty() &&
                      c.integer(forest["global_var_idx"], "global_var_idx") != 0;
  if (!var_idx.empty()) {
    const std::vector<int> idx = c.ints(var_idx, "var_idx");
    if (static_cast<int>(idx.size()) != var_count)
      c.fail("var_idx holds " + std::to_string(idx.size()) + " entries, var_count is " +
             std::to_string(var_count));
    for (int v : idx)
      if (v < 0 || v >= var_all) c.fail("var_idx entry " + std::to_string(v) + " out of range");
    if (!global) inputs = idx;
  }
  for (int v : inputs)
    if (var_type[static_cast<std::size_t>(v)] != 0)
      c.fail("input variable " + std::to_string(v) + " is not ordered (gst-emo features are)");
  if (var_type.back() != 1) c.fail("the response is not categorical");
  if (!forest["cat_map"].empty() && forest["cat_map"].isSeq() && forest["cat_map"].size() > 0)
    c.fail("categorical input variables are not supported");

  const std::vector<int> classes = c.ints(forest["class_labels"], "class_labels");
  if (classes.empty()) c.fail("class_labels is empty");
  for (int cls : classes)
    if (cls < 0 || static_cast<std::size_t>(cls) >= labels)
      c.fail("class " + std::to_string(cls) + " has no label (the model has " +
             std::to_string(labels) + " labels)");
  const cv::FileNode missing = forest["missing_subst"];
  if (!missing.empty() && missing.isSeq() && missing.size() != static_cast<std::size_t>(var_count) &&
      missing.size() != static_cast<std::size_t>(var_all))
    c.fail("missing_subst holds " + std::to_string(missing.size()) + " entries");
  const cv::FileNode priors = forest["training_params"]["priors"];
  if (!priors.empty()) {
    cv::Mat p;
    priors >> p;
    if (!p.empty() && p.total() != classes.size())
      c.fail("training_params.priors holds " + std::to_string(p.total()) + " values for " +
             std::to_string(classes.size()) + " classes");
  }

  const cv::FileNode trees = forest["trees"];
  if (!trees.isSeq() || trees.size() == 0) c.fail("trees is missing or empty");
  const int ntrees = c.integer(forest["ntrees"], "ntrees");
  if (ntrees < 0 || static_cast<std::size_t>(ntrees) != trees.size())
    c.fail("ntrees is " + std::to_string(ntrees) + " but " + std::to_string(trees.size()) +
           " trees follow");
  std::size_t t = 0;
  for (const cv::FileNode &tree : trees) {
    const std::string where = "tree " + std::to_string(t++);
    const cv::FileNode nodes = tree["nodes"];
    if (!nodes.isSeq() || nodes.size() == 0) c.fail(where + " has no nodes");
    // Pre-order: `open` holds the depth of each split node still waiting for children and how
    // many it has; a node's depth must be its parent's + 1.
    struct Open {
      int depth;
      int children;
    };
    std::vector<Open> open;
    std::size_t n = 0;
    for (const cv::FileNode &node : nodes) {
      const std::string at = where + " node " + std::to_string(n);
      if (!node.isMap()) c.fail(at + " is not a map");
      if (n > 0 && open.empty()) c.fail(at + " follows a complete tree");
      const int depth = c.integer(node["depth"], at + " depth");
      const int expected = open.empty() ? 0 : open.back().depth + 1;
      if (depth != expected)
        c.fail(at + " has depth " + std::to_string(depth) + ", expected " +
               std::to_string(expected));
      c.real(node["value"], at + " value");
      const int cls = c.integer(node["norm_class_idx"], at + " norm_class_idx");
      if (cls < 0 || static_cast<std::size_t>(cls) >= classes.size())
        c.fail(at + " norm_class_idx " + std::to_string(cls) + " is not one of the " +
               std::to_string(classes.size()) + " classes");
      if (!open.empty()) ++open.back().children;
      const cv::FileNode splits = node["splits"];
      const bool split = !splits.empty();
      if (split) {
        if (!splits.isSeq() || splits.size() == 0) c.fail(at + " splits is not a sequence");
        for (const cv::FileNode &s : splits) {
          if (!s.isMap()) c.fail(at + " has a split that is not a map");
          const int var = c.integer(s["var"], at + " split var");
          if (var < 0 || var >= var_count)
            c.fail(at + " splits on variable " + std::to_string(var) + ", outside [0, " +
                   std::to_string(var_count) + ")");
          if (!s["in"].empty() || !s["not_in"].empty())
            c.fail(at + " has a categorical split on an ordered variable");
          if (!s["le"].empty())
            c.real(s["le"], at + " split le");
          else
            c.real(s["gt"], at + " split gt");
          if (!s["quality"].empty()) c.real(s["quality"], at + " split quality");
        }
      }
      // Close the parents this node completes, then open it when it splits.
      while (!open.empty() && open.back().children == 2) open.pop_back();
      if (split) open.push_back({depth, 0});
      ++n;
    }
    if (!open.empty()) c.fail(where + " ends with a split node lacking a child");
  }
}

}  // namespace emo::detail
