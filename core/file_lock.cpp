#include "core/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"

namespace l2o {

namespace {

// The paths threads of this process hold. flock alone would do between threads on a local
// disk (its locks belong to open file descriptions), but over NFS it becomes a POSIX lock,
// which a process holds for all its threads.
class HeldHere {
 public:
  bool enter(const std::string& path, bool wait) {
    std::unique_lock lock(mutex_);
    if (!wait && held_.contains(path)) return false;
    released_.wait(lock, [&] { return !held_.contains(path); });
    held_.insert(path);
    return true;
  }
  void leave(const std::string& path) {
    {
      std::lock_guard lock(mutex_);
      held_.erase(path);
    }
    released_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  std::set<std::string> held_;
};

HeldHere& held_here() {
  static HeldHere held;
  return held;
}

// Locks the file `path` names (-1 if `wait` is false and another process holds it).
int lock_file(const std::filesystem::path& path, bool wait) {
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw InputError(
          fmt::format("{}: cannot create lock file: {}", path.string(), std::strerror(errno)));
    int locked = 0;
    do locked = ::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
    while (locked != 0 && errno == EINTR);
    if (locked != 0) {
      const int error = errno;
      ::close(fd);
      if (!wait && error == EWOULDBLOCK) return -1;
      throw InputError(fmt::format("{}: cannot lock: {}", path.string(), std::strerror(error)));
    }
    // The holder before us removed the file as it unlocked: if we locked that removed file, the
    // name belongs to another (or no) file now, and we lock the one it names.
    struct stat held {
    }, named{};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino)
      return fd;
    ::close(fd);
  }
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path) : FileLock(path, true) {}

std::optional<FileLock> FileLock::try_lock(const std::filesystem::path& path) {
  FileLock lock(path, false);
  if (lock.fd_ < 0) return std::nullopt;
  return lock;
}

FileLock::FileLock(const std::filesystem::path& path, bool wait)
    : path_(std::filesystem::absolute(path).lexically_normal()) {
  if (!held_here().enter(path_.string(), wait)) return;
  try {
    fd_ = lock_file(path_, wait);
  } catch (...) {
    held_here().leave(path_.string());
    throw;
  }
  if (fd_ < 0) held_here().leave(path_.string());
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  release();
}

void FileLock::release() noexcept {
  if (fd_ < 0) return;
  // Removed while still held, so no one can have locked the name's next file yet.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
  held_here().leave(path_.string());
}

}  // namespace l2o
