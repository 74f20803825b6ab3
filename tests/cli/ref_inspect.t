info, ls, dump and get over the reference's sample files, in place.
#require ref
The metadata of these files is documented where they are made:
golden/*.tgm by rust/tensogram/tests/golden_files.rs ({product: "efi",
parameter: ...} base entries, mars {class: od, type: fc, step: 12}),
fixtures/metadata_parity.tgm by tests/fixtures/gen_metadata_parity.py
(base[0] with shortName 2t, level 0, note "", count -5, big 2147483648,
ratio 0.5, flag true, mars {class od, stream oper}, levels
[1000, 850, 500], only0 "x"; base[1] shortName msl, mars {class ea};
_extra_ source "parity-fixture"), codecs/*.tgm by codecs/MANIFEST.json.
Output formats as in inspect.t (info.rs, ls.rs, dump.rs, get.rs,
output.rs, filter.rs).

$ tensogram info $REF/golden/multi_message.tgm $REF/golden/simple_f32.tgm | sed "s#$REF/##"
> File: golden/multi_message.tgm
>   Messages: 2
>   Size: 1168 bytes
>   Version: 3
>
> File: golden/simple_f32.tgm
>   Messages: 1
>   Size: 592 bytes
>   Version: 3
>
$ tensogram info $REF/remote-parity/thousand-msg-footer.tgm | sed -n 2,3p
>   Messages: 1000
>   Size: 663808 bytes

$ cd $REF/golden && tensogram ls -p product,parameter,mars.class,mars.step *.tgm
> product	parameter	mars.class	mars.step
> efi	pressure	N/A	N/A
> N/A	N/A	od	12
> efi	pressure	N/A	N/A
> efi	pressure	N/A	N/A
> efi	temperature	N/A	N/A
> efi	temperature	N/A	N/A
> efi	pressure	N/A	N/A
$ cd $REF/golden && tensogram ls -w parameter=temperature/humidity -p parameter *.tgm
> parameter
> temperature
> temperature

First match across base entries, then _extra_
$ tensogram get -p shortName,level,note,count,big,ratio,flag,only0 $REF/fixtures/metadata_parity.tgm
> 2t 0  -5 2147483648 0.5 true x
$ tensogram get -p mars.class,mars.stream,levels,source,_extra_.source,extra.source $REF/fixtures/metadata_parity.tgm
> od oper [1000,850,500] parity-fixture parity-fixture parity-fixture
$ tensogram ls -j -p shortName,mars,absent $REF/fixtures/metadata_parity.tgm
> {
>   "mars": "{\"class\":\"od\",\"stream\":\"oper\"}",
>   "shortName": "2t"
> }
$ tensogram ls -w shortName=msl $REF/fixtures/metadata_parity.tgm
> version
$ tensogram ls -w shortName!=msl -p shortName $REF/fixtures/metadata_parity.tgm
> shortName
> 2t

$ tensogram dump $REF/fixtures/metadata_parity.tgm
> === Message 0 ===
> version: 3
> objects: 2
>   object[0]: type=ntensor, dtype=float32, shape=[2, 3]
>   object[1]: type=ntensor, dtype=float64, shape=[4]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":2,"shape":[2,3],"strides":[3,1]}}
>     big: 2147483648
>     count: -5
>     flag: true
>     level: 0
>     levels: [1000,850,500]
>     mars: {"class":"od","stream":"oper"}
>     note: ""
>     only0: "x"
>     ratio: 0.5
>     shortName: "2t"
>   base[1]:
>     _reserved_: {"tensor":{"dtype":"float64","ndim":1,"shape":[4],"strides":[1]}}
>     mars: {"class":"ea"}
>     shortName: "msl"
>   extra:
>     source: "parity-fixture"
>
$ tensogram dump $REF/golden/mars_metadata.tgm $REF/golden/multi_message.tgm
> === Message 0 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float64, shape=[2, 3]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float64","ndim":2,"shape":[2,3],"strides":[3,1]}}
>     mars: {"class":"od","step":12,"type":"fc"}
>
> === Message 0 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[2]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[2],"strides":[1]}}
>     parameter: "pressure"
>     product: "efi"
>
> === Message 1 ===
> version: 3
> objects: 1
>   object[0]: type=ntensor, dtype=float32, shape=[2]
>   base[0]:
>     _reserved_: {"tensor":{"dtype":"float32","ndim":1,"shape":[2],"strides":[1]}}
>     parameter: "pressure"
>     product: "efi"
>

Descriptor parameters in dump -j (format_json: type, dtype, shape and the
flattened params; ndim, strides, byte_order, encoding, filter, compression
and masks are struct fields and not shown)
$ tensogram dump -j $REF/codecs/sp16_szip.tgm | sed -n '/"objects"/,$p'
>   "objects": [
>     {
>       "dtype": "float64",
>       "shape": [
>         20000
>       ],
>       "sp_binary_scale_factor": -10,
>       "sp_bits_per_value": 16,
>       "sp_decimal_scale_factor": 0,
>       "sp_reference_value": 243.31713876481015,
>       "szip_block_offsets": [
>         0,
>         19633,
>         39180,
>         58779,
>         78430,
>         98031,
>         117641,
>         137188,
>         156778,
>         176361
>       ],
>       "szip_block_size": 16,
>       "szip_flags": 8,
>       "szip_rsi": 128,
>       "type": "ntensor"
>     }
>   ],
>   "version": 3
> }
$ tensogram dump -j $REF/codecs/mask_f32_rle.tgm | sed -n '/"objects"/,$p'
>   "objects": [
>     {
>       "dtype": "float32",
>       "shape": [
>         8192
>       ],
>       "type": "ntensor"
>     }
>   ],
>   "version": 3
> }
$ tensogram get -p case $REF/codecs/zfp_rate16.tgm $REF/codecs/i32_szip.tgm
> zfp_rate16
> i32_szip
