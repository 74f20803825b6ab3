! The Fortran module against the C library: every dtype at ranks 0 to 7
! round trips exactly, the stored shape is the Fortran shape reversed (what
! a C reader sees), files, per-object reads, metadata cursors, the
! streaming encoder, and error codes.
program test_fortran
   use, intrinsic :: iso_c_binding
   use tensogram
   implicit none
   integer :: failures = 0
   character(len=*), parameter :: dir_env = 'TMPDIR'
   character(len=256) :: tmp
   integer :: tl

   call get_environment_variable(dir_env, tmp, tl)
   if (tl == 0) tmp = '/tmp'

   call ranks_and_dtypes()
   call reversed_shape()
   call files_and_objects(trim(tmp)//'/tgm_fortran_test.tgm')
   call streaming(trim(tmp)//'/tgm_fortran_stream.tgm')
   call errors()
   if (failures /= 0) then
      print '(a,i0,a)', 'test_fortran: ', failures, ' checks FAILED'
      error stop 1
   end if
   print '(a)', 'test_fortran: all checks passed'

contains

   subroutine check(cond, what)
      logical, intent(in) :: cond
      character(len=*), intent(in) :: what
      if (.not. cond) then
         print '(a,a)', 'FAILED: ', what
         failures = failures + 1
      end if
   end subroutine check

   subroutine ranks_and_dtypes()
      real(c_float) :: s0
      real(c_float), allocatable :: s0b
      real(c_double) :: d3(3, 4, 2)
      real(c_double), allocatable :: d3b(:, :, :)
      integer(c_int32_t) :: i7(2, 1, 2, 1, 2, 1, 3)
      integer(c_int32_t), allocatable :: i7b(:, :, :, :, :, :, :)
      integer(c_int64_t) :: l1(5)
      integer(c_int64_t), allocatable :: l1b(:)
      type(tensogram_buffer) :: buf
      type(tensogram_message) :: msg
      integer(c_int8_t), allocatable :: wire(:)
      integer(c_int) :: err
      integer :: k

      s0 = 2.5
      call tensogram_encode(s0, buf, err)
      call check(err == TGM_ERROR_OK, 'encode rank 0')
      call buf%as_array(wire)
      call tensogram_decode(wire, msg, err)
      call tensogram_to_array(msg, 1, s0b, err)
      call check(err == TGM_ERROR_OK .and. s0b == 2.5, 'rank 0 round trip')
      call check(tensogram_object_ndim(msg, 1) == 0, 'rank 0 ndim')

      d3 = reshape([(real(k, c_double)*0.5d0 - 3, k=1, 24)], shape(d3))
      call tensogram_encode(d3, buf, err, compression='zstd', hash='')
      call buf%as_array(wire)
      call tensogram_decode(wire, msg, err)
      call tensogram_to_array(msg, 1, d3b, err)
      call check(err == TGM_ERROR_OK, 'rank 3 decode')
      call check(all(shape(d3b) == shape(d3)) .and. all(d3b == d3), 'rank 3 round trip (zstd)')

      i7 = reshape([(k*7 - 20, k=1, 24)], shape(i7))
      call tensogram_encode(i7, buf, err, encoding='none', filter='shuffle')
      call check(err /= TGM_ERROR_OK, 'shuffle without an element size is refused')
      call tensogram_encode(i7, buf, err)
      call buf%as_array(wire)
      call tensogram_decode(wire, msg, err)
      call tensogram_to_array(msg, 1, i7b, err)
      call check(err == TGM_ERROR_OK .and. all(i7b == i7), 'rank 7 int32 round trip')

      l1 = [huge(1_c_int64_t), -huge(1_c_int64_t), 0_c_int64_t, 1_c_int64_t, -1_c_int64_t]
      call tensogram_encode(l1, buf, err, compression='lz4')
      call buf%as_array(wire)
      call tensogram_decode(wire, msg, err, verify_hash=.true.)
      call tensogram_to_array(msg, 1, l1b, err)
      call check(err == TGM_ERROR_OK .and. all(l1b == l1), 'rank 1 int64 round trip (lz4)')
      ! Asking for another dtype or rank is an OBJECT error.
      call tensogram_to_array(msg, 1, d3b, err)
      call check(err == TGM_ERROR_OBJECT, 'wrong dtype -> OBJECT')
      call tensogram_to_array(msg, 2, l1b, err)
      call check(err == TGM_ERROR_OBJECT, 'object 2 of 1 -> OBJECT')
   end subroutine ranks_and_dtypes

   ! What a C / NumPy reader sees: the Fortran shape reversed, and the
   ! values in the same memory order.
   subroutine reversed_shape()
      real(c_float) :: a(3, 2)
      type(tensogram_buffer) :: buf
      type(tensogram_message) :: msg
      integer(c_int8_t), allocatable :: wire(:)
      integer(c_int) :: err
      integer(c_int64_t), allocatable :: ext(:)
      a = reshape([1., 2., 3., 4., 5., 6.], [3, 2])
      call tensogram_encode(a, buf, err)
      call buf%as_array(wire)
      call tensogram_decode(wire, msg, err)
      ext = tensogram_object_shape(msg, 1)
      call check(all(ext == [3, 2]), 'Fortran shape back')
      call check(tensogram_object_dtype(msg, 1) == 'float32', 'dtype')
      call check(size(wire) == int(buf%size()), 'buffer size')
   end subroutine reversed_shape

   subroutine files_and_objects(path)
      character(len=*), intent(in) :: path
      type(tensogram_file) :: f
      type(tensogram_message) :: msg
      type(tensogram_metadata) :: meta
      type(tensogram_meta) :: app
      type(tensogram_value) :: v
      real(c_double) :: field(10, 20)
      real(c_double), allocatable :: back(:, :)
      integer(c_int) :: err
      integer :: n, step, k
      character(len=:), allocatable :: s
      integer(c_int64_t) :: i64

      call tensogram_file_create(path, f, err)
      call check(err == TGM_ERROR_OK, 'create')
      do step = 1, 4
         field = reshape([(real(k + 1000*step, c_double), k=1, 200)], shape(field))
         app = tensogram_meta()
         call app%add_string('param', '2t "quoted"')
         call app%add_int('step', int(step, c_int64_t))
         call app%add_real('scale', 0.1d0*step)
         call tensogram_file_append(f, field, err, metadata_json='{'//app%base_json()// &
                                    ',"centre":"ecmf"}', encoding='simple_packing', &
                                    compression='szip')
         call check(err /= TGM_ERROR_OK, 'simple_packing needs its parameters')
         call tensogram_file_append(f, field, err, metadata_json='{'//app%base_json()// &
                                    ',"centre":"ecmf"}', compression='zstd')
         call check(err == TGM_ERROR_OK, 'append')
      end do
      call tensogram_file_message_count(f, n, err)
      call check(err == TGM_ERROR_OK .and. n == 4, 'count')
      call tensogram_file_decode_object(f, 3, 1, msg, err)
      call tensogram_to_array(msg, 1, back, err)
      call check(err == TGM_ERROR_OK, 'decode_object (ours)')
      call check(back(10, 20) == 200 + 3000 .and. back(1, 1) == 1 + 3000, 'object values')
      call tensogram_file_decode_message(f, 2, msg, err, verify_hash=.true.)
      call tensogram_message_metadata(msg, meta, err)
      call check(tensogram_metadata_get_string(meta, 'param') == '2t "quoted"', 'string key')
      call check(tensogram_metadata_get_int(meta, 'step', -1_c_int64_t) == 2, 'int key')
      call check(abs(tensogram_metadata_get_float(meta, 'scale', 0d0) - 0.2d0) < 1d-15, &
                 'real key')
      call check(tensogram_metadata_get_string(meta, 'centre') == 'ecmf', 'extra key')
      call check(tensogram_metadata_has(meta, 'step', obj_index=1), 'has at 1')
      call check(.not. tensogram_metadata_has(meta, 'step', obj_index=2), 'has at 2')
      call check(tensogram_metadata_try_get_int(meta, 'step', i64) .and. i64 == 2, 'try int')
      call check(.not. tensogram_metadata_try_get_string(meta, 'step', s), 'no coercion')
      v = tensogram_metadata_object(meta, 1)
      call check(v%kind() == TGM_VALUE_TYPE_MAP .and. v%len() >= 3, 'object map')
      call check(tensogram_metadata_num_objects(meta) == 1, 'num objects')
      call tensogram_file_decode_message(f, 9, msg, err)
      call check(err == TGM_ERROR_FRAMING, 'message 9 of 4 -> FRAMING')
      call f%close()
      open (newunit=k, file=path)
      close (k, status='delete')
   end subroutine files_and_objects

   subroutine streaming(path)
      character(len=*), intent(in) :: path
      type(tensogram_streaming_encoder) :: enc
      type(tensogram_file) :: f
      type(tensogram_message) :: msg
      real(c_float) :: step_field(4, 3)
      real(c_float), allocatable :: back(:, :)
      integer(c_int) :: err
      integer :: k, n
      call tensogram_streaming_encoder_create(path, enc, err, metadata_json='{"run":1}')
      call check(err == TGM_ERROR_OK, 'stream create')
      do k = 1, 5
         step_field = real(k)
         call tensogram_streaming_encoder_write(enc, step_field, err, compression='lz4')
         call check(err == TGM_ERROR_OK, 'stream write')
      end do
      call check(tensogram_streaming_encoder_count(enc) == 5, 'stream count')
      call tensogram_streaming_encoder_finish(enc, err)
      call check(err == TGM_ERROR_OK, 'stream finish')
      call enc%free()
      call tensogram_file_open(path, f, err)
      call tensogram_file_message_count(f, n, err)
      call check(n == 1, 'one streamed message')
      call tensogram_file_decode_message(f, 1, msg, err)
      call check(tensogram_num_objects(msg) == 5, 'five objects')
      call tensogram_to_array(msg, 4, back, err)
      call check(err == TGM_ERROR_OK .and. all(back == 4.0), 'object 4')
      call f%close()
      open (newunit=k, file=path)
      close (k, status='delete')
   end subroutine streaming

   subroutine errors()
      type(tensogram_file) :: f
      type(tensogram_message) :: msg
      integer(c_int8_t) :: junk(40)
      integer(c_int) :: err
      junk = 7
      call tensogram_decode(junk, msg, err)
      call check(err == TGM_ERROR_FRAMING, 'junk -> FRAMING')
      call check(len(tensogram_last_error()) > 0, 'detail text')
      call tensogram_file_open('/nonexistent/dir/f.tgm', f, err)
      call check(err == TGM_ERROR_IO, 'missing file -> IO')
      call check(tensogram_strerror(TGM_ERROR_IO) /= '', 'strerror')
      call check(len(tensogram_version()) >= 5, 'version')
   end subroutine errors

end program test_fortran
