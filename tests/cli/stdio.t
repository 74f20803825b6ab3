'-' reads standard input and writes standard output (an addition of this
tool; the reference takes paths only).  Written outputs are complete or
absent: standard output receives the bytes only once the command succeeded.

$ cli_helper gen params params.tgm
$ cli_helper gen multi multi.tgm

$ tensogram info - < params.tgm | head -2
> File: -
>   Messages: 3
$ cat params.tgm multi.tgm | tensogram ls -p mars.param,param -
> mars.param	param
> 2t	N/A
> msl	N/A
> 10u	N/A
> N/A	a
$ tensogram get -p mars.param - < params.tgm | tail -1
> 10u
$ tensogram dump -w mars.param=msl - < params.tgm | head -1
> === Message 1 ===
$ tensogram copy params.tgm - | cmp - params.tgm && echo identical
> identical
$ tensogram copy -w mars.type=an - - < params.tgm | tensogram get -p mars.param -
> 10u
$ tensogram set -s mars.class=zz - - < params.tgm | tensogram get -p mars.class - | sort -u
> zz
$ tensogram merge - multi.tgm -o - < params.tgm 2>/dev/null | tensogram info - | grep Messages
>   Messages: 1
$ tensogram split - -o 'p_[index].tgm' < multi.tgm && ls p_*
> Split into 3 message(s)
> p_0000.tgm
> p_0001.tgm
> p_0002.tgm
$ printf 'junk' | tensogram ls -
> version
! warning: '<stdin>': 4 bytes at offset 0 are not part of a complete message (torn or corrupt; skipped; 'tensogram validate' gives details, --strict refuses such input)
$ printf 'junk' | tensogram ls --strict -
> version
! error: '<stdin>': 4 bytes at offset 0 are not part of a complete message (truncated or corrupt file; 'tensogram validate' gives details)
[exit 1]

Nothing reaches standard output when the command fails
$ tensogram set -s objects.3.x=1 params.tgm - | wc -c
> 0
! error: 'params.tgm' message 0: object index out of range in key: objects.3.x (the message has 1 object)
