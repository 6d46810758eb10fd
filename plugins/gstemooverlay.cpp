// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-emooverlay
 * @title: emooverlay
 *
 * Draws what the analysis elements found onto the video: for every face region
 * (#GstVideoRegionOfInterestMeta with `roi_type` "face") its box, its 68 landmarks as small
 * dots and its emotion as `label confidence%` text (for example "happiness 87%") on a filled
 * tag above the box. Each face is drawn in the colour of its emotion (a fixed table, matched
 * on the label's first three letters, case-insensitively, so "happy" and "happiness" agree);
 * faces without an emotion, or with an unknown label, are drawn in white.
 *
 * It accepts the same formats as the other analysis elements (GRAY8, I420, NV12, YUY2, BGR,
 * BGRx, RGB, RGBx, BGRA, RGBA), so no conversion is needed between them. Drawing is done with
 * OpenCV directly on the mapped planes: packed RGB formats as one image, I420 and NV12 with
 * luma on the Y plane and chroma at half resolution on the U and V planes (I420) or the
 * interleaved UV plane (NV12), GRAY8 in grey levels (the luma of each colour), packed YUY2
 * through a coverage mask (luma per pixel, chroma per pair of pixels). Colours are converted
 * with the stream's YCbCr matrix and range (BT.601 when the caps do not say).
 *
 * Frames without faces, or with every layer turned off, pass through untouched: they are not
 * even mapped. Text size follows the face size, line width follows the frame size unless
 * #GstEmoOverlay:line-width is set.
 *
 * Quality of service (#GstBaseTransform:qos, default TRUE): a frame that is already late
 * downstream passes on at once undrawn (not dropped), counted by a QoS message and the `stats`
 * property, as in the other analysis elements (GstEmoAnalysisFilter).
 *
 * It may sit after videoscale or videoconvert: faces are read with emo::gst::read_faces(),
 * which finds the "landmarks" and "emotion" structures that GStreamer 1.22's region meta loses
 * in a scaling or converting element in gst-emo's companion meta, already rescaled.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! videoconvert ! emofacedetect ! \
 *     emolandmarks ! emoclassify ! emooverlay draw-landmarks=false ! videoconvert ! \
 *     autovideosink
 * ]|
 */
#include "gstemooverlay.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "emo/gst/face_meta.hpp"
#include "gstemoanalysisfilter.h"
#include "gstemocommon.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_overlay_debug);
#define GST_CAT_DEFAULT gst_emo_overlay_debug

enum {
  PROP_0,
  PROP_DRAW_BOXES,
  PROP_DRAW_LANDMARKS,
  PROP_DRAW_LABELS,
  PROP_LINE_WIDTH,
};

#define DEFAULT_DRAW_BOXES TRUE
#define DEFAULT_DRAW_LANDMARKS TRUE
#define DEFAULT_DRAW_LABELS TRUE
#define DEFAULT_LINE_WIDTH 0

/* Settings, under GST_OBJECT_LOCK; plain data, copied once per buffer. */
struct GstEmoOverlaySettings {
  gboolean draw_boxes;
  gboolean draw_landmarks;
  gboolean draw_labels;
  gint line_width;  // 0 = follow the frame size
};

struct _GstEmoOverlay {
  GstEmoAnalysisFilter parent;

  /* settings, under GST_OBJECT_LOCK */
  GstEmoOverlaySettings settings;
};

#define gst_emo_overlay_parent_class parent_class
G_DEFINE_TYPE(GstEmoOverlay, gst_emo_overlay, GST_TYPE_EMO_ANALYSIS_FILTER);
GST_ELEMENT_REGISTER_DEFINE(emooverlay, "emooverlay", GST_RANK_NONE, GST_TYPE_EMO_OVERLAY);

namespace {

struct Rgb {
  double r, g, b;
};

/* Emotion colours, keyed by the label's first three letters (lower case). */
struct LabelColour {
  const char *key;
  Rgb colour;
};
const LabelColour kLabelColours[] = {
    {"ang", {235, 45, 45}},  {"con", {205, 70, 205}}, {"dis", {150, 180, 30}},
    {"fea", {155, 90, 235}}, {"hap", {40, 205, 75}},  {"neu", {185, 185, 185}},
    {"sad", {55, 125, 245}}, {"sur", {250, 205, 30}},
};
const Rgb kDefaultColour = {255, 255, 255};
const Rgb kBlack = {0, 0, 0};

Rgb colour_for(const std::string &label) {
  std::string key = label.substr(0, 3);
  for (char &c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const LabelColour &entry : kLabelColours)
    if (key == entry.key) return entry.colour;
  return kDefaultColour;
}

cv::Point at(const cv::Point2f &p, double scale) {
  return cv::Point(cvRound(p.x * scale), cvRound(p.y * scale));
}

/* `r` grown by `by` pixels on every side. */
cv::Rect grown(const cv::Rect &r, int by) {
  return cv::Rect(r.x - by, r.y - by, r.width + 2 * by, r.height + 2 * by);
}

int thick(int thickness, double scale) {
  return thickness < 0 ? thickness : std::max(1, cvRound(thickness * scale));
}

/* The mapped planes of one frame as cv::Mats (chroma planes at half scale) and the conversion
 * of a colour to each plane's channel layout. Packed YUY2 cannot be drawn on as planes: shapes
 * are drawn into a coverage mask of the frame's size, then written into the luma of every
 * covered pixel (blended by coverage, for anti-aliased text) and into the chroma of every
 * macro-pixel that has a covered pixel. */
class Canvas {
 public:
  explicit Canvas(GstVideoFrame *frame) : format_(GST_VIDEO_FRAME_FORMAT(frame)) {
    const GstVideoColorimetry &cm = GST_VIDEO_INFO_COLORIMETRY(&frame->info);
    if (!gst_video_color_matrix_get_Kr_Kb(cm.matrix, &kr_, &kb_)) kr_ = 0.299, kb_ = 0.114;
    full_range_ = cm.range == GST_VIDEO_COLOR_RANGE_0_255;
    const bool nv12 = format_ == GST_VIDEO_FORMAT_NV12;
    switch (format_) {
      case GST_VIDEO_FORMAT_I420:
      case GST_VIDEO_FORMAT_NV12:
        add(frame, 0, CV_8UC1, 1.0);
        for (int p = 1; p <= (nv12 ? 1 : 2); p++) add(frame, p, nv12 ? CV_8UC2 : CV_8UC1, 0.5);
        break;
      case GST_VIDEO_FORMAT_GRAY8:
        add(frame, 0, CV_8UC1, 1.0);
        break;
      case GST_VIDEO_FORMAT_YUY2:
        yuy2_ =
            cv::Mat(GST_VIDEO_FRAME_HEIGHT(frame), (GST_VIDEO_FRAME_WIDTH(frame) + 1) / 2, CV_8UC4,
                    GST_VIDEO_FRAME_PLANE_DATA(frame, 0), GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0));
        mask_ =
            cv::Mat::zeros(GST_VIDEO_FRAME_HEIGHT(frame), GST_VIDEO_FRAME_WIDTH(frame), CV_8UC1);
        break;
      default: {
        const bool packed3 = format_ == GST_VIDEO_FORMAT_BGR || format_ == GST_VIDEO_FORMAT_RGB;
        add(frame, 0, packed3 ? CV_8UC3 : CV_8UC4, 1.0);
        break;
      }
    }
  }

  /* Calls draw(plane, scale, colour) for every plane, with `c` in that plane's layout; the
   * callee scales frame-pixel geometry by `scale`. Nothing is drawn outside `where` (frame
   * pixels) on YUY2 frames. */
  template <typename Draw>
  void draw(const Rgb &c, const cv::Rect &where, Draw draw) {
    if (!mask_.empty()) {
      draw(mask_, 1.0, cv::Scalar(255));
      commit_yuy2(c, where);
      return;
    }
    for (size_t i = 0; i < planes_.size(); i++)
      draw(planes_[i].mat, planes_[i].scale, colour(c, i));
  }

 private:
  struct Plane {
    cv::Mat mat;
    double scale;
  };

  void add(GstVideoFrame *frame, int plane, int type, double scale) {
    /* the plane's first component is the plane index for every supported format */
    planes_.push_back({cv::Mat(GST_VIDEO_FRAME_COMP_HEIGHT(frame, plane),
                               GST_VIDEO_FRAME_COMP_WIDTH(frame, plane), type,
                               GST_VIDEO_FRAME_PLANE_DATA(frame, plane),
                               GST_VIDEO_FRAME_PLANE_STRIDE(frame, plane)),
                       scale});
  }

  /* Y, Cb, Cr of an RGB colour in the stream's matrix and range. */
  cv::Scalar yuv(const Rgb &c) const {
    const double y = kr_ * c.r + (1.0 - kr_ - kb_) * c.g + kb_ * c.b;
    const double cscale = full_range_ ? 1.0 : 224.0 / 255.0;
    const double u = 128.0 + cscale * (c.b - y) / (2.0 * (1.0 - kb_));
    const double v = 128.0 + cscale * (c.r - y) / (2.0 * (1.0 - kr_));
    return cv::Scalar(full_range_ ? y : 16.0 + y * 219.0 / 255.0, u, v);
  }

  cv::Scalar colour(const Rgb &c, size_t i) const {
    switch (format_) {
      case GST_VIDEO_FORMAT_BGR:
      case GST_VIDEO_FORMAT_BGRx:
      case GST_VIDEO_FORMAT_BGRA:
        return cv::Scalar(c.b, c.g, c.r, 255);
      case GST_VIDEO_FORMAT_RGB:
      case GST_VIDEO_FORMAT_RGBx:
      case GST_VIDEO_FORMAT_RGBA:
        return cv::Scalar(c.r, c.g, c.b, 255);
      default:
        break;
    }
    const cv::Scalar yuv_colour = yuv(c);
    if (i == 0) return cv::Scalar(yuv_colour[0]);
    if (format_ == GST_VIDEO_FORMAT_NV12) return cv::Scalar(yuv_colour[1], yuv_colour[2]);
    return cv::Scalar(yuv_colour[i]);
  }

  /* Writes `c` into the YUY2 pixels the mask covers inside `where`, and clears the mask. */
  void commit_yuy2(const Rgb &c, const cv::Rect &where) {
    const cv::Scalar col = yuv(c);
    const int x0 = std::max(0, where.x) & ~1;  // whole macro-pixels
    const int x1 = std::min(mask_.cols, where.x + where.width);
    const int y0 = std::max(0, where.y), y1 = std::min(mask_.rows, where.y + where.height);
    for (int y = y0; y < y1; ++y) {
      uchar *m = mask_.ptr<uchar>(y);
      auto *px = yuy2_.ptr<uchar>(y);  // Y0 U Y1 V
      for (int x = x0; x < x1; x += 2) {
        const int a0 = m[x], a1 = x + 1 < mask_.cols ? m[x + 1] : 0;
        if (a0 == 0 && a1 == 0) continue;
        uchar *mp = px + 2 * x;
        mp[0] = cv::saturate_cast<uchar>(mp[0] + (col[0] - mp[0]) * a0 / 255.0);
        mp[2] = cv::saturate_cast<uchar>(mp[2] + (col[0] - mp[2]) * a1 / 255.0);
        if (std::max(a0, a1) >= 128) {
          mp[1] = cv::saturate_cast<uchar>(col[1]);
          mp[3] = cv::saturate_cast<uchar>(col[2]);
        }
        m[x] = 0;
        if (x + 1 < mask_.cols) m[x + 1] = 0;
      }
    }
  }

  GstVideoFormat format_;
  gdouble kr_ = 0.299, kb_ = 0.114;
  bool full_range_ = false;
  std::vector<Plane> planes_;
  cv::Mat yuy2_, mask_;  // YUY2: macro-pixels (Y0 U Y1 V) and the coverage mask
};

void draw_face(Canvas &canvas, const emo::gst::Face &face, const GstEmoOverlaySettings &settings,
               int line_width, const cv::Size &frame) {
  const Rgb colour = face.emotion ? colour_for(face.emotion->label) : kDefaultColour;
  const cv::Rect &box = face.box;
  if (settings.draw_boxes) {
    canvas.draw(colour, grown(box, line_width + 2), [&](cv::Mat &m, double s, const cv::Scalar &c) {
      cv::rectangle(m, at(box.tl(), s), at(box.br() - cv::Point(1, 1), s), c, thick(line_width, s));
    });
  }
  if (settings.draw_landmarks && !face.landmarks.empty()) {
    const int radius = std::max(1, cvRound(box.width / 90.0));
    std::vector<cv::Point2f> points(face.landmarks.begin(), face.landmarks.end());
    const cv::Rect dots = grown(cv::boundingRect(points), radius + 2);
    canvas.draw(colour, dots, [&](cv::Mat &m, double s, const cv::Scalar &c) {
      for (const emo::Point &p : face.landmarks)
        cv::circle(m, at(p, s), cvRound(radius * s), c, cv::FILLED);
    });
  }
  if (!settings.draw_labels || !face.emotion) return;

  /* "label NN%" on a filled tag above the box (below it, or inside, when there is no room),
   * sized after the face and kept inside the frame. */
  const std::string text =
      face.emotion->label + " " + std::to_string(cvRound(face.emotion->confidence * 100.0)) + "%";
  const double scale = std::clamp(box.width / 170.0, 0.4, 3.0);
  const int thickness = std::max(1, cvRound(scale * 1.6));
  int baseline = 0;
  const cv::Size size =
      cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  const int pad = std::max(2, cvRound(scale * 4));
  const cv::Size tag(size.width + 2 * pad, size.height + baseline + 2 * pad);
  const int half_line = line_width / 2;
  const int x = std::clamp(box.x - half_line, 0, std::max(0, frame.width - tag.width));
  int y = box.y - half_line - tag.height;
  if (y < 0) y = box.y + box.height + half_line;
  if (y + tag.height > frame.height) y = std::max(0, box.y + half_line);
  const bool dark = 0.299 * colour.r + 0.587 * colour.g + 0.114 * colour.b < 128;
  const cv::Rect label = grown(cv::Rect(x, y, tag.width + 1, tag.height + 1), 2);
  canvas.draw(colour, label, [&](cv::Mat &m, double s, const cv::Scalar &c) {
    cv::rectangle(m, at(cv::Point(x, y), s), at(cv::Point(x + tag.width, y + tag.height), s), c,
                  cv::FILLED);
  });
  canvas.draw(
      dark ? kDefaultColour : kBlack, label, [&](cv::Mat &m, double s, const cv::Scalar &c) {
        cv::putText(m, text, at(cv::Point(x + pad, y + pad + size.height), s),
                    cv::FONT_HERSHEY_SIMPLEX, scale * s, c, thick(thickness, s), cv::LINE_AA);
      });
}

}  // namespace

static GstFlowReturn gst_emo_overlay_analyse(GstEmoAnalysisFilter *base, GstBuffer *buf) {
  GstEmoOverlay *self = GST_EMO_OVERLAY(base);
  GstVideoFilter *filter = GST_VIDEO_FILTER(base);
  GstEmoOverlaySettings settings;
  {
    GstEmoObjectLock lock(self);
    settings = self->settings;
  }
  if (!settings.draw_boxes && !settings.draw_landmarks && !settings.draw_labels) return GST_FLOW_OK;
  const std::vector<emo::gst::Face> faces = emo::gst::read_faces(buf);
  if (faces.empty()) return GST_FLOW_OK;
  /* Only now is the frame mapped for writing (a copy of its memory if it is shared). */
  GstEmoFrameMap map(&filter->in_info, buf, GST_MAP_READWRITE);
  if (!map.ok()) {
    GST_WARNING_OBJECT(self, "cannot map frame for writing, passing it through undrawn");
    return GST_FLOW_OK;
  }
  const cv::Size frame(GST_VIDEO_INFO_WIDTH(&filter->in_info),
                       GST_VIDEO_INFO_HEIGHT(&filter->in_info));
  const int line_width = settings.line_width > 0
                             ? settings.line_width
                             : std::max(1, cvRound(std::min(frame.width, frame.height) / 360.0));
  Canvas canvas(map.frame());
  for (const emo::gst::Face &face : faces) draw_face(canvas, face, settings, line_width, frame);
  GST_LOG_OBJECT(self, "drew %zu faces at %" GST_TIME_FORMAT, faces.size(),
                 GST_TIME_ARGS(GST_BUFFER_PTS(buf)));
  return GST_FLOW_OK;
}

static void gst_emo_overlay_set_property(GObject *object, guint prop_id, const GValue *value,
                                         GParamSpec *pspec) {
  GstEmoOverlay *self = GST_EMO_OVERLAY(object);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_DRAW_BOXES:
      self->settings.draw_boxes = g_value_get_boolean(value);
      break;
    case PROP_DRAW_LANDMARKS:
      self->settings.draw_landmarks = g_value_get_boolean(value);
      break;
    case PROP_DRAW_LABELS:
      self->settings.draw_labels = g_value_get_boolean(value);
      break;
    case PROP_LINE_WIDTH:
      self->settings.line_width = g_value_get_int(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_overlay_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec) {
  GstEmoOverlay *self = GST_EMO_OVERLAY(object);
  GstEmoObjectLock lock(self);
  switch (prop_id) {
    case PROP_DRAW_BOXES:
      g_value_set_boolean(value, self->settings.draw_boxes);
      break;
    case PROP_DRAW_LANDMARKS:
      g_value_set_boolean(value, self->settings.draw_landmarks);
      break;
    case PROP_DRAW_LABELS:
      g_value_set_boolean(value, self->settings.draw_labels);
      break;
    case PROP_LINE_WIDTH:
      g_value_set_int(value, self->settings.line_width);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_overlay_init(GstEmoOverlay *self) {
  self->settings.draw_boxes = DEFAULT_DRAW_BOXES;
  self->settings.draw_landmarks = DEFAULT_DRAW_LANDMARKS;
  self->settings.draw_labels = DEFAULT_DRAW_LABELS;
  self->settings.line_width = DEFAULT_LINE_WIDTH;
}

static void gst_emo_overlay_class_init(GstEmoOverlayClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstEmoAnalysisFilterClass *filter_class = GST_EMO_ANALYSIS_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_overlay_debug, "emooverlay", 0,
                          "gst-emo face, landmark and emotion overlay");

  gobject_class->set_property = gst_emo_overlay_set_property;
  gobject_class->get_property = gst_emo_overlay_get_property;

  /* Every setting is read once per buffer under the object lock: safe to change any time. */
  const auto mutable_playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                        GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_DRAW_BOXES,
      g_param_spec_boolean("draw-boxes", "Draw boxes",
                           "Draw each face's box in the colour of its emotion", DEFAULT_DRAW_BOXES,
                           mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_DRAW_LANDMARKS,
      g_param_spec_boolean("draw-landmarks", "Draw landmarks",
                           "Draw each face's landmarks (set by emolandmarks) as small dots",
                           DEFAULT_DRAW_LANDMARKS, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_DRAW_LABELS,
      g_param_spec_boolean("draw-labels", "Draw labels",
                           "Draw each face's emotion (set by emoclassify) as 'label confidence%' "
                           "text above its box",
                           DEFAULT_DRAW_LABELS, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_LINE_WIDTH,
      g_param_spec_int("line-width", "Line width",
                       "Width of the box lines in frame pixels; 0 = follow the frame size "
                       "(1 pixel per 360 lines of the shorter side)",
                       0, 64, DEFAULT_LINE_WIDTH, mutable_playing));

  /* The pad templates are the base class's: every format the analysis elements accept. */
  gst_element_class_set_static_metadata(
      element_class, "Emotion overlay", "Filter/Effect/Video",
      "Draws face boxes, landmarks and emotion labels from gst-emo's face metadata",
      "gst-emo developers");

  /* Frames are mapped read-write only when something will be drawn (a copy of shared memory
   * only then), not by GstVideoFilter for every frame. */
  filter_class->analysis = "Drawing the overlay";
  filter_class->analyse = gst_emo_overlay_analyse;
}
