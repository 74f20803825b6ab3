tensogram split.
Follows tensogram-cli/src/commands/split.rs: messages with more than one
object give one message per object, carrying that object's base entry and
the message's _extra_; messages with at most one object are copied as they
are; names come from the template ("[index]" -> 0000, 0001, ...; without
it the number goes before the extension, Rust Path stem/extension rules);
the report line is "Split into N message(s)"; hashes are written.

$ cli_helper gen params params.tgm
$ cli_helper gen multi multi.tgm

$ tensogram split multi.tgm -o 'obj_[index].tgm'
> Split into 3 message(s)
$ ls obj_*
> obj_0000.tgm
> obj_0001.tgm
> obj_0002.tgm
$ tensogram dump obj_0001.tgm
> === Message 0 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=int16, shape=[2, 2]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"int16","ndim":2,"shape":[2,2],"strides":[2,1]}}
>     param: "b"
>   extra:
>     campaign: "x1"
>
$ tensogram merge obj_0000.tgm obj_0001.tgm obj_0002.tgm -o joined.tgm > /dev/null && cli_helper same multi.tgm joined.tgm
> same values (1 messages, 3 objects)
$ cli_helper hashes obj_0002.tgm
> message 0: xxh3

Single-object messages are copied unchanged; numbering runs across messages
$ mkdir out && tensogram split params.tgm -o out/p.tgm
> Split into 3 message(s)
$ ls out
> p_0000.tgm
> p_0001.tgm
> p_0002.tgm
$ tensogram copy -w mars.param=10u params.tgm third.tgm && cmp third.tgm out/p_0002.tgm && echo identical
> identical
$ cat params.tgm multi.tgm > both.tgm && tensogram split both.tgm -o b && ls b_*
> Split into 6 message(s)
> b_0000
> b_0001
> b_0002
> b_0003
> b_0004
> b_0005
$ tensogram split multi.tgm -o '.hidden' > /dev/null && ls -A | grep hidden_
> .hidden_0000
> .hidden_0001
> .hidden_0002
$ tensogram split multi.tgm -o 'x.y.tgm' > /dev/null && ls x.y_*
> x.y_0000.tgm
> x.y_0001.tgm
> x.y_0002.tgm

Errors
$ tensogram split multi.tgm -o -
! error: split writes one file per object; '-' (standard output) cannot be its output template (see 'tensogram split --help')
[exit 2]
$ tensogram split multi.tgm
! error: the following required arguments were not provided: --output <OUTPUT> (see 'tensogram split --help')
[exit 2]
$ tensogram split -o 'q_[index].tgm'
! error: the following required arguments were not provided: <INPUT> (see 'tensogram split --help')
[exit 2]
$ tensogram split multi.tgm -o 'nodir/[index].tgm'
! error: cannot create 'nodir/0000.tgm': No such file or directory
[exit 1]
$ ls -A | grep -c -e tmp -e q_
> 0
[exit 1]
