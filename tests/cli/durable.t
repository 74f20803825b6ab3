#require strace
Outputs are durable before they are visible (issue 12 item 11): each output
is written to a temporary file, fsync'ed, renamed over the destination, and
the directory is fsync'ed so that the rename survives a crash.  The trace
shows the order for copy, and split (several outputs); it runs the tool
directly ($TENSOGRAM), not under the valgrind wrapper of the second CLI
run; LeakSanitizer cannot run under ptrace, so leak checking is off for
these two traced runs only.  (The previous tool renamed without any fsync.)

$ cli_helper gen params params.tgm
$ mkdir d
$ printf '%s\n' 's/^[0-9]+ +//' 's/ += 0$//' 's/tmp-[A-Za-z0-9]+/tmp-X/g' 's/^fsync\([0-9]+\)/fsync(fd)/' 's/^openat\(AT_FDCWD, ("[^"]*").*O_DIRECTORY.*/open directory \1/' > norm.sed
$ ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -e trace=fsync,rename,openat -o t1 "$TENSOGRAM" copy params.tgm d/out.tgm && sed -E -f norm.sed t1 | grep -E '^(fsync|rename|open directory)'
> fsync(fd)
> rename("d/.out.tgm.tmp-X", "d/out.tgm")
> open directory "d"
> fsync(fd)
$ ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -e trace=fsync,rename,openat -o t2 "$TENSOGRAM" split params.tgm -o 'd/p_[index].tgm' && sed -E -f norm.sed t2 | grep -E '^(fsync|rename|open directory)'
> Split into 3 message(s)
> fsync(fd)
> rename("d/.p_0000.tgm.tmp-X", "d/p_0000.tgm")
> open directory "d"
> fsync(fd)
> fsync(fd)
> rename("d/.p_0001.tgm.tmp-X", "d/p_0001.tgm")
> open directory "d"
> fsync(fd)
> fsync(fd)
> rename("d/.p_0002.tgm.tmp-X", "d/p_0002.tgm")
> open directory "d"
> fsync(fd)
