// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: emotion sessions, free of GStreamer types. The emosession sink turns the per-frame
// emotion of the primary face into windows (a timeline of one label per sample interval), asks
// Gemini for an empathetic reading of each window (emo/gemini.hpp) and keeps every window in a
// JSON Lines file. This header holds the parts that need no pipeline:
//   - WindowAggregator: frames in running time -> EmotionWindow (the window logic),
//   - build_prompt(): systemInstruction + user text of one window, per language or template,
//   - window_to_json() and friends: one JSON object per window (json-glib),
//   - JsonLinesWriter: append-only, one whole line per write, fsynced per record,
//   - PendingJournal: the windows still waiting for Gemini, so that a killed process loses none.
//
// All times are nanoseconds. Running time is the buffer's GStreamer running time (never the
// wall clock, so a file analysed at 10x speed gives the same windows as a live run); stream
// time is the position in the media.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "emo/core/labels.hpp"

namespace emo {

struct GeminiResult;  // emo/gemini.hpp

constexpr std::int64_t kSecond = 1000000000;  ///< nanoseconds per second
constexpr const char *kNoFace = "none";       ///< the label of a sample without a face

// ---------------------------------------------------------------------------------------------
// Windows

/// Settings of the window aggregator; see WindowAggregator for the rules.
struct WindowConfig {
  std::int64_t window = 30 * kSecond;          ///< length of a full window, > 0
  std::int64_t sample_interval = 1 * kSecond;  ///< one sample per interval, in (0, window]
  std::int64_t min_window = 5 * kSecond;       ///< shorter partial windows are dropped, <= window
  /// Largest step between the end of one frame (pts + duration) and the start of the next
  /// that still counts as continuous; a bigger step (or any step back) starts a new window.
  /// 0: twice the sample interval.
  std::int64_t max_gap = 0;
  /// The face to follow: a track id (emo::gst::Face::track_id), or -1 for the largest face.
  std::int64_t track_id = -1;
};

/// One classified face of a frame, as the aggregator needs it.
struct FrameFace {
  /// Emotion label; faces without a label are ignored, faces labelled "unknown"
  /// (kUnknownEmotion: emoclassify's gate gave no emotion) are counted apart.
  std::string label;
  double confidence = 0.0;     ///< [0, 1]
  double area = 0.0;           ///< box area in frame pixels (width * height)
  std::int64_t track_id = -1;  ///< -1 when untracked
};

/// The primary face of a frame: with `track_id` >= 0 the labelled face of that track (none when
/// that track is not on the frame), else the labelled face with the largest area (the first of
/// equal ones). nullptr when there is none. "unknown" is no label here: only faces with an
/// emotion are sampled.
const FrameFace *select_primary(const std::vector<FrameFace> &faces, std::int64_t track_id);

/// Why a window was closed.
enum class WindowEnd {
  Full,     ///< it reached its full length
  Gap,      ///< a gap or a step back in running time followed it
  Flush,    ///< a flush (seek) followed it
  Segment,  ///< a new segment or stream followed it
  Eos,      ///< end of stream
};
const char *to_string(WindowEnd end);  ///< "full", "gap", "flush", "segment", "eos"

/// One closed window.
struct EmotionWindow {
  std::uint64_t index = 0;         ///< 0, 1, 2, ... in the order the aggregator closed them
  std::int64_t start = 0;          ///< running time of the window's start
  std::int64_t end = 0;            ///< running time of its end (exclusive)
  std::int64_t stream_start = -1;  ///< stream time of `start`, -1 when unknown
  std::int64_t sample_interval = kSecond;
  /// One label per sample interval, in time order: sample k covers
  /// [start + k * sample_interval, min(start + (k + 1) * sample_interval, end)). It is the
  /// label the primary face had on most frames of the interval (ties: the label seen first),
  /// else "unknown" when faces were seen on the interval but none had an emotion (see
  /// unsure_frames), else "none".
  std::vector<std::string> timeline;
  std::map<std::string, int> counts;  ///< samples per label, "none" and "unknown" included
  /// Share of the samples with an emotion (neither "none" nor "unknown"), [0, 1].
  double face_share = 0.0;
  /// The label of most samples apart from "none" and "unknown" (ties: the label seen first);
  /// "none" when no sample had an emotion.
  std::string dominant = kNoFace;
  int frames = 0;       ///< frames seen in the window
  int face_frames = 0;  ///< frames with a labelled primary face
  /// Frames with no labelled primary face but a face without emotion ("unknown"; with
  /// WindowConfig::track_id, that track's face): the unsure ones, counted apart.
  int unsure_frames = 0;
  WindowEnd closed_by = WindowEnd::Full;

