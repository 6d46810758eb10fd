// SPDX-License-Identifier: LGPL-2.1-or-later
// The rule for settings read when an element starts (GParamSpecs flagged
// GST_PARAM_MUTABLE_READY, or without a mutability flag: emosession's, read in NULL -> READY),
// in every gst-emo element: set while the element is started (PLAYING), a new value is refused
// with a warning on the bus and the property keeps reading back the value in use; stopped
// (READY, or NULL for those without a flag) it is taken. One test per element and property, found
// from the elements' own GParamSpecs, so that a new start-time property is tested too.
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "element_test_util.hpp"

using namespace emo_test;

namespace {

const char *const kElements[] = {"emofacedetect", "emolandmarks",   "emoclassify",
                                 "emooverlay",    "emometapublish", "emosession"};

struct Setting {
  std::string factory, property;
};

void PrintTo(const Setting &s, std::ostream *os) { *os << s.factory << "." << s.property; }

// Every writable start-time property of every element (not flagged MUTABLE_PLAYING/PAUSED).
std::vector<Setting> start_time_settings() {
  std::vector<Setting> out;
  for (const char *factory : kElements) {
    GstElementFactory *f = gst_element_factory_find(factory);
    if (!f) continue;
    GstPluginFeature *loaded = gst_plugin_feature_load(GST_PLUGIN_FEATURE(f));
    gst_object_unref(f);
    if (!loaded) continue;
    const GType type = gst_element_factory_get_element_type(GST_ELEMENT_FACTORY(loaded));
    gst_object_unref(loaded);
    auto *klass = static_cast<GObjectClass *>(g_type_class_ref(type));
    guint n = 0;
    GParamSpec **specs = g_object_class_list_properties(klass, &n);
    for (guint i = 0; i < n; ++i)
      if (!(specs[i]->flags & (GST_PARAM_MUTABLE_PLAYING | GST_PARAM_MUTABLE_PAUSED)) &&
          (specs[i]->flags & G_PARAM_WRITABLE) &&
          g_str_has_prefix(g_type_name(specs[i]->owner_type), "GstEmo"))  // not GstBaseSink's
        out.push_back({factory, specs[i]->name});
    g_free(specs);
    g_type_class_unref(klass);
  }
  return out;
}

// A value of `pspec`'s type other than `current` (valid for the property).
void other_value(GParamSpec *pspec, const GValue *current, GValue *out) {
  g_value_init(out, G_PARAM_SPEC_VALUE_TYPE(pspec));
  const GType t = G_PARAM_SPEC_VALUE_TYPE(pspec);
  if (t == G_TYPE_STRING) {
    g_value_set_string(out, "/nonexistent/changed-while-playing");
  } else if (t == G_TYPE_BOOLEAN) {
    g_value_set_boolean(out, !g_value_get_boolean(current));
  } else if (G_IS_PARAM_SPEC_INT(pspec)) {
    auto *p = G_PARAM_SPEC_INT(pspec);
    g_value_set_int(out, g_value_get_int(current) != p->maximum ? p->maximum : p->minimum);
  } else if (G_IS_PARAM_SPEC_UINT(pspec)) {
    auto *p = G_PARAM_SPEC_UINT(pspec);
    g_value_set_uint(out, g_value_get_uint(current) != p->maximum ? p->maximum : p->minimum);
  } else if (G_IS_PARAM_SPEC_INT64(pspec)) {
    auto *p = G_PARAM_SPEC_INT64(pspec);
    g_value_set_int64(out, g_value_get_int64(current) != p->maximum ? p->maximum : p->minimum);
  } else if (G_IS_PARAM_SPEC_UINT64(pspec)) {
    auto *p = G_PARAM_SPEC_UINT64(pspec);
    g_value_set_uint64(out, g_value_get_uint64(current) != p->maximum ? p->maximum : p->minimum);
  } else if (G_IS_PARAM_SPEC_DOUBLE(pspec)) {
    auto *p = G_PARAM_SPEC_DOUBLE(pspec);
    g_value_set_double(out, g_value_get_double(current) != p->maximum ? p->maximum : p->minimum);
  } else if (G_IS_PARAM_SPEC_ENUM(pspec)) {
    GEnumClass *e = G_PARAM_SPEC_ENUM(pspec)->enum_class;
    for (guint i = 0; i < e->n_values; ++i)
      if (e->values[i].value != g_value_get_enum(current)) {
        g_value_set_enum(out, e->values[i].value);
        break;
      }
  } else {
    ADD_FAILURE() << "no other value for a property of type " << g_type_name(t);
  }
}

std::string warning_text(GstBus *bus) {
  MessagePtr warning(gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING));
  if (!warning) return "";
  GError *error = nullptr;
  gst_message_parse_warning(warning.get(), &error, nullptr);
  std::string text = error ? error->message : "";
  if (error) g_error_free(error);
  return text;
}

class StartTimeSetting : public ::testing::TestWithParam<Setting> {};

