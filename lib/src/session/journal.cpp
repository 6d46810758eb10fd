// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: the journal of windows waiting for their analysis (see emo/session/session.hpp).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>
#include <utility>

#include "emo/session/session.hpp"

namespace emo {
namespace {

std::runtime_error system_error(const std::string &what, const std::string &path, int err) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

/* The records of a JSON Lines file; lines that are not records are skipped. An absent file
 * has none. */
std::vector<WindowRecord> read_records(const std::string &path) {
  std::vector<WindowRecord> records;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return records;
    throw system_error("cannot read", path, errno);
  }
  for (std::string line; std::getline(in, line);) {
    std::string error;
    if (std::optional<WindowRecord> r = record_from_json(line, &error))
      records.push_back(std::move(*r));
  }
  if (in.bad()) throw system_error("cannot read", path, errno);
  return records;
}

}  // namespace

PendingJournal::Lock::Lock(const std::string &path) {
  fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw system_error("cannot open", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    fd = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error(path + " is locked: another emosession writes the same file");
    throw system_error("cannot lock", path, err);
  }
}

PendingJournal::Lock::~Lock() {
  if (fd >= 0) ::close(fd);
}

PendingJournal::PendingJournal(const std::string &location)
    : lock_(path_for(location)), writer_(path_for(location)) {}

PendingJournal::~PendingJournal() = default;

void PendingJournal::add(const WindowRecord &record) { writer_.write_line(record_to_json(record)); }

void PendingJournal::discard() {
  if (::unlink(path().c_str()) != 0 && errno != ENOENT)
    throw system_error("cannot remove", path(), errno);
}

std::vector<WindowRecord> recover_pending_journal(const std::string &location, bool apply) {
  const std::string journal = PendingJournal::path_for(location);
  const int fd = ::open(journal.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    throw system_error("cannot open", journal, errno);
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return {};  // a live run holds it
    throw system_error("cannot lock", journal, errno);
  }
  std::set<std::pair<std::string, std::uint64_t>> stored;
  for (const WindowRecord &r : read_records(location)) stored.emplace(r.session, r.window.index);
  std::vector<WindowRecord> missing;
  for (WindowRecord &r : read_records(journal)) {
    if (!stored.emplace(r.session, r.window.index).second) continue;  // stored, or seen twice
    r.analysis = Analysis{};
    r.analysis.detail = "the process ended before the reply arrived";
    missing.push_back(std::move(r));
  }
  if (!apply) return missing;
  if (!missing.empty()) {
    JsonLinesWriter writer(location);
    for (const WindowRecord &r : missing) writer.write_line(record_to_json(r));
  }
  if (::unlink(journal.c_str()) != 0 && errno != ENOENT)
    throw system_error("cannot remove", journal, errno);
  return missing;
}

}  // namespace emo
