set, copy, merge, split and reshuffle over the reference's sample files.
#require ref
Behaviour as in set.t, copy.t, merge.t, split.t and reshuffle.t; here the
inputs are the reference's own files, read in place.

$ tensogram copy $REF/golden/multi_message.tgm c.tgm && cmp c.tgm $REF/golden/multi_message.tgm && echo identical
> identical
$ tensogram copy $REF/remote-parity/ten-msg.tgm 'msg_[fixture.msg_index].tgm' && ls | head -3 && ls msg_* | wc -l
> c.tgm
> msg_0.tgm
> msg_1.tgm
> 10

set on a two-object message: values, other keys and hashes unchanged
$ tensogram set -s shortName=t2m,extra.source=edited $REF/fixtures/metadata_parity.tgm p.tgm
$ tensogram get -p shortName,ratio,levels,source p.tgm
> t2m 0.5 [1000,850,500] edited
$ tensogram ls -w shortName=t2m -p mars.class,only0 p.tgm
> mars.class	only0
> od	x
$ cli_helper same $REF/fixtures/metadata_parity.tgm p.tgm
> same values (1 messages, 2 objects)
$ tensogram validate p.tgm
> p.tgm: OK (1 messages, 2 objects, hash verified)

set on every codec fixture keeps the decoded values: payloads are copied as
stored, whatever the pipeline
$ for f in $REF/codecs/*.tgm $REF/sz3/*.tgm; do tensogram set -s note=x "$f" o.tgm && cli_helper same "$f" o.tgm > /dev/null || echo "changed: $f"; done; echo checked
> checked
$ tensogram set -s note=x $REF/codecs/zfp_rate16.tgm z.tgm && cli_helper same $REF/codecs/zfp_rate16.tgm z.tgm
> same values (1 messages, 1 objects)
$ tensogram set -s note=x $REF/codecs/sz3_abs.tgm s.tgm && tensogram get -p note s.tgm
> x
$ for f in sp16_szip sp24 sp16_shuffle_zstd raw_float64_big; do tensogram set -s note=x $REF/codecs/$f.tgm o.tgm && cmp -s <(tensogram dump -j $REF/codecs/$f.tgm | sed -n '/"objects"/,$p') <(tensogram dump -j o.tgm | sed -n '/"objects"/,$p') || echo "descriptor changed: $f"; done; echo checked
> checked

merge and split back
$ tensogram merge $REF/golden/multi_object.tgm $REF/golden/mars_metadata.tgm -o m.tgm | sed "s#$REF/##"
> Merged 4 objects from 2 file(s) into m.tgm (strategy: first)
$ tensogram ls -p parameter m.tgm && tensogram get -p mars.step m.tgm
> parameter
> temperature
> 12
$ tensogram split m.tgm -o 'part_[index].tgm'
> Split into 4 message(s)
$ cli_helper same $REF/golden/mars_metadata.tgm part_0003.tgm
> same values (1 messages, 1 objects)
$ tensogram get -p parameter part_0000.tgm part_0001.tgm part_0002.tgm
> temperature
> pressure
> humidity

reshuffle streamed (footer-indexed) messages
$ cli_helper frames $REF/remote-parity/two-msg.tgm
> message 0: header_metadata header_index header_hashes hashes_present
> message 1: header_metadata header_index header_hashes hashes_present
$ cli_helper frames $REF/remote-parity/single-msg-footer.tgm
> message 0: header_metadata footer_metadata footer_index footer_hashes preceder_metadata hashes_present
$ tensogram reshuffle $REF/remote-parity/ten-msg-footer.tgm -o r.tgm | sed "s#$REF/##"
> Reshuffled 10 message(s) from remote-parity/ten-msg-footer.tgm to r.tgm
$ cli_helper frames r.tgm | sed 's/^message [0-9]*/message N/' | sort -u
> message N: header_metadata header_index header_hashes hashes_present
$ cli_helper same $REF/remote-parity/ten-msg-footer.tgm r.tgm && cli_helper same $REF/remote-parity/ten-msg.tgm r.tgm
> same values (10 messages, 10 objects)
> same values (10 messages, 10 objects)
$ cmp <(tensogram dump $REF/remote-parity/ten-msg-footer.tgm) <(tensogram dump r.tgm) && echo "same metadata"
> same metadata