  std::int64_t duration() const { return end - start; }
};

/// Cuts a stream of frames, in running time, into windows of samples.
///
/// The first frame (after construction or after a window was closed by a discontinuity) opens
/// a window at its running time. A window is full at start + window; the next one then starts
/// exactly there, so continuous windows tile the stream. A frame is continuous when it starts
/// no earlier than the previous frame and at most `max_gap` after the end of the previous frame
/// (its pts + duration; its pts when the duration is unknown). A discontinuity closes the
/// open window at the end of its last frame and opens a new one at the new frame; so do
/// flushes, new segments and EOS (finish()). A window closed early is emitted when it is at
/// least `min_window` long and silently dropped otherwise (dropped() counts them).
///
/// Not thread-safe: one caller (the streaming thread) at a time.
class WindowAggregator {
 public:
  /// Throws std::invalid_argument when the settings are out of range (see WindowConfig).
  explicit WindowAggregator(WindowConfig config);

  /// Adds one frame: `running_time` of its pts, its `duration` (-1 unknown), the `stream_time`
  /// of its pts (-1 unknown) and its faces. Returns the windows this frame closed (usually
  /// none, one when it crosses the end of the open window).
  std::vector<EmotionWindow> add_frame(std::int64_t running_time, std::int64_t duration,
                                       std::int64_t stream_time,
                                       const std::vector<FrameFace> &faces);

  /// A GStreamer GAP: no data from `running_time` for `duration` (-1 unknown). The time counts
  /// as seen without a face (continuity holds across it); returns the windows it closed.
  std::vector<EmotionWindow> add_gap(std::int64_t running_time, std::int64_t duration,
                                     std::int64_t stream_time);

  /// Closes the open window (flush, segment, EOS). Returns it when it is at least min_window
  /// long; nullopt when there is none or it was too short.
  std::optional<EmotionWindow> finish(WindowEnd why);

  /// The open window so far (up to the end of its last frame), as it would be closed now, with
  /// the index it will get; nothing is closed. nullopt when no window is open.
  std::optional<EmotionWindow> current() const;

  const WindowConfig &config() const { return config_; }
  bool has_open_window() const { return open_; }
  std::uint64_t dropped() const { return dropped_; }  ///< windows shorter than min_window

 private:
  struct Sample {
    std::vector<std::pair<std::string, int>> votes;  ///< label -> frames, in order first seen
    int unsure = 0;                                  ///< frames with only unsure faces
  };
  void open(std::int64_t start, std::int64_t running_time, std::int64_t stream_time);
  EmotionWindow summarise(std::int64_t end, WindowEnd why) const;
  EmotionWindow close(std::int64_t end, WindowEnd why);
  std::vector<EmotionWindow> advance(std::int64_t running_time, std::int64_t stream_time);

