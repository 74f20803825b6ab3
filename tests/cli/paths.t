Output templates take values from metadata, which may come from anyone:
a substituted value must never choose where a file is written (issue 12
item 6).  Values containing '/', "..", a NUL or a control character, and a
lone "." (two side by side make ".."), are refused with an error naming the
message, the key and the value; nothing is written.  The reference
substitutes them as they are: 'out/[mars.param].tgm' with mars.param
"../../x" writes ../x.tgm.

$ cli_helper gen evil evil.tgm
$ mkdir -p a/b/out
$ tensogram copy -w mars.class=c0 evil.tgm 'a/b/out/[mars.param].tgm'
! error: 'evil.tgm' message 0: the value of [mars.param], "../../escaped", cannot be part of an output file name (it contains '/'): metadata does not choose where files are written
[exit 1]
$ tensogram copy -w mars.class=c1 evil.tgm 'a/b/out/[mars.param].tgm'
! error: 'evil.tgm' message 1: the value of [mars.param], "sub/dir", cannot be part of an output file name (it contains '/'): metadata does not choose where files are written
[exit 1]
$ tensogram copy -w mars.class=c2 evil.tgm 'a/b/out/[mars.param].tgm'
! error: 'evil.tgm' message 2: the value of [mars.param], "..", cannot be part of an output file name (it contains '..'): metadata does not choose where files are written
[exit 1]
$ tensogram copy -w mars.class=c3 evil.tgm 'a/b/out/[mars.param].tgm'
! error: 'evil.tgm' message 3: the value of [mars.param], ".", cannot be part of an output file name (it contains only '.'): metadata does not choose where files are written
[exit 1]
$ tensogram copy -w mars.class=c4 evil.tgm 'a/b/out/[mars.param].tgm'
! error: 'evil.tgm' message 4: the value of [mars.param], "a\x0ab", cannot be part of an output file name (it contains a control character): metadata does not choose where files are written
[exit 1]
$ tensogram copy -w mars.class=c5 evil.tgm 'a/b/out/[mars.param].tgm'
! error: 'evil.tgm' message 5: the value of [mars.param], "a\x00b", cannot be part of an output file name (it contains a NUL byte): metadata does not choose where files are written
[exit 1]
$ tensogram copy -w mars.class=c6 evil.tgm 'a/b/out/[mars.param].tgm'
! error: 'evil.tgm' message 6: the value of [mars.param], "a\x7fb", cannot be part of an output file name (it contains a control character): metadata does not choose where files are written
[exit 1]
$ tensogram copy -w mars.class=c3 evil.tgm 'a/b/out/[mars.param][mars.param]/x.tgm'
! error: 'evil.tgm' message 3: the value of [mars.param], ".", cannot be part of an output file name (it contains only '.'): metadata does not choose where files are written
[exit 1]
$ tensogram copy evil.tgm 'a/b/out/[mars.class]-[mars.param].tgm'
! error: 'evil.tgm' message 0: the value of [mars.param], "../../escaped", cannot be part of an output file name (it contains '/'): metadata does not choose where files are written
[exit 1]
Nothing was written, inside or outside out/
$ find a | sort
> a
> a/b
> a/b/out
Safe values go through, and a template's own '..' and '/' are the user's choice
$ tensogram copy -w mars.class=c7 evil.tgm 'a/b/out/../[mars.param]-[mars.class].tgm' && find a -type f | sort
> a/b/ok-c7.tgm
