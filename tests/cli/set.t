tensogram set.
Follows tensogram-cli/src/commands/set.rs: -s "k=v,k2=v2" split at ',' and
the first '=', both sides trimmed; the where clause is parsed first, then
the pairs, then the immutable-key list (checked on the last path segment)
and the _reserved_ refusal, before the input is opened; "k" / "ns.k" go to
every base entry, "extra.k" / "_extra_.k" to _extra_, "objects.<i>.k" to
the descriptor of object i; values are stored as text; a message without
objects takes base keys into _extra_; non-matching messages are copied as
they are.  Differences (docs/cli.md): payloads are copied, not re-encoded;
hashes are kept (the reference drops them); descriptor fields and pipeline
parameters under objects.<i> are refused; nothing is written on failure.

$ cli_helper gen params params.tgm
$ cli_helper gen multi multi.tgm
$ cli_helper gen zero zero.tgm
$ cli_helper gen nohash nohash.tgm
$ cli_helper gen types types.tgm

Base keys, extra keys, object keys
$ tensogram set -s mars.class=xx,extra.note=n1,objects.0.units=K params.tgm out.tgm
$ tensogram ls -p mars.param,mars.class,extra.note,origin out.tgm
> mars.param	mars.class	extra.note	origin
> 2t	xx	n1	N/A
> msl	xx	n1	N/A
> 10u	xx	n1	test
$ tensogram dump -w mars.param=10u out.tgm
> === Message 2 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[4]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[4],"strides":[1]}}
>     mars: {"class":"xx","date":"20260401","param":"10u","step":0,"type":"an"}
>   extra:
>     note: "n1"
>     origin: "test"
>
$ tensogram dump -j -w mars.param=2t out.tgm | sed -n '/"objects"/,/^  ]/p'
>   "objects": [
>     {
>       "dtype": "float32",
>       "shape": [
>         4
>       ],
>       "type": "ntensor",
>       "units": "K"
>     }
>   ],
$ cli_helper same params.tgm out.tgm
> same values (3 messages, 3 objects)
$ cli_helper hashes out.tgm
> message 0: xxh3
> message 1: xxh3
> message 2: xxh3
$ tensogram validate out.tgm
> out.tgm: OK (3 messages, 3 objects, hash verified)

Values are text; a map is created or replaces a scalar on the way
$ tensogram set -s ' mars.step = 12 , a.b.c=deep' params.tgm s2.tgm && tensogram dump -w mars.param=2t s2.tgm | grep -v _reserved_
> === Message 0 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[4]
>   base[0]:
>     a: {"b":{"c":"deep"}}
>     mars: {"class":"od","date":"20260401","param":"2t","step":"12","type":"fc"}
>
$ tensogram set -s mars.date.year=2026 params.tgm s3.tgm && tensogram get -w mars.param=2t -p mars s3.tgm
> {"class":"od","date":{"year":"2026"},"param":"2t","step":0,"type":"fc"}
$ tensogram set -s k=v=w params.tgm s4.tgm && tensogram get -p k s4.tgm | head -1
> v=w

-w: only matching messages change; the others are copied byte for byte
$ tensogram set -s mars.class=yy -w mars.param=msl params.tgm w.tgm
$ tensogram ls -p mars.param,mars.class w.tgm
> mars.param	mars.class
> 2t	od
> msl	yy
> 10u	rd
$ tensogram copy -w mars.param!=msl params.tgm a.tgm && tensogram copy -w mars.param!=msl w.tgm b.tgm && cmp a.tgm b.tgm && echo unchanged
> unchanged