TEST_P(StartTimeSetting, IsRefusedWhilePlayingAndTakenInReady) {
  const Setting &s = GetParam();
  g_unsetenv("GEMINI_API_KEY");  // emosession offline: it starts without a network
  ElementPtr element(gst_element_factory_make(s.factory.c_str(), nullptr));
  ASSERT_TRUE(element);
  gst_object_ref_sink(element.get());
  const std::string out = temp_dir() + "/settings-" + s.factory + ".jsonl";
  const bool sink = s.factory == "emosession";
  if (s.factory == "emometapublish") g_object_set(element.get(), "location", out.c_str(), nullptr);
  if (sink) g_object_set(element.get(), "sync", FALSE, "async", FALSE, nullptr);
  BusPtr bus(gst_bus_new());
  gst_element_set_bus(element.get(), bus.get());
  {
    HarnessPtr h(gst_harness_new_with_element(element.get(), "sink", sink ? nullptr : "src"));
    gst_harness_set_src_caps_str(h.get(), video_caps("I420").c_str());
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420", 0).release()), GST_FLOW_OK);
    if (!sink) BufferPtr(gst_harness_pull(h.get()));
    ASSERT_EQ(GST_STATE(element.get()), GST_STATE_PLAYING);
    while (MessagePtr(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_WARNING))) {
    }

    GParamSpec *pspec =
        g_object_class_find_property(G_OBJECT_GET_CLASS(element.get()), s.property.c_str());
    ASSERT_TRUE(pspec);
    const bool readable = pspec->flags & G_PARAM_READABLE;
    GValue before = G_VALUE_INIT, changed = G_VALUE_INIT, after = G_VALUE_INIT;
    g_value_init(&before, G_PARAM_SPEC_VALUE_TYPE(pspec));
    if (readable) g_object_get_property(G_OBJECT(element.get()), s.property.c_str(), &before);
    other_value(pspec, &before, &changed);
    ASSERT_NE(g_param_values_cmp(pspec, &before, &changed), 0);

    g_object_set_property(G_OBJECT(element.get()), s.property.c_str(), &changed);
    const std::string text = warning_text(bus.get());
    EXPECT_NE(text.find("'" + s.property + "' cannot change while the element is started"),
              std::string::npos)
        << "warning: \"" << text << "\"";
    if (readable) {
      g_value_init(&after, G_PARAM_SPEC_VALUE_TYPE(pspec));
      g_object_get_property(G_OBJECT(element.get()), s.property.c_str(), &after);
      EXPECT_EQ(g_param_values_cmp(pspec, &before, &after), 0) << "the value in use reads back";
      g_value_unset(&after);
    } else {
      EXPECT_EQ(text.find("changed-while-playing"), std::string::npos) << "write-only: not shown";
    }
    // The same value again is no change: taken silently.
    if (readable) {
      g_object_set_property(G_OBJECT(element.get()), s.property.c_str(), &before);
      EXPECT_EQ(warning_text(bus.get()), "");
    }
    // The element goes on.
    ASSERT_EQ(gst_harness_push(h.get(), make_frame(astronaut(), "I420", GST_SECOND / 30).release()),
              GST_FLOW_OK);
    if (!sink) BufferPtr(gst_harness_pull(h.get()));

    // Stopped, the new value is taken: in READY (NULL for emosession, a GstBaseSink, which
    // starts in NULL -> READY; its start-time settings carry no mutability flag).
    const GstState stopped =
        (pspec->flags & GST_PARAM_MUTABLE_READY) ? GST_STATE_READY : GST_STATE_NULL;
    ASSERT_EQ(gst_element_set_state(element.get(), stopped), GST_STATE_CHANGE_SUCCESS);
    g_object_set_property(G_OBJECT(element.get()), s.property.c_str(), &changed);
    EXPECT_EQ(warning_text(bus.get()), "");
    if (readable) {
      g_value_init(&after, G_PARAM_SPEC_VALUE_TYPE(pspec));
      g_object_get_property(G_OBJECT(element.get()), s.property.c_str(), &after);
      EXPECT_EQ(g_param_values_cmp(pspec, &changed, &after), 0) << "taken in READY";
      g_value_unset(&after);
    }
    g_value_unset(&before);
    g_value_unset(&changed);
  }
  gst_element_set_bus(element.get(), nullptr);
  g_unlink(out.c_str());
}

INSTANTIATE_TEST_SUITE_P(EveryElement, StartTimeSetting, ::testing::ValuesIn(start_time_settings()),
                         [](const ::testing::TestParamInfo<Setting> &info) {
                           std::string name = info.param.factory + "_" + info.param.property;
                           for (char &c : name)
                             if (!g_ascii_isalnum(c)) c = '_';
                           return name;
                         });

// The list above is not empty by accident: the settings the issue named are in it.
TEST(StartTimeSettings, CoverTheDocumentedOnes) {
  std::set<std::string> found;
  for (const Setting &s : start_time_settings()) found.insert(s.factory + "." + s.property);
  for (const char *want :
       {"emofacedetect.model", "emofacedetect.opencv-threads", "emofacedetect.max-unconfirmed",
        "emolandmarks.model", "emoclassify.model", "emooverlay.opencv-threads",
        "emometapublish.location", "emometapublish.method", "emometapublish.address",
        "emosession.location", "emosession.language", "emosession.api-key", "emosession.window"})
    EXPECT_TRUE(found.count(want)) << want;
}

}  // namespace
