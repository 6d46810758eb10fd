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
 * faces without an emotion, or with an unknown label, are drawn in white. A face that
 * emoclassify left without an emotion (label "unknown": too small, blurred, turned away, or
 * scores too flat, see docs/emotion-labels.md) gets its white box and no tag.
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
 * even mapped (unless a session is drawn, see below).
 *
 * #GstEmoOverlay:blur pixelates each face region before anything else is drawn (privacy: the
 * video can be recorded or streamed without identifiable faces, the metadata keeps the
 * emotion). #GstEmoOverlay:draw-pose draws each face's head pose axes (from its 68 landmarks).
 *
 * #GstEmoOverlay:session names an emosession of the same pipeline (usually on the other branch
 * of a `tee`): its state is drawn at the bottom of every frame, faces or not: "● REC 17 / 30 s"
 * and the window's dominant emotion so far, "analysing…" or "offline", and Gemini's reading of
 * the last window, word-wrapped (or its error: quota, timeout, ...) until the next one. That
 * text is laid out by Pango and drawn by Cairo (accents and any script the fonts have) and
 * blended with GStreamer's video-blend; see docs/session-overlay.md. Text size follows the face
 * size, line width follows the frame size unless #GstEmoOverlay:line-width is set.
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
 * With a session on screen:
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! emofacedetect ! emolandmarks ! emoclassify ! \
 *     tee name=t t. ! queue ! emooverlay session=s ! videoconvert ! autovideosink \
 *     t. ! queue ! emosession name=s context="my new job"
 * ]|
 */
#include "gstemooverlay.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include <memory>
#include <optional>

#include <opencv2/imgproc.hpp>

#include "emo/core/labels.hpp"
#include "emo/gst/face_meta.hpp"
#include "emo/landmarks/head_pose.hpp"
#include "emo/render/frame.hpp"
#include "emo/render/session_panel.hpp"
#include "gstemoanalysisfilter.h"
#include "gstemocommon.h"
#include "gstemosession.h"

GST_DEBUG_CATEGORY_STATIC(gst_emo_overlay_debug);
#define GST_CAT_DEFAULT gst_emo_overlay_debug

enum {
  PROP_0,
  PROP_DRAW_BOXES,
  PROP_DRAW_LANDMARKS,
  PROP_DRAW_LABELS,
  PROP_LINE_WIDTH,
  PROP_SESSION,
  PROP_BLUR,
  PROP_DRAW_POSE,
};

#define DEFAULT_DRAW_BOXES TRUE
#define DEFAULT_DRAW_LANDMARKS TRUE
#define DEFAULT_DRAW_LABELS TRUE
#define DEFAULT_LINE_WIDTH 0
#define DEFAULT_SESSION nullptr
#define DEFAULT_BLUR FALSE
#define DEFAULT_DRAW_POSE FALSE

/* Settings, under GST_OBJECT_LOCK; plain data, copied once per buffer. */
struct GstEmoOverlaySettings {
  gboolean draw_boxes;
  gboolean draw_landmarks;
  gboolean draw_labels;
  gint line_width;  // 0 = follow the frame size
  gboolean blur;    // pixelate each face region first
  gboolean draw_pose;
};

struct _GstEmoOverlay {
  GstEmoAnalysisFilter parent;

  /* settings, under GST_OBJECT_LOCK */
  GstEmoOverlaySettings settings;
  gchar *session;  // name of the emosession whose state is drawn, or NULL

  /* streaming state: the board of `board_name` once found, dropped in stop() */
  std::shared_ptr<emo::SessionBoard> board;
  std::string board_name;
  std::unique_ptr<emo::render::PanelCache> panels;  // the last panels drawn
  bool warned_no_session;
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
  /* A face that got no emotion ("unknown", emoclassify's gate) keeps its white box, no tag. */
  if (!settings.draw_labels || !face.emotion || face.emotion->label.empty() ||
      face.emotion->label == emo::kUnknownEmotion)
    return;

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

/* The head's axes from its 68 landmarks (emo::estimate_head_pose(), the same estimate as the
 * "pose" structure): x (image right) red, y (down) green, z (towards the camera) blue, from the
 * nose tip, a third of the face width long at a frontal pose. */
void draw_pose(Canvas &canvas, const emo::gst::Face &face, int line_width, const cv::Size &frame) {
  const std::optional<emo::HeadPose> pose = emo::estimate_head_pose(face.landmarks, frame);
  if (!pose) return;
  const double eye_px = cv::norm(face.landmarks[45] - face.landmarks[36]);
  /* model units per pixel at the face: the eye corners are 450 units apart */
  const double length = 450.0 / std::max(1.0, eye_px) * face.box.width / 3.0;
  const std::array<cv::Point2f, 4> axes = emo::head_pose_axes(*pose, frame, length);
  const Rgb colours[3] = {{235, 45, 45}, {40, 205, 75}, {55, 125, 245}};
  for (int i = 0; i < 3; ++i) {
    const cv::Rect where =
        grown(cv::boundingRect(std::vector<cv::Point2f>{axes[0], axes[i + 1]}), line_width + 2);
    canvas.draw(colours[i], where, [&](cv::Mat &m, double s, const cv::Scalar &c) {
      cv::line(m, at(axes[0], s), at(axes[i + 1], s), c, thick(line_width + 1, s), cv::LINE_AA);
    });
  }
}

}  // namespace

