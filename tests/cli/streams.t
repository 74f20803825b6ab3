Streams as inputs (issue 12 item 11): a named pipe or a process
substitution (/dev/fd/N) is read whole, as standard input is; every command
and validate accept one.  (The previous tool refused them: "not a regular
file".)

$ cli_helper gen params params.tgm
$ mkfifo pipe
$ bash -c 'tensogram ls -p mars.param <(cat params.tgm)'
> mars.param
> 2t
> msl
> 10u
$ bash -c 'tensogram get -p mars.step <(cat params.tgm) | head -2'
> 0
> 6
$ (cat params.tgm > pipe &) && tensogram info pipe
> File: pipe
>   Messages: 3
>   Size: 1872 bytes
>   Version: 3
>
$ (cat params.tgm > pipe &) && tensogram validate pipe
> pipe: OK (3 messages, 3 objects, hash verified)
$ (head -c 1000 params.tgm > pipe &) && tensogram validate pipe
! pipe: FAILED — 384 trailing bytes after last message at offset 616 (at byte offset 616, 384 bytes)
! pipe: FAILED (1 error, 1 messages, 1 objects)
[exit 1]
$ (cat params.tgm > pipe &) && tensogram copy -w mars.param=msl pipe out.tgm && tensogram ls -p mars.param out.tgm
> mars.param
> msl

validate copies a stream to a temporary file whose name is removed at once
(the library reads it through /proc/self/fd): nothing is left in TMPDIR,
even when the command is killed while it reads (the previous tool left
its tensogram-validate-XXXXXX copy behind).
$ mkdir t && TMPDIR=$PWD/t tensogram validate - < params.tgm && ls t
> -: OK (3 messages, 3 objects, hash verified)
$ (cat params.tgm; sleep 3) > pipe 2>/dev/null & TMPDIR=$PWD/t tensogram validate pipe & sleep 1; kill -KILL $!; wait $! 2>/dev/null; echo "status $?"; ls t
> status 137