Every object of a multi-object message; object keys by index
$ tensogram set -s level=850,objects.2.scale=0.5 multi.tgm m.tgm && tensogram dump m.tgm | grep -E 'level|object\['
>   object[0]: type=ntensor, dtype=float32, shape=[2]
>   object[1]: type=ntensor, dtype=int16, shape=[2, 2]
>   object[2]: type=ntensor, dtype=uint8, shape=[3]
>     level: "850"
>     level: "850"
>     level: "850"
$ tensogram dump -j m.tgm | grep -B1 -A1 scale
>       "dtype": "uint8",
>       "scale": "0.5",
>       "shape": [
$ cli_helper same multi.tgm m.tgm
> same values (1 messages, 3 objects)

A message without objects keeps base keys in _extra_
$ tensogram set -s mars.param=2t zero.tgm z.tgm && tensogram dump z.tgm
> === Message 0 ===
> version: 3
> objects: 0
>   extra:
>     mars: {"param":"2t"}
>     note: "no objects"
>

Hashes: kept when present, not invented when absent
$ tensogram set -s x=1 nohash.tgm nh.tgm && cli_helper hashes nh.tgm
> message 0: none

Every kind of metadata value survives the rewrite
$ tensogram set -s added=1 types.tgm t.tgm && tensogram dump types.tgm | grep -v '^    added' > before.txt && tensogram dump t.tgm | grep -v '^    added' > after.txt && cmp before.txt after.txt && echo "metadata unchanged"
> metadata unchanged

Refused before anything is read or written
$ tensogram set -s shape=3 params.tgm r.tgm
! error: cannot modify immutable key: shape (it describes the stored payload)
[exit 1]
$ tensogram set -s mars.type=an params.tgm r.tgm
! error: cannot modify immutable key: mars.type (it describes the stored payload)
[exit 1]
$ tensogram set -s objects.0.sp_bits_per_value=8 params.tgm r.tgm
! error: cannot modify immutable key: objects.0.sp_bits_per_value (it describes the stored payload)
[exit 1]
$ tensogram set -s _reserved_.tensor.x=5 params.tgm r.tgm
! error: cannot modify '_reserved_.tensor.x': the '_reserved_' namespace is managed by the library
[exit 1]
$ tensogram set -s extra._reserved_.x=5 params.tgm r.tgm
! error: cannot modify 'extra._reserved_.x': the '_reserved_' namespace is managed by the library
[exit 1]
$ tensogram set -s objects.0.byte_order=big params.tgm r.tgm
! error: cannot modify 'objects.0.byte_order': 'byte_order' describes how the payload is stored, and set copies payloads unchanged
[exit 1]
$ tensogram set -s objects.1.zstd_level=9 multi.tgm r.tgm
! error: cannot modify 'objects.1.zstd_level': 'zstd_level' describes how the payload is stored, and set copies payloads unchanged
[exit 1]
$ tensogram set -s a=1,novalue params.tgm r.tgm
! error: invalid set value 'novalue': expected key=value
[exit 1]
$ tensogram set -s a=1 -w nonsense params.tgm r.tgm
! error: invalid where clause 'nonsense': expected key=value or key!=value
[exit 1]
$ tensogram set -s a=1 missing.tgm r.tgm
! error: cannot open 'missing.tgm': No such file or directory
[exit 1]
$ test -e r.tgm || echo "no output file"
> no output file

Refused per message: nothing is written, not even the messages before
$ tensogram set -s objects.1.x=1 params.tgm r.tgm
! error: 'params.tgm' message 0: object index out of range in key: objects.1.x (the message has 1 object)
[exit 1]
$ tensogram set -s objects.x.y=1 params.tgm r.tgm
! error: invalid object index in key: objects.x.y
[exit 1]
$ tensogram set -s objects.0=1 params.tgm r.tgm
! error: invalid object key: objects.0 (expected objects.<index>.<key>)
[exit 1]
$ tensogram set -s extra=1 params.tgm r.tgm
! error: invalid extra key: extra (expected extra.key)
[exit 1]
$ ls -A | grep -c 'r\.tgm'
> 0
[exit 1]

An existing output is replaced only on success
$ echo precious > keep.tgm && tensogram set -s shape=1 params.tgm keep.tgm; cat keep.tgm
> precious
! error: cannot modify immutable key: shape (it describes the stored payload)

Usage errors
$ tensogram set params.tgm out.tgm
! error: the following required arguments were not provided: -s <SET_VALUES> (see 'tensogram set --help')
[exit 2]
$ tensogram set -s a=1 params.tgm
! error: the following required arguments were not provided: <OUTPUT> (see 'tensogram set --help')
[exit 2]
$ tensogram set -s a=1 params.tgm x.tgm y.tgm
! error: unexpected argument 'y.tgm' found (see 'tensogram set --help')
[exit 2]
