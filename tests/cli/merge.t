tensogram merge.
Follows tensogram-cli/src/commands/merge.rs: every object of every message
of every input, in order, goes into one message; base entries are
concatenated; the first message's _extra_ is taken whole and the _extra_
keys of later messages are merged by the strategy (first: keep, last:
replace, error: fail when the values differ); the report line is
"Merged N objects from F file(s) into OUT (strategy: S)"; hashes are written
(the reference encodes with its default options).  Differences: payloads are
copied, not decoded and encoded again; the report goes to stderr when the
message is written to standard output.

$ cli_helper gen params params.tgm
$ cli_helper gen multi multi.tgm
$ cli_helper gen zero zero.tgm

$ tensogram merge params.tgm multi.tgm -o m.tgm
> Merged 6 objects from 2 file(s) into m.tgm (strategy: first)
$ tensogram dump m.tgm | grep -v _reserved_
> === Message 0 ===
> version: 3
> objects: 6
>   object[0]: type=ntensor, dtype=float32, shape=[4]
>   object[1]: type=ntensor, dtype=float32, shape=[4]
>   object[2]: type=ntensor, dtype=float32, shape=[4]
>   object[3]: type=ntensor, dtype=float32, shape=[2]
>   object[4]: type=ntensor, dtype=int16, shape=[2, 2]
>   object[5]: type=ntensor, dtype=uint8, shape=[3]
>   base[0]:
>     mars: {"class":"od","date":"20260401","param":"2t","step":0,"type":"fc"}
>   base[1]:
>     mars: {"class":"od","date":"20260401","param":"msl","step":6,"type":"fc"}
>   base[2]:
>     mars: {"class":"rd","date":"20260401","param":"10u","step":0,"type":"an"}
>   base[3]:
>     param: "a"
>     units: "K"
>   base[4]:
>     param: "b"
>   base[5]:
>     param: "c"
>   extra:
>     campaign: "x1"
>     origin: "test"
>
$ cli_helper hashes m.tgm
> message 0: xxh3 xxh3 xxh3 xxh3 xxh3 xxh3
$ tensogram validate --full m.tgm
> m.tgm: OK (1 messages, 6 objects, hash verified)

The values are those of the inputs (split the merged message back)
$ tensogram split m.tgm -o 'part_[index].tgm'
> Split into 6 message(s)
$ tensogram copy -w mars.param=msl params.tgm msl.tgm && cli_helper same msl.tgm part_0001.tgm
> same values (1 messages, 1 objects)
$ tensogram merge part_0003.tgm part_0004.tgm part_0005.tgm -o back.tgm > /dev/null && cli_helper same multi.tgm back.tgm
> same values (1 messages, 3 objects)

Strategies for conflicting _extra_ keys
$ tensogram set -s extra.origin=other -w mars.param=2t params.tgm p2.tgm
$ tensogram merge p2.tgm -o first.tgm && tensogram get -p extra.origin first.tgm
> Merged 3 objects from 1 file(s) into first.tgm (strategy: first)
> other
$ tensogram merge --strategy last p2.tgm -o last.tgm && tensogram get -p extra.origin last.tgm
> Merged 3 objects from 1 file(s) into last.tgm (strategy: last)
> test
$ tensogram merge -s error p2.tgm -o e.tgm
! error: conflicting values for key 'origin' (use --strategy first or last to resolve)
[exit 1]
$ tensogram merge -s error params.tgm params.tgm -o e.tgm
> Merged 6 objects from 2 file(s) into e.tgm (strategy: error)
$ tensogram merge -s newest params.tgm -o x.tgm
! error: unknown merge strategy 'newest': expected first, last, or error
[exit 1]

Messages without objects contribute their _extra_ only
$ tensogram merge zero.tgm multi.tgm -o z.tgm && tensogram get -p note,campaign,param z.tgm
> Merged 3 objects from 2 file(s) into z.tgm (strategy: first)
> no objects x1 a

Errors
$ tensogram merge -o x.tgm
! error: no input files specified
[exit 1]
$ tensogram merge params.tgm
! error: the following required argument was not provided: --output <OUTPUT> (see 'tensogram merge --help')
[exit 2]
$ tensogram merge params.tgm missing.tgm -o x.tgm
! error: cannot open 'missing.tgm': No such file or directory
[exit 1]
$ test -e x.tgm || echo "no output file"
> no output file

Standard output: the report moves to stderr
$ tensogram merge params.tgm -o - > out.tgm && tensogram info out.tgm | grep Messages
>   Messages: 1
! Merged 3 objects from 1 file(s) into - (strategy: first)
