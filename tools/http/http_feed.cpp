// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze --http: probes and appsink of one source (see http_feed.hpp).
#include "http_feed.hpp"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "emo/publish/messages.hpp"
#include "http_server.hpp"

namespace emo_analyze::http {

namespace {

constexpr size_t kEntries = 64;  // frames between the entry and the tee, at most

// Runs `fn` on the main loop with the feed kept alive; dropped when the source is gone.
template <typename Fn>
void on_main_loop(const std::shared_ptr<Feed> &feed, Fn fn) {
  struct Call {
    std::shared_ptr<Feed> feed;
    Fn fn;
  };
  g_idle_add_full(
      G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto *call = static_cast<Call *>(data);
        if (call->feed->server) call->fn(*call->feed->server, *call->feed);
        return G_SOURCE_REMOVE;
      },
      new Call{feed, std::move(fn)}, [](gpointer data) { delete static_cast<Call *>(data); });
}

std::size_t count_faces(GstBuffer *buf) {
  static const GQuark face = g_quark_from_static_string("face");
  std::size_t n = 0;
  gpointer state = nullptr;
  while (GstMeta *m = gst_buffer_iterate_meta_filtered(buf, &state,
                                                       GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))
    if (reinterpret_cast<GstVideoRegionOfInterestMeta *>(m)->roi_type == face) ++n;
  return n;
}

void add_probe(GstElement *pipeline, const char *element, const char *pad, GstPadProbeType type,
               GstPadProbeCallback cb, gpointer data) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), element);
  if (!e) return;
  GstPad *p = gst_element_get_static_pad(e, pad);
  gst_pad_add_probe(p, type, cb, data, nullptr);
  gst_object_unref(p);
  gst_object_unref(e);
}

}  // namespace

void Feed::hook(GstElement *pipeline) {
  // The pipeline lives shorter than the feed (the source is destroyed before detach()).
  add_probe(pipeline, "entry", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_entry, this);
  add_probe(pipeline, "analysis-tee", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_analysed, this);
  add_probe(pipeline, "web-gate", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_gate, this);
  if (session_text) gst_object_unref(session_text);
  session_text = gst_bin_get_by_name(GST_BIN(pipeline), "web-session");
  if (GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "web-video")) {
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = on_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, this, nullptr);
    gst_object_unref(sink);
  }
}

Feed::~Feed() {
  if (session_text) gst_object_unref(session_text);
}

void Feed::show_session(const GstStructure *s) {
  if (!session_text) return;
  guint64 index = 0;
  gst_structure_get_uint64(s, "index", &index);
  if (gst_structure_has_name(s, "emo-session-window")) {
    guint64 start = 0, end = 0;
    gst_structure_get_uint64(s, "start", &start);
    gst_structure_get_uint64(s, "end", &end);
    const gchar *dominant = gst_structure_get_string(s, "dominant");
    g_autofree gchar *line =
        g_strdup_printf("session: window %" G_GUINT64_FORMAT " %.0f-%.0f s, mostly %s", index,
                        start / 1e9, end / 1e9, dominant ? dominant : "?");
    window_text = line;
    g_autofree gchar *text = g_strdup_printf("%s; analysing", line);
    g_object_set(session_text, "text", text, "silent", FALSE, nullptr);
    return;
  }
  const gchar *state = gst_structure_get_string(s, "state");
  g_autofree gchar *text =
      g_strdup_printf("%s; analysis %s", window_text.c_str(), state ? state : "?");
  g_object_set(session_text, "text", text, "silent", FALSE, nullptr);
}

GstPadProbeReturn Feed::on_entry(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *self = static_cast<Feed *>(data);
  const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
  std::lock_guard<std::mutex> lock(self->entry_mutex);
  self->entries.emplace_back(pts, g_get_real_time() / 1000);
  while (self->entries.size() > kEntries) self->entries.pop_front();
  return GST_PAD_PROBE_OK;
}

gint64 Feed::entry_ms(GstClockTime pts) {
  std::lock_guard<std::mutex> lock(entry_mutex);
  while (!entries.empty() && entries.front().first != pts) entries.pop_front();
  if (entries.empty()) return -1;
  return entries.front().second;
}

GstPadProbeReturn Feed::on_analysed(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *self = static_cast<Feed *>(data);
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const guint64 frame = self->frames++;
  const std::size_t faces = count_faces(buf);
  if (!self->thinner.due(g_get_monotonic_time(), faces)) return GST_PAD_PROBE_OK;
  try {
    emo::publish::FrameInfo fi;
    fi.frame = frame;
    fi.include_landmarks = false;  // as emo-analyze --mqtt publishes them
    GstEvent *seg = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
    const GstSegment *segment = nullptr;
    if (seg) gst_event_parse_segment(seg, &segment);
    fi.segment = segment;
    if (GstCaps *caps = gst_pad_get_current_caps(pad)) {
      GstVideoInfo vi;
      if (gst_video_info_from_caps(&vi, caps)) fi.width = vi.width, fi.height = vi.height;
      gst_caps_unref(caps);
    }
    std::string json = emo::publish::frame_json(buf, fi);
    if (seg) gst_event_unref(seg);
    json = with_source(json, self->name, self->entry_ms(GST_BUFFER_PTS(buf)));
    on_main_loop(self->shared_from_this(), [json = std::move(json)](Server &server, Feed &feed) {
      server.broadcast("frame", json, &feed, false);
    });
  } catch (const std::exception &e) {
    GST_WARNING("frame event of %s: %s", self->name.c_str(), e.what());
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn Feed::on_gate(GstPad *, GstPadProbeInfo *, gpointer data) {
  return static_cast<Feed *>(data)->viewers > 0 ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

GstFlowReturn Feed::on_sample(GstAppSink *sink, gpointer data) {
  auto *self = static_cast<Feed *>(data);
  GstSample *sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_OK;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
    std::shared_ptr<GBytes> jpeg(g_bytes_new(map.data, map.size), g_bytes_unref);
    gst_buffer_unmap(buf, &map);
    on_main_loop(self->shared_from_this(),
                 [jpeg](Server &server, Feed &feed) { server.deliver(feed, jpeg.get()); });
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

}  // namespace emo_analyze::http
