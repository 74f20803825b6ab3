tensogram copy.
Follows tensogram-cli/src/commands/copy.rs: messages are copied as they
are; an output name containing both '[' and ']' has its [key] placeholders
replaced by lookup_key values ("unknown" when absent) and messages with the
same expanded name go to the same file; without placeholders one output is
written even when nothing matches.  Differences (docs/cli.md): each output
is replaced, not appended to (the reference appends to existing files, which
duplicates messages when run twice), substituted text is not expanded again,
and no output appears when the copy fails.

$ cli_helper gen params params.tgm
$ cli_helper gen multi multi.tgm

$ tensogram copy params.tgm all.tgm && cmp params.tgm all.tgm && echo identical
> identical
$ tensogram copy -w mars.type=fc params.tgm fc.tgm && tensogram ls -p mars.param fc.tgm
> mars.param
> 2t
> msl
$ tensogram copy -w mars.param=nothing params.tgm none.tgm && wc -c < none.tgm
> 0

Placeholders
$ tensogram copy params.tgm 'by_[mars.type]_[nope].tgm' && ls by_*
> by_an_unknown.tgm
> by_fc_unknown.tgm
$ tensogram ls -p mars.param by_fc_unknown.tgm
> mars.param
> 2t
> msl
$ mkdir split && tensogram copy -w mars.class=od params.tgm 'split/[mars.param]-[mars.step].tgm' && ls split
> 2t-0.tgm
> msl-6.tgm
$ tensogram copy params.tgm 'p[mars.param' && ls p[*
> p[mars.param

Outputs are replaced, not appended to
$ tensogram copy params.tgm 'by_[mars.type]_[nope].tgm' && tensogram info by_fc_unknown.tgm | grep Messages
>   Messages: 2

A failed copy leaves no output behind
$ tensogram copy params.tgm 'nodir/[mars.param].tgm'
! error: cannot create 'nodir/2t.tgm': No such file or directory
[exit 1]
$ tensogram copy params.tgm nodir/out.tgm
! error: cannot create 'nodir/out.tgm': No such file or directory
[exit 1]
$ mkdir d1 && tensogram copy params.tgm '[mars.param]/x.tgm'
! error: cannot create '2t/x.tgm': No such file or directory
[exit 1]
$ tensogram copy params.tgm d1
! error: cannot write 'd1': it is a directory
[exit 1]
$ tensogram copy -w bad params.tgm x.tgm
! error: invalid where clause 'bad': expected key=value or key!=value
[exit 1]
$ tensogram copy -w =2t params.tgm x.tgm
! error: invalid where clause '=2t': the key before '=' is empty
[exit 1]
$ tensogram copy params.tgm
! error: the following required arguments were not provided: <OUTPUT> (see 'tensogram copy --help')
[exit 2]
$ ls -A | grep -c tmp
> 0
[exit 1]
