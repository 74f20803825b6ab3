info, ls, dump and get over generated files.
Expectations follow the reference's code:
  info: tensogram-cli/src/commands/info.rs ("File:", two-space indented
        "Messages:", "Size: N bytes", "Version: 3" only when there is a
        message, then an empty line per file)
  ls:   commands/ls.rs + output.rs format_table_row (tab-separated header of
        the keys, "N/A" for missing keys, default key "version") and
        format_json (pretty JSON map of the keys found, values as strings,
        keys sorted because serde_json's Map is a BTreeMap)
  dump: commands/dump.rs ("=== Message i ===", "version: 3", "objects: n",
        "  object[j]: type=.., dtype=.., shape=[a, b]" with Rust's Vec Debug
        form, "  base[j]:" then "    key: <compact JSON>" in key order,
        "  extra:" when non-empty, an empty line) and output.rs format_json
        (version, base with _reserved_, extra, objects = type, dtype, shape
        and the descriptor parameters; pretty, keys sorted)
  get:  commands/get.rs (values joined by one space; a missing key fails)
  keys: filter.rs lookup_key ("version" pseudo-key = wire version 3, first
        match over base[i] then _extra_, "extra." / "_extra_." prefixes,
        Rust Display of numbers: 1.0 -> "1", 1e20 -> "100000000000000000000")

$ cli_helper gen params params.tgm
$ cli_helper gen multi multi.tgm
$ cli_helper gen types types.tgm
$ cli_helper gen zero zero.tgm
$ : > empty.tgm

info
$ tensogram info params.tgm multi.tgm
> File: params.tgm
>   Messages: 3
>   Size: [0-9]+ bytes (re)
>   Version: 3
>
> File: multi.tgm
>   Messages: 1
>   Size: [0-9]+ bytes (re)
>   Version: 3
>
$ tensogram info params.tgm | grep Size | tr -dc 0-9 | cmp -s - <(stat -c %s params.tgm | tr -d '\n') && echo "size matches stat"
> size matches stat
$ tensogram info empty.tgm
> File: empty.tgm
>   Messages: 0
>   Size: 0 bytes
>
$ tensogram info

ls: default column, picked keys, where clauses
$ tensogram ls params.tgm
> version
> 3
> 3
> 3
$ tensogram ls -p mars.param,mars.step,mars.type,nope params.tgm
> mars.param	mars.step	mars.type	nope
> 2t	0	fc	N/A
> msl	6	fc	N/A
> 10u	0	an	N/A
$ tensogram ls -p ' mars.param , origin,extra.origin,_extra_.origin' params.tgm
> mars.param	origin	extra.origin	_extra_.origin
> 2t	N/A	N/A	N/A
> msl	N/A	N/A	N/A
> 10u	test	test	test
$ tensogram ls -w mars.param=2t/10u -p mars.param params.tgm
> mars.param
> 2t
> 10u
$ tensogram ls -w mars.type!=fc -p mars.param params.tgm
> mars.param
> 10u
$ tensogram ls -w mars.class!=od/rd -p mars.param params.tgm
> mars.param
$ tensogram ls -w nope!=x -p mars.param params.tgm
> mars.param
> 2t
> msl
> 10u
$ tensogram ls -w nope=x params.tgm
> version
$ tensogram ls -w mars.step=6 -p mars.param params.tgm
> mars.param
> msl
$ tensogram ls -w version=3 -p mars.param params.tgm | wc -l
> 4
$ tensogram ls -p param,units multi.tgm
> param	units
> a	K
$ tensogram ls params.tgm multi.tgm zero.tgm -p mars.param,param
> mars.param	param
> 2t	N/A
> msl	N/A
> 10u	N/A
> N/A	a
> N/A	N/A

ls -j: one pretty JSON object per message, only the keys found
$ tensogram ls -j -p mars.param,version,nope,extra.origin params.tgm
> {
>   "mars.param": "2t",
>   "version": "3"
> }
> {
>   "mars.param": "msl",
>   "version": "3"
> }
> {
>   "extra.origin": "test",
>   "mars.param": "10u",
>   "version": "3"
> }
$ tensogram ls -j -p nope zero.tgm
> {}

Value display (Rust Display for scalars; containers as compact JSON)
$ tensogram ls -p f,fint,huge,tiny,third,neg,big,b,nul,empty types.tgm
> f	fint	huge	tiny	third	neg	big	b	nul	empty
> 2.5	1	100000000000000000000	0.0000001	0.1	-5	18446744073709551615	true	null	
$ tensogram ls -p list,nested,nested.a,nested.a.k,version,extra.version types.tgm
> list	nested	nested.a	nested.a.k	version	extra.version
> [1,"two",[3.5]]	{"a":{"k":"v"},"z":1}	{"k":"v"}	v	3	user-supplied
$ tensogram ls -j -p text,huge types.tgm
> {
>   "huge": "100000000000000000000",
>   "text": "tab\there \"quoted\" é"
> }
$ tensogram ls -p _reserved_.tensor,_reserved_.tensor.dtype types.tgm
> _reserved_.tensor	_reserved_.tensor.dtype
> N/A	N/A

dump, text
$ tensogram dump params.tgm
> === Message 0 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[4]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[4],"strides":[1]}}
>     mars: {"class":"od","date":"20260401","param":"2t","step":0,"type":"fc"}
>
> === Message 1 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[4]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[4],"strides":[1]}}
>     mars: {"class":"od","date":"20260401","param":"msl","step":6,"type":"fc"}
>
> === Message 2 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[4]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[4],"strides":[1]}}
>     mars: {"class":"rd","date":"20260401","param":"10u","step":0,"type":"an"}
>   extra:
>     origin: "test"
>
$ tensogram dump -w mars.param=msl params.tgm | head -1
> === Message 1 ===
$ tensogram dump multi.tgm zero.tgm
> === Message 0 ===
> version: 3
> objects: 3
>   object[0]: type=ntensor, dtype=float32, shape=[2]
>   object[1]: type=ntensor, dtype=int16, shape=[2, 2]
>   object[2]: type=ntensor, dtype=uint8, shape=[3]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[2],"strides":[1]}}
>     param: "a"
>     units: "K"
>   base[1]:
>     _reserved_: {"tensor":{"dtype":"int16","ndim":2,"shape":[2,2],"strides":[2,1]}}
>     param: "b"
>   base[2]:
>     _reserved_: {"tensor":{"dtype":"uint8","ndim":1,"shape":[3],"strides":[1]}}
>     param: "c"
>   extra:
>     campaign: "x1"
>
> === Message 0 ===
> version: 3
> objects: 0
>   extra:
>     note: "no objects"
>
$ tensogram dump types.tgm
> === Message 0 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[2]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[2],"strides":[1]}}
>     b: true
>     big: 18446744073709551615
>     empty: ""
>     f: 2.5
>     fint: 1.0
>     huge: 1e+20
>     list: [1,"two",[3.5]]
>     neg: -5
>     nested: {"a":{"k":"v"},"z":1}
>     nul: null
>     text: "tab\there \"quoted\" é"
>     third: 0.1
>     tiny: 1e-7
>   extra:
>     version: "user-supplied"
>

