// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo (private): dlib's shape predictor from a compact copy of its trees (ert_model.hpp).
#include "ert_model.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace emo::detail {

/* One anonymous mapping for every leaf float, 2 MiB aligned and advised for transparent huge
 * pages: ~65 MB for the 68-point model then take ~33 TLB entries instead of ~16000. It is
 * reserved for an upper bound of the floats (only the pages written count in memory), then
 * shrunk to what the model used. */
struct ErtModel::Storage {
  static constexpr std::size_t kHuge = std::size_t(2) << 20;
  static std::size_t round_up(std::size_t n) { return (n + kHuge - 1) / kHuge * kHuge; }

  explicit Storage(std::size_t max_floats) {
    bytes = round_up(max_floats * sizeof(float));
    void *p =
        ::mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw std::runtime_error(std::string("cannot map the landmark model: ") +
                               std::strerror(errno));
    /* Keep the 2 MiB aligned part, give back the rest. */
    char *base = static_cast<char *>(p);
    char *aligned = reinterpret_cast<char *>((reinterpret_cast<std::uintptr_t>(base) + kHuge - 1) /
                                             kHuge * kHuge);
    if (aligned > base) ::munmap(base, static_cast<std::size_t>(aligned - base));
    const std::size_t tail = static_cast<std::size_t>(base + bytes + kHuge - (aligned + bytes));
    if (tail) ::munmap(aligned + bytes, tail);
    ::madvise(aligned, bytes, MADV_HUGEPAGE);  // a hint: without THP it is plain memory
    data = reinterpret_cast<float *>(aligned);
  }
  ~Storage() { ::munmap(data, bytes); }
  void shrink(std::size_t floats) {
    const std::size_t keep = std::max(kHuge, round_up(floats * sizeof(float)));
    if (keep < bytes) ::munmap(reinterpret_cast<char *>(data) + keep, bytes - keep);
    bytes = std::min(bytes, keep);
  }
  float *data = nullptr;
  std::size_t bytes = 0;
};

ErtModel::ErtModel(const std::string &path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  const std::size_t file_size = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  int version = 0;
  dlib::deserialize(version, in);
  if (version != 1)
    throw dlib::serialization_error(
        "Unexpected version found while deserializing dlib::shape_predictor.");
  dlib::deserialize(initial_shape_, in);
  dims_ = static_cast<std::size_t>(initial_shape_.size());
  if (dims_ == 0 || dims_ % 2) throw dlib::serialization_error("bad initial shape");

  /* The forests, one cascade level at a time (dlib's vector layout: an unsigned long count,
   * then the items), so the ~100 MB of dlib trees never exist at once. dlib stores a float in
   * at least 2 bytes: the file holds at most file_size / 2 leaf floats. */
  unsigned long num_levels = 0;
  dlib::deserialize(num_levels, in);
  if (num_levels > 1000) throw dlib::serialization_error("implausible cascade depth");
  levels_.resize(num_levels);
  const std::size_t max_floats = file_size / 2;
  leaves_ = std::make_unique<Storage>(max_floats);
  std::size_t used = 0;
  for (Level &level : levels_) {
    std::vector<dlib::impl::regression_tree> trees;
    dlib::deserialize(trees, in);
    level.split_begin.reserve(trees.size() + 1);
    level.leaf_begin.reserve(trees.size());
    for (const dlib::impl::regression_tree &tree : trees) {
      if (tree.leaf_values.size() != tree.splits.size() + 1)
        throw dlib::serialization_error("a regression tree is not full");
      level.split_begin.push_back(static_cast<std::uint32_t>(level.splits.size()));
      for (const dlib::impl::split_feature &s : tree.splits)
        level.splits.push_back(
            {static_cast<std::uint32_t>(s.idx1), static_cast<std::uint32_t>(s.idx2), s.thresh});
      level.leaf_begin.push_back(used);
      for (const dlib::matrix<float, 0, 1> &leaf : tree.leaf_values) {
        if (static_cast<std::size_t>(leaf.size()) != dims_ || used + dims_ > max_floats)
          throw dlib::serialization_error("a leaf does not match the shape");
        std::memcpy(leaves_->data + used, &leaf(0), dims_ * sizeof(float));
        used += dims_;
      }
    }
    level.split_begin.push_back(static_cast<std::uint32_t>(level.splits.size()));
  }
  std::vector<std::vector<unsigned long>> anchors;
  std::vector<std::vector<dlib::vector<float, 2>>> deltas;
  dlib::deserialize(anchors, in);
  dlib::deserialize(deltas, in);
  if (anchors.size() != levels_.size() || deltas.size() != levels_.size())
    throw dlib::serialization_error("the feature pixels do not match the cascade");
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    Level &level = levels_[l];
    level.anchor_idx = std::move(anchors[l]);
    level.deltas = std::move(deltas[l]);
    if (level.anchor_idx.size() != level.deltas.size())
      throw dlib::serialization_error("feature pixel anchors and offsets differ in number");
    for (unsigned long a : level.anchor_idx)
      if (a >= dims_ / 2) throw dlib::serialization_error("a feature pixel anchor is out of range");
    for (const Split &s : level.splits)
      if (s.idx1 >= level.deltas.size() || s.idx2 >= level.deltas.size())
        throw dlib::serialization_error("a split reads a feature pixel out of range");
  }

  leaves_->shrink(used);
  ::malloc_trim(0);  // hand the freed dlib trees of the levels back to the system
}

