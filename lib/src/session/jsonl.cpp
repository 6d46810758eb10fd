// SPDX-License-Identifier: LGPL-2.1-or-later
// gst-emo: append-only JSON Lines writer (see emo/session/session.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "emo/session/session.hpp"

namespace emo {
namespace {

std::runtime_error system_error(const std::string &what, const std::string &path, int err) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

/* One write(2) when the kernel takes it all (regular files do), looping on short writes. */
void write_all(int fd, const std::string &data, const std::string &path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw system_error("cannot write to", path, errno);
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

JsonLinesWriter::JsonLinesWriter(const std::string &path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw system_error("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    /* A line cut by a crash of an earlier writer: end it so that our lines stay whole. */
    char last = '\n';
    const int rd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rd >= 0) {
      if (::pread(rd, &last, 1, st.st_size - 1) != 1) last = '\n';
      ::close(rd);
    }
    try {
      if (last != '\n') write_all(fd_, "\n", path_);
    } catch (...) {
      ::close(fd_);
      throw;
    }
  }
}

JsonLinesWriter::~JsonLinesWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonLinesWriter::write_line(const std::string &line) {
  if (line.find('\n') != std::string::npos)
    throw std::invalid_argument("a JSON line must not contain a newline");
  std::lock_guard<std::mutex> lock(mutex_);
  write_all(fd_, line + "\n", path_);
  if (::fsync(fd_) != 0 && errno != EINVAL) throw system_error("cannot sync", path_, errno);
}

}  // namespace emo
