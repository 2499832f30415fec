#include "services/gateway/storage/spool_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/common/log.h"

namespace llmgw::gateway {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

absl::Status Errno(int err, const std::string& what) { return absl::ErrnoToStatus(err, what); }

// Reads exactly n bytes at off; returns false on a short read (end of file).
absl::StatusOr<bool> ReadFull(int fd, uint64_t off, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, p + got, n - got, static_cast<off_t>(off + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, "spool read");
    }
    if (r == 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

absl::Status WriteFull(int fd, uint64_t off, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w =
        ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(off + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, "spool write");
    }
    done += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

void SyncDir(const std::string& dir) {
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  ::fsync(dfd);
  ::close(dfd);
}

std::string DirOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

// The record at `off`: its payload and the offset after it; valid=false when the bytes at `off`
// are not a complete record with a matching CRC.
struct RecordAt {
  bool valid = false;
  std::string payload;
  uint64_t next = 0;
};

absl::StatusOr<RecordAt> ReadRecord(int fd, uint64_t off, uint64_t size) {
  RecordAt out;
  if (size - off < SpoolFile::kHeaderBytes) return out;
  unsigned char header[SpoolFile::kHeaderBytes];
  absl::StatusOr<bool> full = ReadFull(fd, off, header, sizeof(header));
  if (!full.ok()) return full.status();
  if (!*full) return out;
  uint32_t len = GetU32(header);
  uint32_t crc = GetU32(header + 4);
  if (len > SpoolFile::kMaxRecordBytes || size - off - SpoolFile::kHeaderBytes < len) return out;
  out.payload.resize(len);
  full = ReadFull(fd, off + SpoolFile::kHeaderBytes, out.payload.data(), len);
  if (!full.ok()) return full.status();
  if (!*full || SpoolCrc32(out.payload) != crc) return out;
  out.valid = true;
  out.next = off + SpoolFile::kHeaderBytes + len;
  return out;
}

}  // namespace

uint32_t SpoolCrc32(absl::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kCrcTable[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

absl::StatusOr<std::unique_ptr<SpoolFile>> SpoolFile::Open(const std::string& path) {
  std::string dir = DirOf(path);
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::ErrnoToStatus(ec.value(), absl::StrCat("cannot create spool directory ", dir));
    }
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(errno, absl::StrCat("cannot open spool file ", path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("spool file ", path, " is in use by another owner"));
    }
    return Errno(err, absl::StrCat("cannot lock spool file ", path));
  }
  std::unique_ptr<SpoolFile> spool(new SpoolFile(path, fd));
  SyncDir(dir);  // the file's directory entry survives a crash
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno(errno, "spool stat");
  spool->size_ = static_cast<uint64_t>(st.st_size);

  // The committed offset. Missing or unreadable means "replay everything": at-least-once.
  std::string offset_path = path + ".offset";
  int ofd = ::open(offset_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ofd >= 0) {
    char buf[32] = {};
    ssize_t n = ::read(ofd, buf, sizeof(buf) - 1);
    ::close(ofd);
    uint64_t v = 0;
    std::string text(buf, n > 0 ? static_cast<size_t>(n) : 0);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (absl::SimpleAtoi(text, &v)) {
      spool->committed_ = v;
    } else {
      log::Warn("spool offset file unreadable; replaying the whole spool", {{"path", offset_path}});
    }
  }
  if (spool->committed_ > spool->size_) {
    // The file was emptied after a full replay but the offset reset did not land.
    spool->committed_ = 0;
  }
  absl::Status s = spool->Recover();
  if (!s.ok()) return s;
  return spool;
}

SpoolFile::~SpoolFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status SpoolFile::Recover() {
  uint64_t off = committed_;
  while (off < size_) {
    absl::StatusOr<RecordAt> rec = ReadRecord(fd_, off, size_);
    if (!rec.ok()) return rec.status();
    if (!rec->valid) break;
    off = rec->next;
  }
  if (off < size_) {
    log::Warn("spool file has a torn or corrupt tail; truncating it",
              {{"path", path_}, {"offset", off}, {"bytes_dropped", size_ - off}});
    if (::ftruncate(fd_, static_cast<off_t>(off)) != 0) {
      return Errno(errno, absl::StrCat("cannot truncate spool file ", path_));
    }
    ::fsync(fd_);
    size_ = off;
  }
  return absl::OkStatus();
}

absl::Status SpoolFile::Append(const std::vector<std::string>& records) {
  return AppendRecords(records, /*sync=*/true);
}

absl::Status SpoolFile::Write(const std::vector<std::string>& records) {
  return AppendRecords(records, /*sync=*/false);
}

absl::Status SpoolFile::Sync() {
  if (::fdatasync(fd_) != 0) return Errno(errno, "spool fsync");
  return absl::OkStatus();
}

absl::Status SpoolFile::AppendRecords(const std::vector<std::string>& records, bool sync) {
  if (records.empty()) return absl::OkStatus();
  std::string buf;
  size_t total = 0;
  for (const std::string& r : records) total += kHeaderBytes + r.size();
  buf.reserve(total);
  for (const std::string& r : records) {
    if (r.size() > kMaxRecordBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("spool record of ", r.size(), " bytes exceeds the limit"));
    }
    PutU32(buf, static_cast<uint32_t>(r.size()));
    PutU32(buf, SpoolCrc32(r));
    buf.append(r);
  }
  absl::Status s = WriteFull(fd_, size_, buf);
  if (s.ok() && sync && ::fdatasync(fd_) != 0) s = Errno(errno, "spool fsync");
  if (!s.ok()) {
    // Cut off whatever part landed, so the file ends on a record boundary again.
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      log::Error("cannot truncate spool file after a failed append", {{"path", path_}});
    }
    return s;
  }
  size_ += buf.size();
  return absl::OkStatus();
}

