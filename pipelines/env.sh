# shellcheck shell=bash disable=SC2034  # its variables are used by the scripts sourcing it
# Sourced by the pipelines/ scripts (not run on its own): points GStreamer at the build tree's
# plugin and the elements at the committed default models, unless the caller already chose
# (CTest sets both for the build tree it tests):
#   GST_PLUGIN_PATH    default <repo>/build/plugins   ($EMO_BUILD_DIR/plugins when set)
#   GST_EMO_MODEL_DIR  default <repo>/models
emo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
emo_build="${EMO_BUILD_DIR:-$emo_root/build}"
emo_own_plugin_path=0
if [ -z "${GST_PLUGIN_PATH:-}" ]; then
  export GST_PLUGIN_PATH="$emo_build/plugins"
  emo_own_plugin_path=1
fi
export GST_EMO_MODEL_DIR="${GST_EMO_MODEL_DIR:-$emo_root/models}"

# emo_require_plugin NAME: exits with a hint when GStreamer cannot find the gst-emo elements.
emo_require_plugin() {
  if ! gst-inspect-1.0 emooverlay >/dev/null 2>&1; then
    echo "$1: the gst-emo plugin is not in GST_PLUGIN_PATH=$GST_PLUGIN_PATH;" \
      "build it with tools/setup.sh" >&2
    exit 1
  fi
}

# emo_set_chain POST_MESSAGES: sets the array emo_chain to the analysis chain between a
# raw-video source and the encoder or sink; POST_MESSAGES (true/false) makes emoclassify post
# one "emo-faces" bus message per frame. Extra emooverlay properties come from
# $EMO_OVERLAY_PROPS (e.g. "draw-landmarks=false line-width=3").
emo_set_chain() {
  # shellcheck disable=SC2206
  emo_chain=(emofacedetect ! emolandmarks ! emoclassify post-messages="$1" !
    emooverlay ${EMO_OVERLAY_PROPS:-})
}
