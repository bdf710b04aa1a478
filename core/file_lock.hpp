#pragma once
// An advisory, exclusive lock named by a file (flock(2)): what keeps two processes, on one host
// or on hosts sharing the folder, or two threads of one process, from doing the same work at
// once. The lock dies with its process, so a killed holder never blocks the next one.
#include <filesystem>
#include <optional>

namespace l2o {

class FileLock {
 public:
  // Blocks until this thread holds the lock on `path` (the file is created if missing).
  explicit FileLock(const std::filesystem::path& path);
  // The lock if nobody holds it now; none otherwise.
  static std::optional<FileLock> try_lock(const std::filesystem::path& path);

  // Releases the lock and removes its file.
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  FileLock& operator=(FileLock&& other) noexcept;

  const std::filesystem::path& path() const { return path_; }

 private:
  FileLock(const std::filesystem::path& path, bool wait);
  void release() noexcept;

  std::filesystem::path path_;  // absolute: the name threads of this process agree on
  int fd_ = -1;
};

}  // namespace l2o
