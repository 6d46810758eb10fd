// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo (private): dlib's shape predictor from a compact copy of its trees (ert_model.hpp).
#include "ert_model.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <vector>

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

namespace {

/* dlib's smallest encodings: an integer is a control byte and at least one byte; a float is
 * two integers (or, in dlib's old text format, at least a digit and a space). */
constexpr std::size_t kMinInt = 2, kMinFloat = 2;

/* Reads dlib's serialization format (dlib/serialize.h, float_details.h) from a stream through
 * a buffer of its own, counting the bytes it consumed, and checks counts and sizes against the
 * bytes left. dlib's own deserialize() goes through the stream for every byte of ~17 million
 * floats (and a tellg() per count); this reads them in 1 MiB blocks: the 68-point model loads
 * in about a third of the time, with the same numbers to the bit.
 * - an integer: a control byte (bits 0-3 the number of bytes, bit 7 the sign of a signed
 *   type), then the magnitude, least significant byte first;
 * - a float: an int64 mantissa and an int16 exponent, the value mantissa * 2^exponent, the
 *   exponents 32000, 32001 and 32002 meaning +inf, -inf and NaN. dlib's older text format for
 *   floats is refused (no shape predictor file uses it);
 * - a dlib::vector<float, 2>: x, y; a dlib::matrix: rows and columns (negated in dlib's newer
 *   format), then the elements row by row; a std::vector: its size, then the items. */
class Bounded {
 public:
  Bounded(std::istream &in, std::size_t size) : in_(in), size_(size), buf_(kBlock) {}

  std::size_t left() const { return pos_ >= size_ ? 0 : size_ - pos_; }

  template <class T>
  T signed_int() {
    const int c = byte();
    const unsigned n = static_cast<unsigned>(c) & 0x0Fu;
    if (n == 0 || n > sizeof(T)) throw dlib::serialization_error("a malformed integer");
    T v = static_cast<T>(magnitude(n));
    if (c & 0x80) v = static_cast<T>(v * -1);
    return v;
  }

  template <class T>
  T unsigned_int() {
    const unsigned n = static_cast<unsigned>(byte()) & 0x8Fu;  // bits 4-6 are reserved
    if (n == 0 || n > sizeof(T)) throw dlib::serialization_error("a malformed integer");
    return static_cast<T>(magnitude(n));
  }

  float real() {
    if (peek() & 0x70)
      throw dlib::serialization_error("a float in dlib's old text format (not supported)");
    const auto mantissa = signed_int<std::int64_t>();
    const auto exponent = signed_int<std::int16_t>();
    if (exponent < dlib::float_details::is_inf)
      return std::ldexp(static_cast<float>(mantissa), exponent);
    if (exponent == dlib::float_details::is_inf) return std::numeric_limits<float>::infinity();
    if (exponent == dlib::float_details::is_ninf) return -std::numeric_limits<float>::infinity();
    return std::numeric_limits<float>::quiet_NaN();
  }

  /* A count of items of at least `item_bytes` each; more than the rest of the file holds (or
   * than `max`) is an error naming `what`. */
  std::size_t count(std::size_t item_bytes, std::size_t max, const char *what) {
    const auto n = unsigned_int<unsigned long>();
    const std::size_t rest = left();
    if (n > max || n > rest / item_bytes)
      throw dlib::serialization_error(std::string(what) + ": " + std::to_string(n) +
                                      " declared, but only " + std::to_string(rest) +
                                      " bytes remain in the file");
    return static_cast<std::size_t>(n);
  }

  /* A column of exactly `rows` floats (any rows when `rows` is 0) into `out`, resized. */
  void column(std::vector<float> &out, std::size_t rows, const char *what) {
    long nr = signed_int<long>(), nc = signed_int<long>();
    if (nr < 0 || nc < 0) {  // dlib's newer format stores the sizes negated
      if (nr < -(1L << 40) || nc < -(1L << 40)) throw dlib::serialization_error(what);
      nr = -nr, nc = -nc;
    }
    const std::size_t rest = left();
    if (nc != 1 || (rows != 0 && static_cast<std::size_t>(nr) != rows) ||
        static_cast<std::size_t>(nr) > rest / kMinFloat)
      throw dlib::serialization_error(std::string(what) + ": a " + std::to_string(nr) + " x " +
                                      std::to_string(nc) + " matrix does not fit (" +
                                      std::to_string(rest) + " bytes remain)");
    out.resize(static_cast<std::size_t>(nr));
    for (float &f : out) f = real();
  }

 private:
  static constexpr std::size_t kBlock = std::size_t(1) << 20;

  bool fill() {
    if (cur_ != end_) return true;
    const std::size_t want = std::min(kBlock, left());
    if (want == 0) return false;
    in_.read(buf_.data(), static_cast<std::streamsize>(want));
    const std::streamsize got = in_.gcount();
    if (got <= 0) return false;
    cur_ = reinterpret_cast<const unsigned char *>(buf_.data());
    end_ = cur_ + got;
    return true;
  }
  int peek() {
    if (!fill()) throw dlib::serialization_error("the model file ends too early");
    return *cur_;
  }
  int byte() {
    const int c = peek();
    ++cur_, ++pos_;
    return c;
  }
  std::uint64_t magnitude(unsigned n) {
    std::uint64_t u = 0;
    for (unsigned i = 0; i < n; ++i) u |= static_cast<std::uint64_t>(byte()) << (8 * i);
    return u;
  }

