Torn messages (issue 12 items 1 and 12).  A streaming message (total_length
0) cut short by its writer must not hide the complete messages after it:
every command works on every complete message, and names what it skipped
(offset and length) on stderr; validate reports it as a file issue;
--strict refuses the input.  The first 300 bytes of a streamed message hold
its preamble, header metadata and part of its first object frame.

$ cli_helper gen params params.tgm
$ cli_helper gen streamed s.tgm
$ head -c 300 s.tgm > torn
$ cat params.tgm torn params.tgm > mid.tgm
$ cat params.tgm torn s.tgm > mid2.tgm
$ cat params.tgm s.tgm torn > tail.tgm

A buffered message after the tear
$ tensogram ls -p mars.param mid.tgm
> mars.param
> 2t
> msl
> 10u
> 2t
> msl
> 10u
! warning: 'mid.tgm': 300 bytes at offset 1872 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram get -p mars.param,mars.step mid.tgm | tail -3
> 2t 0
> msl 6
> 10u 0
! warning: 'mid.tgm': 300 bytes at offset 1872 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram copy -w mars.param=10u mid.tgm out.tgm && tensogram ls -p mars.param out.tgm
> mars.param
> 10u
> 10u
! warning: 'mid.tgm': 300 bytes at offset 1872 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram --strict ls mid.tgm
> version
! error: 'mid.tgm': 300 bytes at offset 1872 are not part of a complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]

A streamed message after the tear
$ tensogram info mid2.tgm
> File: mid2.tgm
>   Messages: 4
>   Size: 3148 bytes
>   Version: 3
>
! warning: 'mid2.tgm': 300 bytes at offset 1872 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram dump mid2.tgm | grep "==="
> === Message 0 ===
> === Message 1 ===
> === Message 2 ===
> === Message 3 ===
! warning: 'mid2.tgm': 300 bytes at offset 1872 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram validate mid2.tgm
! mid2.tgm: FAILED — 300 unrecognized bytes at offset 1872 (at byte offset 1872, 300 bytes)
! mid2.tgm: FAILED (1 error, 4 messages, 5 objects)
[exit 1]
$ tensogram validate --json mid2.tgm | grep -A4 file_issues
>     "file_issues": [
>       {
>         "byte_offset": 1872,
>         "length": 300,
>         "description": "300 unrecognized bytes at offset 1872"

A torn tail after complete messages: info and dump show them (item 12)
$ tensogram info tail.tgm
> File: tail.tgm
>   Messages: 4
>   Size: 3148 bytes
>   Version: 3
>
! warning: 'tail.tgm': 300 bytes at offset 2848 follow the last complete message (truncated or torn; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram dump tail.tgm | grep "==="
> === Message 0 ===
> === Message 1 ===
> === Message 2 ===
> === Message 3 ===
! warning: 'tail.tgm': 300 bytes at offset 2848 follow the last complete message (truncated or torn; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ tensogram --strict dump tail.tgm
! error: 'tail.tgm': 300 bytes at offset 2848 follow the last complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
$ tensogram --strict info tail.tgm
! error: 'tail.tgm': 300 bytes at offset 2848 follow the last complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]