dump -j
$ tensogram dump -j -w mars.param=10u params.tgm
> {
>   "base": [
>     {
>       "_reserved_": {
>         "tensor": {
>           "dtype": "float32",
>           "ndim": 1,
>           "shape": [
>             4
>           ],
>           "strides": [
>             1
>           ]
>         }
>       },
>       "mars": {
>         "class": "rd",
>         "date": "20260401",
>         "param": "10u",
>         "step": 0,
>         "type": "an"
>       }
>     }
>   ],
>   "extra": {
>     "origin": "test"
>   },
>   "objects": [
>     {
>       "dtype": "float32",
>       "shape": [
>         4
>       ],
>       "type": "ntensor"
>     }
>   ],
>   "version": 3
> }
$ tensogram dump -j multi.tgm | sed -n '/"objects"/,$p'
>   "objects": [
>     {
>       "dtype": "float32",
>       "shape": [
>         2
>       ],
>       "type": "ntensor"
>     },
>     {
>       "dtype": "int16",
>       "shape": [
>         2,
>         2
>       ],
>       "type": "ntensor",
>       "zstd_level": 3
>     },
>     {
>       "dtype": "uint8",
>       "shape": [
>         3
>       ],
>       "type": "ntensor"
>     }
>   ],
>   "version": 3
> }
$ tensogram dump -j zero.tgm
> {
>   "extra": {
>     "note": "no objects"
>   },
>   "objects": [],
>   "version": 3
> }
$ tensogram dump -j -p mars.param,mars.step,nope params.tgm -w mars.step=6
> {
>   "mars.param": "msl",
>   "mars.step": "6"
> }

get
$ tensogram get -p mars.param,mars.step params.tgm
> 2t 0
> msl 6
> 10u 0
$ tensogram get -w mars.type=an -p origin,mars.date params.tgm
> test 20260401
$ tensogram get -w mars.type=xx -p origin params.tgm
$ tensogram get -p version,f,list types.tgm
> 3 2.5 [1,"two",[3.5]]
$ tensogram get -p mars.param,origin params.tgm
! error: key not found: origin (in 'params.tgm' message 0)
[exit 1]
$ tensogram get -p mars.param params.tgm zero.tgm
> 2t
> msl
> 10u
! error: key not found: mars.param (in 'zero.tgm' message 0)
[exit 1]
$ tensogram get params.tgm
! error: the following required argument was not provided: -p <KEYS> (see 'tensogram get --help')
[exit 2]
