validate over the reference's sample files (validate.rs print_human).
#require ref

$ cd $REF/golden && tensogram validate *.tgm
> hash_xxh3.tgm: OK (1 messages, 1 objects, hash verified)
> mars_metadata.tgm: OK (1 messages, 1 objects, hash verified)
> multi_message.tgm: OK (2 messages, 2 objects, hash verified)
> multi_object.tgm: OK (1 messages, 3 objects, hash verified)
> multi_object_xxh3.tgm: OK (1 messages, 3 objects, hash verified)
> simple_f32.tgm: OK (1 messages, 1 objects, hash verified)
$ cd $REF/codecs && tensogram validate --full --canonical f32_zstd.tgm sp16_szip.tgm mask_f32_rle.tgm
> f32_zstd.tgm: OK (1 messages, 1 objects, hash verified)
> sp16_szip.tgm: OK (1 messages, 1 objects, hash verified)
> mask_f32_rle.tgm: OK (1 messages, 1 objects, hash verified)
$ cd $REF/sz3 && tensogram validate --full sz3_float64_big.tgm sz3_float64_1d_noisy_abs_0p01.tgm && tensogram validate --full *.tgm | grep -c ": OK"
> sz3_float64_big.tgm: OK (1 messages, 1 objects, hash verified)
> sz3_float64_1d_noisy_abs_0p01.tgm: OK (1 messages, 1 objects, hash verified)
> 35
$ cd $REF/golden && tensogram validate --json simple_f32.tgm
> [
>   {
>     "file": "simple_f32.tgm",
>     "status": "ok",
>     "messages": 1,
>     "objects": 1,
>     "hash_verified": true,
>     "file_issues": [],
>     "message_reports": [
>       {
>         "issues": [],
>         "object_count": 1,
>         "hash_verified": true
>       }
>     ]
>   }
> ]
$ cat $REF/golden/simple_f32.tgm > j.tgm && printf 'GARBAGE_TRAILING_DATA' >> j.tgm && tensogram validate j.tgm
! j.tgm: FAILED — 21 trailing bytes after last message at offset 592 (at byte offset 592, 21 bytes)
! j.tgm: FAILED (1 error, 1 messages, 1 objects)
[exit 1]