/* The board of the emosession called `name` in the same pipeline (the top-level bin and every
 * bin in it), or null when there is none (yet). */
static std::shared_ptr<emo::SessionBoard> gst_emo_overlay_find_board(GstEmoOverlay *self,
                                                                     const std::string &name) {
  GstObject *top = GST_OBJECT(gst_object_ref(self));
  while (GstObject *parent = gst_object_get_parent(top)) {
    gst_object_unref(top);
    top = parent;
  }
  std::shared_ptr<emo::SessionBoard> board;
  if (GST_IS_BIN(top)) {
    if (GstElement *e = gst_bin_get_by_name(GST_BIN(top), name.c_str())) {
      if (GST_IS_EMO_SESSION(e)) board = gst_emo_session_board(GST_EMO_SESSION(e));
      gst_object_unref(e);
    }
  }
  gst_object_unref(top);
  return board;
}

/* Privacy: pixelates the face's box grown by a sixth on each side (hair, ears, chin), in
 * blocks of an eighth of the face width (at least 4 pixels). */
static void gst_emo_overlay_blur_face(GstEmoOverlay *self, GstVideoFrame *frame,
                                      const cv::Rect &box) {
  const int grow = box.width / 6;
  const cv::Rect region(box.x - grow, box.y - grow, box.width + 2 * grow, box.height + 2 * grow);
  if (!emo::render::pixelate(frame, region, std::max(4, box.width / 8)))
    GST_WARNING_OBJECT(self, "cannot pixelate faces on this format");
}

/* The session views to draw on this buffer (none without a session property). */
static std::vector<emo::SessionView> gst_emo_overlay_session_views(GstEmoOverlay *self) {
  std::string name;
  {
    GstEmoObjectLock lock(self);
    name = self->session ? self->session : "";
  }
  if (name.empty()) return {};
  if (!self->board || name != self->board_name) {
    self->board = gst_emo_overlay_find_board(self, name);
    self->board_name = name;
    if (!self->board && !self->warned_no_session) {
      GST_ELEMENT_WARNING(
          self, RESOURCE, NOT_FOUND,
          ("No emosession named \"%s\" in this pipeline: its state is not drawn.", name.c_str()),
          ("session=%s names no element of type emosession", name.c_str()));
      self->warned_no_session = true;
    }
  }
  return self->board ? self->board->snapshot() : std::vector<emo::SessionView>();
}

/* Draws the session panels: across the bottom for the followed face (or the only session);
 * with one session per person, each under its face when the face is on the frame. */
static void gst_emo_overlay_draw_session(GstEmoOverlay *self, GstVideoFrame *frame,
                                         const std::vector<emo::SessionView> &views,
                                         const std::vector<emo::gst::Face> &faces,
                                         GstClockTime pts) {
  const GstSegment *segment = &GST_BASE_TRANSFORM(self)->segment;
  std::int64_t running_time = -1;
  if (GST_CLOCK_TIME_IS_VALID(pts) && segment->format == GST_FORMAT_TIME) {
    const GstClockTime rt = gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID(rt)) running_time = static_cast<std::int64_t>(rt);
  }
  const cv::Size size(GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame));
  if (!self->panels) self->panels = std::make_unique<emo::render::PanelCache>();
  for (const emo::SessionView &view : views) {
    emo::render::PlacedPanel panel;
    if (view.track_id < 0 || views.size() == 1) {
      panel = emo::render::render_session_panel(view, running_time, size,
                                                emo::render::PanelPlace::Bottom, cv::Rect(),
                                                self->panels.get());
    } else {
      auto face = std::find_if(faces.begin(), faces.end(), [&](const emo::gst::Face &f) {
        return f.track_id == view.track_id;
      });
      if (face == faces.end()) continue;
      panel = emo::render::render_session_panel(view, running_time, size,
                                                emo::render::PanelPlace::UnderBox, face->box,
                                                self->panels.get());
    }
    if (panel.image.bgra.empty()) continue;
    if (!emo::render::blend(frame, panel.image.bgra, panel.at.x, panel.at.y))
      GST_WARNING_OBJECT(self, "cannot blend the session panel on %s",
                         GST_VIDEO_FRAME_FORMAT(frame) == GST_VIDEO_FORMAT_UNKNOWN
                             ? "?"
                             : gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(frame)));
  }
}

