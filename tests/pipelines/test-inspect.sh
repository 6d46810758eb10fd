#!/usr/bin/env bash
# gst-inspect-1.0 finds the plugin and each of its six elements, with their properties.
set -euo pipefail
# shellcheck source=tests/pipelines/lib.sh
source "$(dirname "$0")/lib.sh"
declare -A props=(
  [emofacedetect]="model scale-factor min-neighbors min-size detection-width max-faces detection-interval async-detection detection-lag
    max-unconfirmed max-unconfirmed-time shot-cut-threshold"
  [emolandmarks]="model"
  [emoclassify]="model post-messages reclassify-interval max-classifications"
  [emooverlay]="draw-boxes draw-landmarks draw-labels line-width"
  [emometapublish]="location append flush-every include-landmarks"
  [emosession]="window sample-interval min-window track-id context language prompt-template
    api-key model endpoint timeout max-retries location eos-timeout"
)
run_logged "$tmp/plugin.txt" gst-inspect-1.0 emo
for element in "${!props[@]}"; do
  grep -q "^ *$element: " "$tmp/plugin.txt" || fail "'gst-inspect-1.0 emo' does not list $element"
  run_logged "$tmp/$element.txt" gst-inspect-1.0 "$element"
  grep -q "Element Properties:" "$tmp/$element.txt" || fail "$element: no properties printed"
  for prop in ${props[$element]}; do
    grep -q "^  $prop *: " "$tmp/$element.txt" || fail "$element has no property $prop"
  done
done
grep -q "6 elements" "$tmp/plugin.txt" || fail "the plugin does not have exactly 6 elements"
note "plugin and 6 elements inspected"
