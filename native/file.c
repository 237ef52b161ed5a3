// Files into sockets: sendfile(2). The kernel copies from the page cache to
// the socket without the bytes passing through JavaScript; where it refuses
// (a file type or socket it cannot splice), the caller falls back to
// read + send (src/socket/sendfile.ts).
#include "berkeley.h"

// sendfile(2): (socketFd, fileFd, offset, count) -> bytes sent or -errno.
// offset -1 reads from (and advances) the file's own position; any other
// offset is read from and leaves the position alone, as sendfile(2) does.
static napi_value sk_sendfile(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t out_fd, in_fd;
  int64_t offset, count;
  if (!sk_args_get(env, info, 4, &a) || !sk_arg_int32(&a, 0, &out_fd) || !sk_arg_int32(&a, 1, &in_fd) ||
      !sk_arg_int64(&a, 2, &offset) || !sk_arg_int64(&a, 3, &count))
    return NULL;
  if (offset < -1) { sk_throw_arg(&a, 2, true, "must be >= -1"); return NULL; }
  if (count < 0) { sk_throw_arg(&a, 3, true, "must be >= 0"); return NULL; }
  // Linux moves at most 0x7ffff000 bytes per call; a larger count is a loop in the caller.
  size_t n = count > 0x7ffff000 ? 0x7ffff000 : (size_t)count;
#ifdef SK_HAVE_SENDFILE
  off_t off = (off_t)offset;
  SK_RETRY(ssize_t, rc, sendfile(out_fd, in_fd, offset < 0 ? NULL : &off, n));
  return sk_int(env, rc);
#else
  (void)out_fd; (void)in_fd; (void)n;
  return sk_int(env, -ENOSYS);
#endif
}

// lseek(2): (fd, offset) -> the file position or -errno. offset -1 asks for
// the current position, any other offset sets it. sendFile's read + send
// fallback reads at explicit offsets and sets the position once at the end,
// so bytes read but not sent never count as consumed.
static napi_value sk_lseek(napi_env env, napi_callback_info info) {
  sk_args a;
  int32_t fd;
  int64_t offset;
  if (!sk_args_get(env, info, 2, &a) || !sk_arg_int32(&a, 0, &fd) || !sk_arg_int64(&a, 1, &offset)) return NULL;
  if (offset < -1) { sk_throw_arg(&a, 1, true, "must be >= -1"); return NULL; }
  off_t rc = offset < 0 ? lseek(fd, 0, SEEK_CUR) : lseek(fd, (off_t)offset, SEEK_SET);
  return sk_int(env, rc < 0 ? -errno : (int64_t)rc);
}

const sk_export sk_file_exports[] = {
  { "sendfile", sk_sendfile, "fd,fileFd,offset,count" },
  { "lseek", sk_lseek, "fd,offset" },
  { NULL, NULL },
};
