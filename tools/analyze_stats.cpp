// SPDX-License-Identifier: LGPL-2.1-or-later
// emo-analyze: the `[stats]` lines (see analyze_stats.hpp).
#include "analyze_stats.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sys/resource.h>

namespace emo_analyze {
namespace {

void add_row(GstElement *element, std::vector<ModelSharing> &rows) {
  if (!g_object_class_find_property(G_OBJECT_GET_CLASS(element), "stats")) return;
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  if (!stats) return;
  const gchar *path = gst_structure_has_name(stats, "emo-analysis-stats")
                          ? gst_structure_get_string(stats, "model")
                          : nullptr;
  ModelSharing row;
  if (path && gst_structure_get_uint(stats, "model-loaded", &row.loaded) &&
      gst_structure_get_uint(stats, "model-users", &row.users)) {
    row.path = path;
    GstElementFactory *factory = gst_element_get_factory(element);
    row.element = factory ? GST_OBJECT_NAME(factory) : GST_OBJECT_NAME(element);
    bool known = false;
    for (ModelSharing &r : rows)
      if (r.path == row.path) known = true, r = row;  // the latest figures
    if (!known) rows.push_back(row);
  }
  gst_structure_free(stats);
}

}  // namespace

std::vector<ModelSharing> model_sharing(const std::vector<GstElement *> &pipelines) {
  std::vector<ModelSharing> rows;
  for (GstElement *pipeline : pipelines) {
    if (!pipeline || !GST_IS_BIN(pipeline)) continue;
    GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipeline));
    gst_iterator_foreach(
        it,
        [](const GValue *v, gpointer data) {
          add_row(GST_ELEMENT(g_value_get_object(v)),
                  *static_cast<std::vector<ModelSharing> *>(data));
        },
        &rows);
    gst_iterator_free(it);
  }
  return rows;
}

std::string format_model_sharing(const std::vector<ModelSharing> &rows) {
  std::string out = "models:";
  if (rows.empty()) return out + " none";
  for (size_t i = 0; i < rows.size(); ++i) {
    gchar *base = g_path_get_basename(rows[i].path.c_str());
    gchar *text = g_strdup_printf("%s %s (%s) loaded %u, users %u", i ? ";" : "", base,
                                  rows[i].element.c_str(), rows[i].loaded, rows[i].users);
    out += text;
    g_free(text);
    g_free(base);
  }
  return out;
}

long peak_rss_kb() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "VmHWM:", 6) == 0) kb = std::strtol(line + 6, nullptr, 10);
  std::fclose(f);
  return kb;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace emo_analyze