static GstFlowReturn gst_emo_overlay_analyse(GstEmoAnalysisFilter *base, GstBuffer *buf) {
  GstEmoOverlay *self = GST_EMO_OVERLAY(base);
  GstVideoFilter *filter = GST_VIDEO_FILTER(base);
  GstEmoOverlaySettings settings;
  {
    GstEmoObjectLock lock(self);
    settings = self->settings;
  }
  const bool face_layers = settings.draw_boxes || settings.draw_landmarks || settings.draw_labels ||
                           settings.blur || settings.draw_pose;
  const std::vector<emo::SessionView> views = gst_emo_overlay_session_views(self);
  if (!face_layers && views.empty()) return GST_FLOW_OK;
  const std::vector<emo::gst::Face> faces = emo::gst::read_faces(buf);
  if ((faces.empty() || !face_layers) && views.empty()) return GST_FLOW_OK;
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
  if (settings.blur)
    for (const emo::gst::Face &face : faces) gst_emo_overlay_blur_face(self, map.frame(), face.box);
  if (face_layers)
    for (const emo::gst::Face &face : faces) draw_face(canvas, face, settings, line_width, frame);
  if (settings.draw_pose)
    for (const emo::gst::Face &face : faces)
      if (face.landmarks.size() == 68) draw_pose(canvas, face, line_width, frame);
  gst_emo_overlay_draw_session(self, map.frame(), views, faces, GST_BUFFER_PTS(buf));
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
    case PROP_BLUR:
      self->settings.blur = g_value_get_boolean(value);
      break;
    case PROP_DRAW_POSE:
      self->settings.draw_pose = g_value_get_boolean(value);
      break;
    case PROP_SESSION:
      g_free(self->session);
      self->session = g_value_dup_string(value);
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
    case PROP_BLUR:
      g_value_set_boolean(value, self->settings.blur);
      break;
    case PROP_DRAW_POSE:
      g_value_set_boolean(value, self->settings.draw_pose);
      break;
    case PROP_SESSION:
      g_value_set_string(value, self->session);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void gst_emo_overlay_unload(GstEmoAnalysisFilter *base) {
  GstEmoOverlay *self = GST_EMO_OVERLAY(base);
  self->board.reset();
  self->board_name.clear();
  self->panels.reset();
  self->warned_no_session = false;
}

static void gst_emo_overlay_finalize(GObject *object) {
  GstEmoOverlay *self = GST_EMO_OVERLAY(object);
  g_free(self->session);
  self->board.~shared_ptr();
  self->board_name.~basic_string();
  self->panels.~unique_ptr();
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

static void gst_emo_overlay_init(GstEmoOverlay *self) {
  /* GObject zero-fills the instance; construct the C++ members in place. */
  new (&self->board) std::shared_ptr<emo::SessionBoard>();
  new (&self->board_name) std::string();
  new (&self->panels) std::unique_ptr<emo::render::PanelCache>();
  self->settings.draw_boxes = DEFAULT_DRAW_BOXES;
  self->settings.draw_landmarks = DEFAULT_DRAW_LANDMARKS;
  self->settings.draw_labels = DEFAULT_DRAW_LABELS;
  self->settings.line_width = DEFAULT_LINE_WIDTH;
  self->settings.blur = DEFAULT_BLUR;
  self->settings.draw_pose = DEFAULT_DRAW_POSE;
}

static void gst_emo_overlay_class_init(GstEmoOverlayClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstEmoAnalysisFilterClass *filter_class = GST_EMO_ANALYSIS_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_emo_overlay_debug, "emooverlay", 0,
                          "gst-emo face, landmark and emotion overlay");

  gobject_class->set_property = gst_emo_overlay_set_property;
  gobject_class->get_property = gst_emo_overlay_get_property;
  gobject_class->finalize = gst_emo_overlay_finalize;

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
  g_object_class_install_property(
      gobject_class, PROP_BLUR,
      g_param_spec_boolean("blur", "Blur faces",
                           "Privacy: pixelate each face region (its box grown by a sixth on each "
                           "side, blocks of an eighth of its width) before anything is drawn; the "
                           "metadata is kept",
                           DEFAULT_BLUR, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_DRAW_POSE,
      g_param_spec_boolean("draw-pose", "Draw head pose",
                           "Draw each face's head pose (from its 68 landmarks) as three axes from "
                           "the nose tip: x red, y green, z (towards the camera) blue",
                           DEFAULT_DRAW_POSE, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_SESSION,
      g_param_spec_string("session", "Session",
                          "Name of an emosession element in the same pipeline whose state is "
                          "drawn: recording time, dominant emotion so far, Gemini's last reading "
                          "or error (Pango text); unset: none",
                          DEFAULT_SESSION, mutable_playing));

  /* The pad templates are the base class's: every format the analysis elements accept. */
  gst_element_class_set_static_metadata(
      element_class, "Emotion overlay", "Filter/Effect/Video",
      "Draws face boxes, landmarks and emotion labels from gst-emo's face metadata",
      "gst-emo developers");

  /* Frames are mapped read-write only when something will be drawn (a copy of shared memory
   * only then), not by GstVideoFilter for every frame. */
  filter_class->analysis = "Drawing the overlay";
  filter_class->analyse = gst_emo_overlay_analyse;
  filter_class->unload = gst_emo_overlay_unload;
}