  WindowConfig config_;
  bool open_ = false;
  std::int64_t start_ = 0;
  std::int64_t stream_start_ = -1;
  std::int64_t last_start_ = 0;  ///< pts of the last frame or gap, running time
  std::int64_t last_end_ = 0;    ///< its end
  std::vector<Sample> samples_;
  int frames_ = 0, face_frames_ = 0, unsure_frames_ = 0;
  std::uint64_t next_index_ = 0;
  std::uint64_t dropped_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Prompts

/// Languages with a built-in prompt: "es" (Spanish, as the prototype) and "en" (English).
/// Returns the language to use for `requested` (a code such as "es", "en", "en-GB", "ES"):
/// the built-in one it names, else "en" with `*known` set to false.
std::string resolve_language(const std::string &requested, bool *known = nullptr);

/// Largest user context, in bytes of UTF-8 (16 KiB, a few pages of text): emosession truncates
/// a longer one with a warning (truncate_utf8()).
constexpr std::size_t kMaxContextBytes = 16 * 1024;

/// `text` cut to at most `max_bytes` bytes at a character boundary of its UTF-8 (a character
/// is never split; invalid bytes count as characters of one byte).
std::string truncate_utf8(const std::string &text, std::size_t max_bytes);

/// The user's own words and the prompt settings of a session.
struct PromptSettings {
  std::string language = "es";  ///< see resolve_language()
  std::string context;          ///< the topic the user typed in; may be empty
  /// Template text (see load_prompt_template()); empty: the built-in prompt of `language`.
  std::string template_text;
};

/// One Gemini request: the systemInstruction text and the user turn.
struct Prompt {
  std::string system_instruction;
  std::string user_text;
};

/// Reads and checks a prompt template file. Layout: UTF-8 text; when a line holds exactly
/// "---", the text before it is the system instruction and the text after it the user text,
/// else the whole file is the user text and the language's built-in system instruction is
/// used. Placeholders, replaced in both parts:
///   {context}          the user's context ("(none)" / "(ninguno)" when empty)
///   {timeline}         the labels of the samples, comma-separated, in time order
///   {counts}           "label: n" per label, most frequent first, comma-separated
///   {dominant}         the dominant emotion ("none" when no face was seen)
///   {face_share}       percentage of samples with a face, e.g. "73"
///   {duration}         window length in whole seconds
///   {sample_interval}  sample interval in seconds, e.g. "1"
///   {samples}          number of samples
///   {{ and }}          literal braces
/// Throws std::runtime_error naming the file for an unreadable file, and naming the
/// placeholder for an unknown one.
std::string load_prompt_template(const std::string &path);

/// Builds the prompt of one window. Only labels, counts, times and the user's context go in
/// it. Throws std::runtime_error on a malformed template (see load_prompt_template()).
Prompt build_prompt(const EmotionWindow &window, const PromptSettings &settings);

// ---------------------------------------------------------------------------------------------
// Records (JSON)

/// The state of a window's analysis as stored and posted.
struct Analysis {
  /// "pending" (no answer yet), or the state of the Gemini result: "ok", "skipped",
  /// "blocked", "truncated", "failed", "cancelled" (emo::to_string(GeminiState)).
  std::string state = "pending";
  std::string text;          ///< Gemini's reply (state "ok")
  std::string detail;        ///< why not ok: Gemini's error message, block reason, ...
  int http_status = 0;       ///< last HTTP status, 0 when none
  std::string error_status;  ///< Gemini's error.status, e.g. "INVALID_ARGUMENT"
  int attempts = 0;          ///< HTTP attempts
  std::string model_version;
  /// True when sending the window again may succeed: pending, skipped, cancelled, and failed
  /// without an HTTP status (timeout, connection) or with 408, 429 or 5xx.
  bool retryable() const;
};

/// The analysis of a Gemini result: its state name (emo::to_string(GeminiState)) and fields;
/// a Skipped result without detail gets the detail "no API key".
Analysis analysis_from(const GeminiResult &result);

/// Everything a JSON line holds about one window.
struct WindowRecord {
  std::string session;  ///< id of the emosession run (random UUID), with `window.index` a key
  /// The person whose window it is (emosession follow=all: their track id); -1: the primary
  /// face (follow=primary). In JSON as "track_id", only when >= 0.
  std::int64_t track_id = -1;
  EmotionWindow window;
  std::string context;   ///< the user's context at the time of the window
  std::string language;  ///< the resolved prompt language
  std::string model;     ///< Gemini model asked
  Prompt prompt;         ///< the request sent (or to send): lets a tool re-send it unchanged
  Analysis analysis;
};

/// One JSON object (a single line, no newline) for a record. Layout (times in ns, integers):
///   {"session": s, "index": n, "start": ns, "end": ns, "duration": ns, "stream_start": ns|-1,
///    "sample_interval": ns, "closed_by": "full"|..., "timeline": [labels],
///    "counts": {label: n}, "face_share": 0.73, "dominant": label, "frames": n,
///    "face_frames": n, "unsure_frames": n (absent from older lines: 0), "context": s, "language":
///    "es", "model": s, "prompt": {"system_instruction_parts": [s], "user_text_parts": [s]},
///    "analysis": {"state": s, "text": s, "detail": s, "http_status": n, "error_status": s,
///                 "attempts": n, "model_version": s, "retryable": bool}}
/// The prompt texts are stored without the copies of the context they hold (the context may be
/// up to kMaxContextBytes): each is the list of the pieces between them, and the text sent is
/// the pieces joined with "context" (Python: `r["context"].join(r["prompt"]["user_text_parts"])`;
/// one piece when the text holds no context). record_from_json() also reads lines written
/// before, with "system_instruction" and "user_text" strings.
std::string record_to_json(const WindowRecord &record);

/// Parses a line written by record_to_json(). Returns nullopt and sets `error` when the line
/// is not such an object (malformed JSON, missing or mistyped members).
std::optional<WindowRecord> record_from_json(const std::string &line, std::string *error);

/// The JSON of `analysis` alone (the "analysis" member above).
std::string analysis_to_json(const Analysis &analysis);

/// Returns `line` (a JSON object) with its "analysis" member replaced by `analysis`; every
/// other member is kept as it was. Throws std::runtime_error when `line` is not a JSON object.
std::string replace_analysis(const std::string &line, const Analysis &analysis);

// ---------------------------------------------------------------------------------------------
// JSON Lines file

/// Append-only JSON Lines writer. Each write_line() is one write(2) of the line and its
/// newline to a file opened with O_APPEND, followed by fsync(2): a killed process leaves only
/// whole lines (at worst the line being written is missing), and lines written by earlier runs
/// are never touched. When the file does not end with a newline (a line cut by a crash of
/// another writer), a newline is added first so the next line stays whole. Thread-safe.
class JsonLinesWriter {
 public:
  /// Opens (creates, mode 0644) `path` for appending. Throws std::runtime_error naming the
  /// path and the system error.
  explicit JsonLinesWriter(const std::string &path);
  ~JsonLinesWriter();
  JsonLinesWriter(const JsonLinesWriter &) = delete;
  JsonLinesWriter &operator=(const JsonLinesWriter &) = delete;

