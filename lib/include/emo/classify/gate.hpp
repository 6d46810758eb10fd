// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: "not sure" as an answer. The emotion gate decides, per face and frame, whether the
// evidence is good enough for an emotion at all, and LabelHysteresis keeps a track's label until
// new evidence holds. Design, defaults and measurements: docs/emotion-labels.md.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "emo/core/geometry.hpp"
#include "emo/core/labels.hpp"

namespace emo {

/// Why a face gets no emotion on a frame.
enum class Unsure {
  None,     ///< the evidence is good enough: the face gets its most likely label
  Small,    ///< the box's shorter side is under GateSettings::min_face_size
  Turned,   ///< |yaw| is over GateSettings::max_yaw
  Blurred,  ///< sharpness under GateSettings::min_sharpness
  Flat,     ///< top score minus the second under GateSettings::min_margin
};
/// "", "small", "turned", "blurred", "flat" (the "unsure" field of the "emotion" structure).
const char *to_string(Unsure why);

/// Thresholds of the gate. A threshold of 0 (max_yaw: 90 or more) turns its test off.
struct GateSettings {
  /// Pixels: shorter side of the face box. 48 = FER2013's face images, on which the default
  /// networks were trained: a smaller face is up-sampled into detail the network never saw.
  int min_face_size = 48;
  /// Degrees: |yaw| from BlazeFace's keypoints (yaw_from_keypoints()). 45 = the widest head
  /// turn of the "frontal" faces in-the-wild expression sets keep; beyond it half the face
  /// (one eye, one mouth corner) is foreshortened or hidden.
  double max_yaw = 45.0;
  /// Dimensionless (face_sharpness()). 0.5: the astronaut's face (110 px) blurred by a Gaussian
  /// of sigma 3 px (about 1.7 px at the network's 64 px input, eye and mouth corners smeared
  /// over several pixels) reads 0.48; sharp faces of the dinner clip read 0.7 to 2.0.
  double min_sharpness = 0.5;
  /// Score units: top score minus the second best, of the (smoothed) per-class scores summing
  /// to 1. 0.10: the winner is not ahead of the runner-up by a tenth of the probability mass.
  double min_margin = 0.10;
};

/// Gate thresholds a model's sidecar may set for itself (its optional "gate" object,
/// docs/sidecar.md): the margin at which a model's top label becomes more often right than
/// wrong depends on the model (an ensemble's averaged scores are flatter than one network's),
/// so tools/emo-calibrate-gate.py chooses it per model on labelled faces the video labels are
/// not measured on. Units as GateSettings; an unset member keeps the element's default.
struct GateOverrides {
  std::optional<int> min_face_size;
  std::optional<double> max_yaw, min_sharpness, min_margin;
  bool empty() const { return !min_face_size && !max_yaw && !min_sharpness && !min_margin; }
};

/// The gate's thresholds, one bit each (which ones were set explicitly on an element).
enum GateField : unsigned {
  kGateMinFaceSize = 1u << 0,
  kGateMaxYaw = 1u << 1,
  kGateMinSharpness = 1u << 2,
  kGateMinMargin = 1u << 3,
};

/// The thresholds in use: `element`'s, except that each threshold the model sets (`model`) and
/// that is not in `explicitly_set` (GateField bits) comes from the model. So an element property
/// set by the user overrides the model's sidecar, and the sidecar overrides the built-in default.
GateSettings resolve_gate(const GateSettings &element, unsigned explicitly_set,
                          const GateOverrides &model);

/// What the gate measured on one face (NaN: not measured).
struct FaceQuality {
  int size = 0;                     ///< pixels, shorter side of the box
  double yaw = std::nan("");        ///< degrees, see yaw_from_keypoints()
  double sharpness = std::nan("");  ///< see face_sharpness()
};

/// Head yaw in degrees from BlazeFace's six keypoints (frame pixels, MediaPipe order: right
/// eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion; see
/// emo/detect/blazeface.hpp). The points are first rotated so that the eyes are level (roll);
/// then, with the head as a vertical cylinder whose ear tragions lie on its sides and whose
/// nose tip lies kNoseDepth half-widths in front of the ear axis,
///   yaw = atan( (nose.x - (ear_r.x + ear_l.x) / 2) / (kNoseDepth * |ear_l.x - ear_r.x| / 2) ).
/// kNoseDepth = 1.3 (tragion to nose tip about 9.5 cm against a half bitragion breadth of about
/// 7.2 cm, adult anthropometry). 0 faces the camera; the sign follows the image x axis
/// (positive: the nose is right of the ear midpoint on the image). NaN with fewer than 6
/// keypoints or ears at the same x.
double yaw_from_keypoints(const std::vector<Point> &keypoints);
constexpr double kNoseDepth = 1.3;

/// Sharpness of a face: its box (clipped to `gray`, 8-bit luma) resized to 64 x 64 px (the
/// CNN's input: the detail the classifier can see), then stddev(Laplacian 3x3) / stddev(pixels).
/// Contrast-independent: the astronaut's face reads 1.8 sharp, 0.72 / 0.48 / 0.29 blurred by a
/// Gaussian of sigma 2 / 3 / 5 px; the dinner clip's faces 0.4 (blurred, small) to 2.0.
/// NaN for an empty crop or a flat (constant) one.
double face_sharpness(const cv::Mat &gray, const Box &box);

/// Top score minus the second best (the top score with one class; 0 without scores).
double score_margin(const std::vector<float> &scores);

/// The gate, tests in this order: small, turned, blurred, flat. Unmeasured (NaN) values pass.
Unsure gate_face(const FaceQuality &quality, const std::vector<float> &scores,
                 const GateSettings &settings);

/// Per track, the label changes only when new evidence holds.
///
/// Each frame, a face brings a candidate: a class index, or -1 ("unknown", the gate said no).
/// A new track takes its first candidate at once. After that the held label changes to a
/// different candidate only once that same candidate came on `hold_frames` consecutive frames
/// of the track spanning at least `hold_time` ns of presentation time (first to last of those
/// frames; frames without a timestamp count for the frames test only) and, with
/// `hold_classifications` N > 1, was the top class of N classifications of the track (runs of
/// the network on the face, `classification` below: the one whose scores the first of those
/// frames shows, and the new ones during them; every classification supports "unknown"). An
/// element that classifies a face every few frames and smooths the scores in between thus
/// needs N network runs that agree, whatever the frame rate: one misread run of a talking mouth,
/// which the smoothing carries over the following frames, never changes the label. Any other
/// candidate in between restarts the count. Untracked faces (track id < 0) get their candidate.
/// A held label whose own (smoothed) score in `scores` has fallen under half of chance
/// (1 / (2 x number of classes)) is no longer supported - the evidence rejects it, it would
/// otherwise be shown at a few percent -: the track goes to "unknown" (-1) at once, never
/// straight to another label, and a new label again needs to hold.
/// A track not seen for more than `max_missed` frames is forgotten.
class LabelHysteresis {
 public:
  struct Settings {
    int hold_frames = 2;                 ///< >= 1; 1 with hold_time 0: no hysteresis
    std::int64_t hold_time = 500000000;  ///< ns
    int hold_classifications = 1;        ///< classifications; <= 1: not tested
  };
  /// `classification` of update(): the face's scores on this frame are a cached classification's.
  static constexpr int kNoClassification = -2;
  /// `classification` of update(): each frame is a classification whose top class is the
  /// candidate (callers that classify every frame and do not smooth).
  static constexpr int kCandidate = -3;
  /// Call once per frame, before update() for its faces.
  void begin_frame();
  /// The label held for `track_id` on this frame. `pts` in ns, -1 when unknown. `classification`:
  /// the top class of the network's own (unsmoothed) scores when the face was classified on this
  /// frame, kNoClassification when its scores were reused, or kCandidate.
  int update(std::int64_t track_id, int candidate, std::int64_t pts, const Settings &settings,
             const std::vector<float> *scores = nullptr, int classification = kCandidate);
  void reset();
  int max_missed = 5;

 private:
  struct Track {
    int held = -1;
    int pending = -1;
    int pending_frames = 0;
    int pending_support = 0;           // classifications whose top class is `pending`
    int last_top = kNoClassification;  // top class of the track's last classification
    std::int64_t pending_since = -1;
    std::uint64_t last_frame = 0;
  };
  std::map<std::int64_t, Track> tracks_;
  std::uint64_t frame_ = 0;
};

}  // namespace emo