absl::StatusOr<SpoolFile::ReadResult> SpoolFile::ReadCommitted(size_t max_records,
                                                               size_t max_bytes) const {
  ReadResult out;
  uint64_t off = committed_;
  size_t bytes = 0;
  while (off < size_ && out.records.size() < max_records) {
    absl::StatusOr<RecordAt> rec = ReadRecord(fd_, off, size_);
    if (!rec.ok()) return rec.status();
    if (!rec->valid) {
      return absl::DataLossError(absl::StrCat("spool file ", path_, " is corrupt at offset ", off));
    }
    if (!out.records.empty() && bytes + rec->payload.size() > max_bytes) break;
    bytes += rec->payload.size();
    out.records.push_back(std::move(rec->payload));
    off = rec->next;
  }
  out.next_offset = off;
  return out;
}

absl::Status SpoolFile::Commit(uint64_t offset) {
  if (offset < committed_ || offset > size_) {
    return absl::InvalidArgumentError(
        absl::StrCat("commit offset ", offset, " outside [", committed_, ", ", size_, "]"));
  }
  if (offset == size_) {
    // Everything delivered: reset the offset first, then empty the file. A crash in between only
    // replays delivered records again (metering dedupes by event id); the other order could make
    // a stale offset skip records appended later.
    absl::Status s = WriteOffsetFile(0);
    if (!s.ok()) {
      committed_ = offset;  // delivered: do not resend in this process
      return s;
    }
    if (::ftruncate(fd_, 0) != 0) {
      committed_ = offset;
      return Errno(errno, absl::StrCat("cannot truncate spool file ", path_));
    }
    ::fsync(fd_);
    size_ = 0;
    committed_ = 0;
    return absl::OkStatus();
  }
  committed_ = offset;
  return WriteOffsetFile(offset);
}

absl::Status SpoolFile::WriteOffsetFile(uint64_t offset) {
  std::string final_path = path_ + ".offset";
  std::string tmp = final_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(errno, absl::StrCat("cannot write ", tmp));
  absl::Status s = WriteFull(fd, 0, absl::StrCat(offset, "\n"));
  if (s.ok() && ::fsync(fd) != 0) s = Errno(errno, "spool offset fsync");
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    return Errno(errno, absl::StrCat("cannot rename ", tmp));
  }
  SyncDir(DirOf(path_));
  return absl::OkStatus();
}

}  // namespace llmgw::gateway