  /// Appends `line` (must not contain a newline) and syncs it to disk. Throws
  /// std::runtime_error on a write or sync error, std::invalid_argument on a newline.
  void write_line(const std::string &line);
  const std::string &path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
};

/// Journal of the windows whose analysis is still awaited, kept beside a session's JSON Lines
/// file as `<location>.pending` (JSON Lines, one record_to_json() line per window, fsynced).
/// A window's line reaches `location` only when its analysis is final; until then it lives
/// here, so a process killed with SIGKILL loses no window: recover_pending_journal() (called
/// by the next emosession on the same file and by emo-session-resend) moves the missing ones
/// into `location` with the state "pending". The journal is locked (flock(2), released by the
/// kernel when the process dies) for as long as the object lives. Thread-safe.
class PendingJournal {
 public:
  /// Creates or opens `<location>.pending` and locks it. Throws std::runtime_error naming the
  /// path when another PendingJournal, in this process or another, holds it (another emosession
  /// writes the same file), or on a system error.
  explicit PendingJournal(const std::string &location);
  /// Unlocks; the journal stays on disk unless discard() was called.
  ~PendingJournal();
  PendingJournal(const PendingJournal &) = delete;
  PendingJournal &operator=(const PendingJournal &) = delete;

  /// Appends the record's line (before its request goes out). Throws std::runtime_error.
  void add(const WindowRecord &record);
  /// Removes the journal file: call it once every window it holds is in `location`.
  void discard();
  const std::string &path() const { return writer_.path(); }

  static std::string path_for(const std::string &location) { return location + ".pending"; }

 private:
  struct Lock {  // the open, flock()ed journal; closing it unlocks
    explicit Lock(const std::string &path);
    ~Lock();
    int fd = -1;
  };
  Lock lock_;  // first: taken before the writer opens the file
  JsonLinesWriter writer_;
};

/// A journal line that is not a record (cut by a kill, or hostile: malformed, nested deeper
/// than kMaxJsonDepth, times out of range, mistyped counts).
struct RejectedLine {
  std::size_t line = 0;  ///< 1-based line number in the journal
  std::string error;     ///< why it is not a record (record_from_json())
  std::string text;      ///< the line as it was
};

/// `<location>.pending.rejected`: where recover_pending_journal() keeps the journal lines that
/// are not records, so that removing the journal loses nothing.
std::string rejected_path_for(const std::string &location);

/// Appends `lines` (their text) to rejected_path_for(location) (JsonLinesWriter). Nothing
/// happens for no lines. Throws std::runtime_error naming the file.
void keep_rejected_lines(const std::string &location, const std::vector<RejectedLine> &lines);

/// The windows of a killed run: the records of `<location>.pending` whose (session, index) is
/// not in `location`, with their analysis reset to the state "pending" and a detail saying so.
/// With `apply`, appends them to `location` (JsonLinesWriter), keeps the journal's lines that
/// are not records in rejected_path_for(location) and removes the journal. Returns nothing
/// when there is no journal, or when a live PendingJournal holds it (its run is still going).
/// Journal lines that do not parse are listed in `*rejected` (when given), named by line
/// number and reason. Lines of `location` that are not records are ignored (they stay where
/// they are). Throws std::runtime_error on a read or write error; the journal is then kept.
std::vector<WindowRecord> recover_pending_journal(const std::string &location, bool apply = true,
                                                  std::vector<RejectedLine> *rejected = nullptr);

}  // namespace emo
