// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-rtsp-serve: serves a video file or a GStreamer launch line over RTSP (gst-rtsp-server),
// optionally with the gst-emo analysis and overlay burnt in (re-encoded as H.264).
//
//   emo-rtsp-serve [--port N] [--mount /stream] FILE                 H.264 file, passed through
//   emo-rtsp-serve --annotate FILE                                   analysis + overlay, x264
//   emo-rtsp-serve --loop [--annotate] FILE                          endless, like a camera
//   emo-rtsp-serve --launch "videotestsrc is-live=true ! x264enc ! rtph264pay name=pay0"
//   emo-rtsp-serve --shared --launch "v4l2src ! ... ! rtph264pay name=pay0"   one camera
//
// It prints "PORT <n>" and "URL rtsp://<address>:<n><mount>" on stdout once it listens
// (--port 0 picks a free port), then serves until SIGINT or SIGTERM.
//
// Without --loop every client gets its own pipeline that plays the file once from the start
// and then ends the stream (RTCP BYE, EOS at the client). With --loop one feed pipeline
// decodes the file in real time, seeking back to the start at its end, and pushes the raw
// frames into the (shared) media of the connected clients: a client that connects late joins
// mid-stream, as with a live camera.
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include <glib-unix.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

namespace {

struct Options {
  gint port = 8554;
  gchar *address = nullptr, *mount = nullptr, *launch = nullptr;
  gboolean loop = FALSE, annotate = FALSE, encode = FALSE, shared = FALSE;
  gchar **files = nullptr;
  ~Options() { g_free(address), g_free(mount), g_free(launch), g_strfreev(files); }
};

constexpr const char *kChain =
    "videoconvert ! emofacedetect ! emolandmarks ! emoclassify ! emooverlay ! ";
// Low-latency H.264 with a key frame every second or so, so that late clients start fast.
constexpr const char *kEncode =
    "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=veryfast "
    "key-int-max=25 ! rtph264pay name=pay0 pt=96 config-interval=-1";

// The looping feed: a real-time decode pipeline whose frames go into the media's appsrc.
struct Feed {
  GstElement *pipeline = nullptr;
  std::mutex lock;
  GstElement *appsrc = nullptr;  // the current media's appsrc (a ref), or nullptr
  ~Feed() {
    if (pipeline) {
      gst_element_set_state(pipeline, GST_STATE_NULL);
      gst_object_unref(pipeline);
    }
    if (appsrc) gst_object_unref(appsrc);
  }
};

GstFlowReturn on_feed_sample(GstAppSink *sink, gpointer data) {
  auto *feed = static_cast<Feed *>(data);
  GstSample *sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  GstElement *appsrc = nullptr;
  {
    std::lock_guard<std::mutex> guard(feed->lock);
    if (feed->appsrc) appsrc = GST_ELEMENT(gst_object_ref(feed->appsrc));
  }
  if (appsrc) {
    // The appsrc stamps each frame with the media's running time (do-timestamp).
    GstBuffer *buf = gst_buffer_copy(gst_sample_get_buffer(sample));
    GST_BUFFER_PTS(buf) = GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
    gst_app_src_set_caps(GST_APP_SRC(appsrc), gst_sample_get_caps(sample));
    gst_app_src_push_buffer(GST_APP_SRC(appsrc), buf);
    gst_object_unref(appsrc);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

gboolean on_feed_bus(GstBus *, GstMessage *msg, gpointer data) {
  auto *feed = static_cast<Feed *>(data);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    // Back to the start; the flushing seek also restarts the running time, so the feed keeps
    // its real-time pace.
    if (!gst_element_seek_simple(feed->pipeline, GST_FORMAT_TIME,
                                 GstSeekFlags(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT), 0))
      g_printerr("emo-rtsp-serve: cannot seek back to the start of the file\n");
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    g_printerr("emo-rtsp-serve: feed error: %s\n", err->message);
    g_error_free(err);
  }
  return G_SOURCE_CONTINUE;
}

void on_media_unprepared(GstRTSPMedia *, gpointer data) {
  auto *feed = static_cast<Feed *>(data);
  std::lock_guard<std::mutex> guard(feed->lock);
  if (feed->appsrc) gst_object_unref(feed->appsrc);
  feed->appsrc = nullptr;
}

void on_media_configure(GstRTSPMediaFactory *, GstRTSPMedia *media, gpointer data) {
  auto *feed = static_cast<Feed *>(data);
  GstElement *bin = gst_rtsp_media_get_element(media);
  GstElement *appsrc = gst_bin_get_by_name(GST_BIN(bin), "feed");
  gst_object_unref(bin);
  if (!appsrc) return;
  {
    std::lock_guard<std::mutex> guard(feed->lock);
    if (feed->appsrc) gst_object_unref(feed->appsrc);
    feed->appsrc = appsrc;
  }
  g_signal_connect(media, "unprepared", G_CALLBACK(on_media_unprepared), feed);
}

bool start_feed(Feed &feed, const char *file, bool annotate) {
  gchar *quoted = g_strescape(file, nullptr);
  std::string desc = std::string("filesrc location=\"") + quoted + "\" ! decodebin ! " +
                     (annotate ? kChain : "") +
                     "videoconvert ! video/x-raw,format=I420 ! "
                     "appsink name=out sync=true max-buffers=2 drop=true";
  g_free(quoted);
  GError *err = nullptr;
  feed.pipeline = gst_parse_launch(desc.c_str(), &err);
  if (!feed.pipeline) {
    g_printerr("emo-rtsp-serve: %s\n", err->message);
    g_error_free(err);
    return false;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(feed.pipeline), "out");
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = on_feed_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, &feed, nullptr);
  gst_object_unref(sink);
  GstBus *bus = gst_element_get_bus(feed.pipeline);
  gst_bus_add_watch(bus, on_feed_bus, &feed);
  gst_object_unref(bus);
  if (gst_element_set_state(feed.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr("emo-rtsp-serve: cannot play %s\n", file);
    return false;
  }
  return true;
}

// The media launch line of a file served without --loop.
std::string file_launch(const char *file, bool annotate, bool encode) {
  gchar *quoted = g_strescape(file, nullptr);
  std::string src = std::string("filesrc location=\"") + quoted + "\" ! ";
  g_free(quoted);
  if (annotate || encode) return src + "decodebin ! " + (annotate ? kChain : "") + kEncode;
  // Passed through: H.264 files only.
  return src + "parsebin ! rtph264pay name=pay0 pt=96 config-interval=-1";
}

gboolean on_signal(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop *>(loop));
  return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  const GOptionEntry entries[] = {
      {"port", 'p', 0, G_OPTION_ARG_INT, &o.port,
       "TCP port to listen on; 0 picks a free one "
       "(default 8554)",
       "N"},
      {"address", 'a', 0, G_OPTION_ARG_STRING, &o.address,
       "Address to listen on (default 127.0.0.1)", "ADDR"},
      {"mount", 'm', 0, G_OPTION_ARG_STRING, &o.mount, "Mount point (default /stream)", "PATH"},
      {"loop", 'l', 0, G_OPTION_ARG_NONE, &o.loop,
       "Play the file endlessly in real time, shared by all clients (re-encoded)", nullptr},
      {"annotate", 0, 0, G_OPTION_ARG_NONE, &o.annotate,
       "Run the gst-emo analysis and burn the overlay in (re-encoded with x264)", nullptr},
      {"encode", 0, 0, G_OPTION_ARG_NONE, &o.encode,
       "Re-encode the file with x264 (for files that are not H.264)", nullptr},
      {"launch", 0, 0, G_OPTION_ARG_STRING, &o.launch,
       "Serve this launch line instead of a file; it must contain a payloader named pay0",
       "PIPELINE"},
      {"shared", 's', 0, G_OPTION_ARG_NONE, &o.shared,
       "One pipeline for all clients (for a --launch line that reads a camera)", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.files, nullptr, "[FILE]"},
      {}};
  GError *err = nullptr;
  GOptionContext *ctx = g_option_context_new("[FILE] - serve a video over RTSP");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  const bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
  g_option_context_free(ctx);
  if (!parsed) {
    g_printerr("emo-rtsp-serve: %s\n", err->message);
    g_error_free(err);
    return 2;
  }
  const guint nfiles = o.files ? g_strv_length(o.files) : 0;
  if ((o.launch != nullptr) == (nfiles == 1) || nfiles > 1) {
    g_printerr("emo-rtsp-serve: give either one FILE or --launch (see --help)\n");
    return 2;
  }
  if (o.port < 0 || o.port > 65535) {
    g_printerr("emo-rtsp-serve: --port must be in [0, 65535]\n");
    return 2;
  }
  const char *file = nfiles ? o.files[0] : nullptr;
  if (file && !g_file_test(file, G_FILE_TEST_IS_REGULAR)) {
    g_printerr("emo-rtsp-serve: no such file: %s\n", file);
    return 1;
  }
  const char *address = o.address ? o.address : "127.0.0.1";
  const char *mount = o.mount ? o.mount : "/stream";
  if (mount[0] != '/') {
    g_printerr("emo-rtsp-serve: --mount must start with '/'\n");
    return 2;
  }

  Feed feed;
  GstRTSPMediaFactory *factory = gst_rtsp_media_factory_new();
  std::string launch;
  if (o.launch) {
    launch = o.launch;
  } else if (o.loop) {
    launch = std::string(
                 "appsrc name=feed is-live=true do-timestamp=true format=time "
                 "max-bytes=20000000 ! queue max-size-buffers=4 ! ") +
             kEncode;
    gst_rtsp_media_factory_set_shared(factory, TRUE);
    g_signal_connect(factory, "media-configure", G_CALLBACK(on_media_configure), &feed);
    if (!start_feed(feed, file, o.annotate)) return 1;
  } else {
    launch = file_launch(file, o.annotate, o.encode);
  }
  if (o.shared) gst_rtsp_media_factory_set_shared(factory, TRUE);
  gst_rtsp_media_factory_set_launch(factory, ("( " + launch + " )").c_str());

  GstRTSPServer *server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, address);
  gst_rtsp_server_set_service(server, std::to_string(o.port).c_str());
  GstRTSPMountPoints *mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, mount, factory);
  g_object_unref(mounts);
  if (gst_rtsp_server_attach(server, nullptr) == 0) {
    g_printerr("emo-rtsp-serve: cannot listen on %s:%d\n", address, o.port);
    g_object_unref(server);
    return 1;
  }
  const int port = gst_rtsp_server_get_bound_port(server);
  std::printf("PORT %d\nURL rtsp://%s:%d%s\n", port, address, port, mount);
  std::fflush(stdout);

  GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
  g_unix_signal_add(SIGINT, on_signal, loop);
  g_unix_signal_add(SIGTERM, on_signal, loop);
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  g_object_unref(server);
  return 0;
}
