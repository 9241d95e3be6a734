#ifndef CLUMORA_SYSTEM_H
#define CLUMORA_SYSTEM_H

#include <spawn.h>
#include <stddef.h>

/// glibc's GNU extensions, which Swift's Glibc module does not import.

/// posix_spawn_file_actions_addclosefrom_np: close every descriptor >= from in the child.
int lumora_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// pipe2(fds, O_CLOEXEC): a pipe no child inherits unless it is dup2'ed on purpose.
int lumora_pipe_cloexec(int fds[2]);

/// setvbuf(stdout, NULL, _IOLBF, 0): line-buffered stdout even into a file or pipe.
void lumora_line_buffer_stdout(void);

/// memmem: the first occurrence of a byte string in another, or NULL.
const void *lumora_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

#endif
