// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze: what a source learns from its pipeline (see analyze_source.hpp): the pad probe
// and the bus sync handler on streaming threads, the bus watch and progress on the main loop.
#include <cstdio>
#include <cstring>

#include "analyze_source.hpp"

namespace emo_analyze {

namespace {

GQuark generation_quark() { return g_quark_from_static_string("emo-analyze-generation"); }

std::pair<int, std::string> faces_of(const GstStructure *s) {
  const GValue *list = gst_structure_get_value(s, "faces");
  if (!list || !GST_VALUE_HOLDS_LIST(list)) return {0, ""};
  const guint n = gst_value_list_get_size(list);
  std::string label;
  gint64 best = -1;
  for (guint i = 0; i < n; ++i) {
    const GstStructure *f = gst_value_get_structure(gst_value_list_get_value(list, i));
    gint w = 0, h = 0;
    gst_structure_get_int(f, "width", &w);
    gst_structure_get_int(f, "height", &h);
    const gchar *l = gst_structure_get_string(f, "label");
    if (gint64(w) * h > best) best = gint64(w) * h, label = l ? l : "";
  }
  return {int(n), label};
}

std::string message_text(GstMessage *msg) {
  GError *err = nullptr;
  gchar *debug = nullptr;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error(msg, &err, &debug);
  else
    gst_message_parse_warning(msg, &err, &debug);
  std::string text = err ? err->message : "unknown error";
  // rtspsrc says "Could not read from resource." and puts the reason in the debug string.
  if (debug && g_strrstr(debug, "server closed the connection"))
    text += " (the server closed the connection)";
  if (err) g_error_free(err);
  g_free(debug);
  return text;
}

}  // namespace

std::string Source::progress() {
  const gint64 now = g_get_monotonic_time();
  const double dt = last_progress_us_ ? (now - last_progress_us_) / 1e6 : 0;
  const double fps = dt > 0 ? (frames_ - frames_at_last_) / dt : 0;
  last_progress_us_ = now;
  frames_at_last_ = frames_;
  gchar *line = g_strdup_printf(
      "[%s] %" G_GUINT64_FORMAT " frames  %.1f fps  %d faces  %s  %" G_GUINT64_FORMAT " windows%s",
      name_.c_str(), frames_, fps, faces_, emotion_.empty() ? "-" : emotion_.c_str(), windows_,
      retry_ ? "  (reconnecting)" : "");
  std::string out = line;
  g_free(line);
  return out;
}

GstPadProbeReturn Source::on_probe(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *link = static_cast<Link *>(data);
  Source *self = link->source;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    ++self->received_;
    link->last_data_us = g_get_monotonic_time();
    if (!link->got_data.exchange(true))
      gst_element_post_message(
          link->bin,
          gst_message_new_application(GST_OBJECT(link->bin), gst_structure_new_empty(kConnected)));
    return GST_PAD_PROBE_OK;
  }
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
  if (self->stopping_) return GST_PAD_PROBE_DROP;  // our own EOS is already on its way
  if (self->kind_ != Kind::File && link->failed) {
    // A live source that ends after an error or warning (rtspsrc: "the server closed the
    // connection") has dropped: keep the analysis running and reconnect.
    gst_element_post_message(
        link->bin,
        gst_message_new_application(GST_OBJECT(link->bin), gst_structure_new_empty(kDropped)));
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;  // the real end of the stream
}

// Streaming threads: marks the attempt whose bin an error or warning came from, before the EOS
// that may follow it reaches the probe.
GstBusSyncReply Source::on_sync(GstBus *, GstMessage *msg, gpointer) {
  const GstMessageType type = GST_MESSAGE_TYPE(msg);
  if (type != GST_MESSAGE_ERROR && type != GST_MESSAGE_WARNING && type != GST_MESSAGE_APPLICATION)
    return GST_BUS_PASS;
  GstObject *obj =
      GST_MESSAGE_SRC(msg) ? GST_OBJECT(gst_object_ref(GST_MESSAGE_SRC(msg))) : nullptr;
  while (obj) {
    if (auto *link = static_cast<Link *>(g_object_get_data(G_OBJECT(obj), kLinkKey))) {
      if (type != GST_MESSAGE_APPLICATION) link->failed = true;
      // Tagged now, while the element is still inside its bin: by the time the main loop
      // sees the message, the bin may be torn down and its children unparented.
      gst_mini_object_set_qdata(GST_MINI_OBJECT(msg), generation_quark(),
                                GINT_TO_POINTER(link->generation), nullptr);
      break;
    }
    GstObject *parent = gst_object_get_parent(obj);
    gst_object_unref(obj);
    obj = parent;
  }
  if (obj) gst_object_unref(obj);
  return GST_BUS_PASS;
}

gboolean Source::on_bus(GstBus *, GstMessage *msg, gpointer data) {
  static_cast<Source *>(data)->handle(msg);
  return G_SOURCE_CONTINUE;
}

void Source::handle(GstMessage *msg) {
  if (done_) return;
  GstObject *src = GST_MESSAGE_SRC(msg);
  // Source bins are numbered from 1; 0: a message of the analysis part (see on_sync).
  const int generation =
      GPOINTER_TO_INT(gst_mini_object_get_qdata(GST_MINI_OBJECT(msg), generation_quark()));
  const bool from_current = link_ && generation == link_->generation;
  const bool from_old_source = generation != 0 && !from_current;
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
      const std::string text = message_text(msg);
      if (from_current) {
        lost(text);
      } else if (!from_old_source) {
        gchar *debug = nullptr;
        gst_message_parse_error(msg, nullptr, &debug);
        say("error from %s: %s (%s)", GST_OBJECT_NAME(src), text.c_str(), debug ? debug : "");
        g_free(debug);
        finish(true, text);
      }
      break;
    }
    case GST_MESSAGE_WARNING:
      if (from_current) last_warning_ = message_text(msg);
      // The analysis part's MQTT publishers' warnings are always shown (a broker that is away).
      if (!from_old_source &&
          (settings_.verbose || g_strstr_len(message_text(msg).c_str(), -1, "MQTT")))
        say("warning from %s: %s", GST_OBJECT_NAME(src), message_text(msg).c_str());
      break;
    case GST_MESSAGE_APPLICATION: {
      if (!from_current) break;
      const GstStructure *s = gst_message_get_structure(msg);
      if (gst_structure_has_name(s, kDropped)) {
        lost(last_warning_.empty() ? "the stream ended after an error" : last_warning_);
      } else if (gst_structure_has_name(s, kConnected)) {
        if (attempts_ > 0 && ever_connected_)
          say("reconnected to %s after %d attempt%s", shown_.c_str(), attempts_,
              attempts_ > 1 ? "s" : "");
        else
          say("streaming from %s", shown_.c_str());
        ever_connected_ = true;
        // The pipeline went to PLAYING before this source: let it take its latency into
        // account (matters for a sink with sync=true).
        gst_bin_recalculate_latency(GST_BIN(pipeline_));
        attempts_ = 0;
        last_warning_.clear();
        notify();
      }
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure(msg);
      if (gst_structure_has_name(s, "emo-faces")) {
        ++frames_;
        auto [n, label] = faces_of(s);
        faces_ = n;
        if (n > 0) emotion_ = label;
      } else if (gst_structure_has_name(s, "emo-session-window")) {
        ++windows_;
        guint64 index = 0, start = 0, end = 0;
        gst_structure_get_uint64(s, "index", &index);
        gst_structure_get_uint64(s, "start", &start);
        gst_structure_get_uint64(s, "end", &end);
        const gchar *dominant = gst_structure_get_string(s, "dominant");
        const gchar *closed = gst_structure_get_string(s, "closed-by");
        say("window %" G_GUINT64_FORMAT ": %.1f-%.1f s, dominant %s, closed by %s", index,
            start / 1e9, end / 1e9, dominant ? dominant : "?", closed ? closed : "?");
        if (observer_) observer_->element_message(*this, s);
      } else if (gst_structure_has_name(s, "emo-publish-stats")) {
        const gchar *event = gst_structure_get_string(s, "event");
        const gchar *topic = gst_structure_get_string(s, "topic");
        guint64 dropped = 0;
        gst_structure_get_uint64(s, "dropped", &dropped);
        if (event && !std::strcmp(event, "connected"))
          say("mqtt %s: connected to %s", topic ? topic : "?",
              gst_structure_get_string(s, "address"));
        if (dropped > mqtt_dropped_) {
          mqtt_dropped_ = dropped;
          say("mqtt %s: %" G_GUINT64_FORMAT " messages dropped so far (queue full)",
              topic ? topic : "?", dropped);
        }
      } else if (gst_structure_has_name(s, "emo-session-analysis")) {
        guint64 index = 0;
        gst_structure_get_uint64(s, "index", &index);
        const gchar *state = gst_structure_get_string(s, "state");
        const gchar *detail = gst_structure_get_string(s, "detail");
        if (!state) state = "?";
        if (!detail) detail = "";
        if (!*detail || g_str_has_prefix(detail, state))  // the detail often repeats the state
          say("analysis %" G_GUINT64_FORMAT ": %s", index, *detail ? detail : state);
        else
          say("analysis %" G_GUINT64_FORMAT ": %s: %s", index, state, detail);
        if (observer_) observer_->element_message(*this, s);
      }
      break;
    }
    case GST_MESSAGE_EOS:
      finish(false, "");
      break;
    default:
      break;
  }
}

}  // namespace emo_analyze