ErtModel::~ErtModel() = default;

void ErtModel::fit(const dlib::cv_image<unsigned char> &img, const dlib::rectangle &rect,
                   std::vector<Point> &points) const {
  /* Per thread scratch, reused from fit to fit. */
  thread_local dlib::matrix<float, 0, 1> shape;
  thread_local std::vector<float> pixels;
  thread_local std::vector<const float *> chosen;
  shape = initial_shape_;
  float *const s = &shape(0);
  const float *const leaves = leaves_->data;
  constexpr std::size_t kAhead = 4;  // trees whose leaves are prefetched ahead of the addition
  for (const Level &level : levels_) {
    dlib::impl::extract_feature_pixel_values(img, rect, shape, initial_shape_, level.anchor_idx,
                                             level.deltas, pixels);
    /* Walk every tree of the level first (the feature pixels stay fixed within a level)... */
    const std::size_t trees = level.leaf_begin.size();
    chosen.resize(trees);
    for (std::size_t t = 0; t < trees; ++t) {
      const Split *splits = level.splits.data() + level.split_begin[t];
      const std::uint32_t n = level.split_begin[t + 1] - level.split_begin[t];
      std::uint32_t i = 0;
      while (i < n) {
        const Split &sp = splits[i];
        i = pixels[sp.idx1] - pixels[sp.idx2] > sp.thresh ? 2 * i + 1 : 2 * i + 2;
      }
      chosen[t] = leaves + level.leaf_begin[t] + static_cast<std::size_t>(i - n) * dims_;
    }
    /* ...then add their leaves in tree order, as dlib does (same sums to the bit). */
    for (std::size_t t = 0; t < trees; ++t) {
      if (t + kAhead < trees)
        for (std::size_t b = 0; b < dims_ * sizeof(float); b += 64)
          __builtin_prefetch(reinterpret_cast<const char *>(chosen[t + kAhead]) + b);
      const float *leaf = chosen[t];
      for (std::size_t k = 0; k < dims_; ++k) s[k] += leaf[k];
    }
  }
  const dlib::point_transform_affine to_image = dlib::impl::unnormalizing_tform(rect);
  points.resize(num_parts());
  for (std::size_t p = 0; p < points.size(); ++p) {
    const dlib::point q = to_image(dlib::impl::location(shape, p));
    points[p] = Point(static_cast<float>(q.x()), static_cast<float>(q.y()));
  }
}

}  // namespace emo::detail
