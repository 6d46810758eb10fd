// SPDX-License-Identifier: LGPL-2.1-or-later
// Tests of the "emo-landmark-boxes" upstream event (emo::gst, landmark_event.hpp).
#include <gtest/gtest.h>

#include "emo/gst/landmark_event.hpp"

namespace {

struct EventDeleter {
  void operator()(GstEvent *e) const { gst_event_unref(e); }
};
using EventPtr = std::unique_ptr<GstEvent, EventDeleter>;

class LandmarkEventTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

TEST_F(LandmarkEventTest, RoundTrip) {
  const std::vector<emo::gst::LandmarkBox> faces{{3, {10, 20, 30, 40}}, {9, {100, 5, 60, 70}}};
  EventPtr event(emo::gst::make_landmark_boxes_event(42 * GST_MSECOND, faces));
  EXPECT_EQ(GST_EVENT_TYPE(event.get()), GST_EVENT_CUSTOM_UPSTREAM);
  EXPECT_TRUE(emo::gst::is_landmark_boxes_event(event.get()));
  GstClockTime pts = 0;
  std::vector<emo::gst::LandmarkBox> read;
  ASSERT_TRUE(emo::gst::parse_landmark_boxes_event(event.get(), pts, read));
  EXPECT_EQ(pts, 42 * GST_MSECOND);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].track_id, 3u);
  EXPECT_EQ(read[0].extent, emo::Box(10, 20, 30, 40));
  EXPECT_EQ(read[1].track_id, 9u);
  EXPECT_EQ(read[1].extent, emo::Box(100, 5, 60, 70));
}

TEST_F(LandmarkEventTest, RejectsOtherAndMalformedEvents) {
  GstClockTime pts = 0;
  std::vector<emo::gst::LandmarkBox> read{{1, {0, 0, 1, 1}}};
  EventPtr other(
      gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty("something-else")));
  EXPECT_FALSE(emo::gst::is_landmark_boxes_event(other.get()));
  EXPECT_FALSE(emo::gst::parse_landmark_boxes_event(other.get(), pts, read));
  EXPECT_TRUE(read.empty());
  // Arrays of mismatched lengths (one id, no box).
  EventPtr event(emo::gst::make_landmark_boxes_event(0, {{1, {0, 0, 5, 5}}}));
  GstStructure *s = gst_event_writable_structure(event.get());
  GValue empty = G_VALUE_INIT;
  g_value_init(&empty, GST_TYPE_ARRAY);
  gst_structure_take_value(s, "boxes", &empty);
  EXPECT_FALSE(emo::gst::parse_landmark_boxes_event(event.get(), pts, read));
  // A box without a positive size.
  EventPtr bad(emo::gst::make_landmark_boxes_event(0, {{1, {0, 0, 0, 5}}}));
  EXPECT_FALSE(emo::gst::parse_landmark_boxes_event(bad.get(), pts, read));
  // No pts.
  EventPtr no_pts(emo::gst::make_landmark_boxes_event(0, {}));
  gst_structure_remove_field(gst_event_writable_structure(no_pts.get()), "pts");
  EXPECT_FALSE(emo::gst::parse_landmark_boxes_event(no_pts.get(), pts, read));
}

TEST_F(LandmarkEventTest, ExtentIsTheBoundingBoxOfThePoints) {
  EXPECT_TRUE(emo::gst::landmark_extent({}).empty());
  const emo::Box e = emo::gst::landmark_extent({{10.f, 20.f}, {50.f, 25.f}, {30.f, 80.f}});
  EXPECT_EQ(e.x, 10);
  EXPECT_EQ(e.y, 20);
  EXPECT_GE(e.width, 40);
  EXPECT_LE(e.width, 41);
  EXPECT_GE(e.height, 60);
  EXPECT_LE(e.height, 61);
  // 68 points (iBUG layout): the jaw line (0-16) is left out.
  std::vector<emo::Point> face(68, emo::Point(100.f, 100.f));
  face[0] = {10.f, 10.f};    // jaw
  face[67] = {150.f, 90.f};  // mouth
  EXPECT_EQ(emo::gst::landmark_extent(face).x, 100);
  EXPECT_EQ(emo::gst::landmark_extent(face).y, 90);
  EXPECT_GE(emo::gst::landmark_extent(face).br().x, 150);
}

}  // namespace