  std::istream &in_;
  std::size_t size_;
  std::size_t pos_ = 0;  // bytes consumed
  std::vector<char> buf_;
  const unsigned char *cur_ = nullptr, *end_ = nullptr;
};

}  // namespace

ErtModel::ErtModel(const std::string &path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size < 0) throw std::runtime_error("cannot read " + path);
  in.seekg(0);
  read(in, static_cast<std::size_t>(size));
}

ErtModel::ErtModel(std::istream &in, std::size_t size) { read(in, size); }

void ErtModel::read(std::istream &in, std::size_t file_size) {
  Bounded b(in, file_size);
  const int version = b.signed_int<int>();
  if (version != 1)
    throw dlib::serialization_error(
        "Unexpected version found while deserializing dlib::shape_predictor.");
  std::vector<float> column;
  b.column(column, 0, "the initial shape");
  initial_shape_.set_size(static_cast<long>(column.size()), 1);
  for (std::size_t i = 0; i < column.size(); ++i) initial_shape_(static_cast<long>(i)) = column[i];
  dims_ = static_cast<std::size_t>(initial_shape_.size());
  if (dims_ == 0 || dims_ % 2) throw dlib::serialization_error("bad initial shape");

  /* The forests, one cascade level at a time (dlib's vector layout: an unsigned long count,
   * then the items), so the ~100 MB of dlib trees never exist at once. dlib stores a float in
   * at least 2 bytes: the file holds at most file_size / 2 leaf floats. */
  const std::size_t num_levels = b.count(kMinInt, 1000, "cascade levels");
  levels_.resize(num_levels);
  const std::size_t max_floats = file_size / kMinFloat;
  leaves_ = std::make_unique<Storage>(max_floats);
  std::size_t used = 0;
  constexpr std::size_t kMinSplit = 2 * kMinInt + kMinFloat;
  const std::size_t min_leaf = 2 * kMinInt + dims_ * kMinFloat;
  for (Level &level : levels_) {
    /* A tree: its splits, then its leaves (at least one leaf per tree). */
    const std::size_t trees = b.count(2 * kMinInt + min_leaf, UINT32_MAX, "regression trees");
    level.split_begin.reserve(trees + 1);
    level.leaf_begin.reserve(trees);
    for (std::size_t t = 0; t < trees; ++t) {
      const std::size_t splits = b.count(kMinSplit, UINT32_MAX / 4, "splits of a tree");
      if (level.splits.size() + splits > UINT32_MAX / 2)
        throw dlib::serialization_error("too many splits in a cascade level");
      level.split_begin.push_back(static_cast<std::uint32_t>(level.splits.size()));
      for (std::size_t i = 0; i < splits; ++i) {
        const auto idx1 = b.unsigned_int<unsigned long>();
        const auto idx2 = b.unsigned_int<unsigned long>();
        const float thresh = b.real();
        if (idx1 > UINT32_MAX || idx2 > UINT32_MAX)
          throw dlib::serialization_error("a split reads a feature pixel out of range");
        level.splits.push_back(
            {static_cast<std::uint32_t>(idx1), static_cast<std::uint32_t>(idx2), thresh});
      }
      const std::size_t leaves = b.count(min_leaf, UINT32_MAX, "leaves of a tree");
      if (leaves != splits + 1) throw dlib::serialization_error("a regression tree is not full");
      level.leaf_begin.push_back(used);
      for (std::size_t i = 0; i < leaves; ++i) {
        b.column(column, dims_, "a leaf");
        if (used + dims_ > max_floats)
          throw dlib::serialization_error("a leaf does not match the shape");
        std::memcpy(leaves_->data + used, column.data(), dims_ * sizeof(float));
        used += dims_;
      }
    }
    level.split_begin.push_back(static_cast<std::uint32_t>(level.splits.size()));
  }
  /* Feature pixels per level: anchor landmarks, then offsets. */
  if (b.count(kMinInt, num_levels, "anchor lists") != num_levels)
    throw dlib::serialization_error("the feature pixels do not match the cascade");
  for (Level &level : levels_) {
    const std::size_t n = b.count(kMinInt, SIZE_MAX, "feature pixel anchors");
    level.anchor_idx.resize(n);
    for (unsigned long &a : level.anchor_idx) {
      a = b.unsigned_int<unsigned long>();
      if (a >= dims_ / 2) throw dlib::serialization_error("a feature pixel anchor is out of range");
    }
  }
  if (b.count(kMinInt, num_levels, "offset lists") != num_levels)
    throw dlib::serialization_error("the feature pixels do not match the cascade");
  for (Level &level : levels_) {
    const std::size_t n = b.count(2 * kMinFloat, SIZE_MAX, "feature pixel offsets");
    level.deltas.resize(n);
    for (dlib::vector<float, 2> &d : level.deltas) {
      d.x() = b.real();
      d.y() = b.real();
    }
    if (level.anchor_idx.size() != level.deltas.size())
      throw dlib::serialization_error("feature pixel anchors and offsets differ in number");
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
