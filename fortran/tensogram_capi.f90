!> tensogram_capi - the C functions and types of libtensogram that the
!> Fortran module `tensogram` (tensogram.f90) calls, declared with
!> iso_c_binding.  An implementation detail of that module: programs use
!> `tensogram`, whose procedures check arguments, convert strings and
!> arrays and own the handles.
module tensogram_capi
   use, intrinsic :: iso_c_binding
   implicit none
   public

   ! tgm_bytes_t, passed by value to tgm_bytes_free.
   type, bind(C) :: c_bytes
      type(c_ptr) :: data = c_null_ptr
      integer(c_size_t) :: len = 0
   end type c_bytes

   interface
      function tgm_last_error() bind(C) result(r)
         import :: c_ptr
         type(c_ptr) :: r
      end function
      function tgm_error_string(e) bind(C) result(r)
         import :: c_ptr, c_int
         integer(c_int), value :: e
         type(c_ptr) :: r
      end function
      function tgm_version_string() bind(C) result(r)
         import :: c_ptr
         type(c_ptr) :: r
      end function
      subroutine tgm_bytes_free(b) bind(C)
         import :: c_bytes
         type(c_bytes), value :: b
      end subroutine
      function tgm_encode(meta, ptrs, lens, n, hash, threads, out) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int32_t, c_int, c_bytes
         type(c_ptr), value :: meta, ptrs, lens, hash
         integer(c_size_t), value :: n
         integer(c_int32_t), value :: threads
         type(c_bytes), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_decode(buf, len, nbo, threads, verify, out) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int32_t, c_int
         type(c_ptr), value :: buf
         integer(c_size_t), value :: len
         integer(c_int32_t), value :: nbo, threads, verify
         type(c_ptr), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_message_num_objects(m) bind(C) result(n)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: m
         integer(c_size_t) :: n
      end function
      function tgm_object_ndim(m, i) bind(C) result(n)
         import :: c_ptr, c_size_t, c_int64_t
         type(c_ptr), value :: m
         integer(c_size_t), value :: i
         integer(c_int64_t) :: n
      end function
      function tgm_object_shape(m, i) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: m
         integer(c_size_t), value :: i
         type(c_ptr) :: r
      end function
      function tgm_object_dtype(m, i) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: m
         integer(c_size_t), value :: i
         type(c_ptr) :: r
      end function
      function tgm_object_data(m, i, n) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: m
         integer(c_size_t), value :: i
         integer(c_size_t), intent(out) :: n
         type(c_ptr) :: r
      end function
      subroutine tgm_message_free(m) bind(C)
         import :: c_ptr
         type(c_ptr), value :: m
      end subroutine
      function tgm_message_metadata(m, out) bind(C) result(e)
         import :: c_ptr, c_int
         type(c_ptr), value :: m
         type(c_ptr), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_file_open(path, out) bind(C) result(e)
         import :: c_ptr, c_int
         type(c_ptr), value :: path
         type(c_ptr), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_file_create(path, out) bind(C) result(e)
         import :: c_ptr, c_int
         type(c_ptr), value :: path
         type(c_ptr), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_file_message_count(f, n) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int
         type(c_ptr), value :: f
         integer(c_size_t), intent(out) :: n
         integer(c_int) :: e
      end function
      function tgm_file_decode_message(f, i, nbo, threads, verify, out) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int32_t, c_int
         type(c_ptr), value :: f
         integer(c_size_t), value :: i
         integer(c_int32_t), value :: nbo, threads, verify
         type(c_ptr), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_file_decode_object(f, i, j, nbo, threads, verify, out) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int32_t, c_int
         type(c_ptr), value :: f
         integer(c_size_t), value :: i, j
         integer(c_int32_t), value :: nbo, threads, verify
         type(c_ptr), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_file_read_message(f, i, out) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int, c_bytes
         type(c_ptr), value :: f
         integer(c_size_t), value :: i
         type(c_bytes), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_file_append(f, meta, ptrs, lens, n, hash, threads) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int32_t, c_int
         type(c_ptr), value :: f, meta, ptrs, lens, hash
         integer(c_size_t), value :: n
         integer(c_int32_t), value :: threads
         integer(c_int) :: e
      end function
      subroutine tgm_file_close(f) bind(C)
         import :: c_ptr
         type(c_ptr), value :: f
      end subroutine
      function tgm_metadata_get_string(md, key) bind(C) result(r)
         import :: c_ptr
         type(c_ptr), value :: md, key
         type(c_ptr) :: r
      end function
      function tgm_metadata_get_int(md, key, dflt) bind(C) result(r)
         import :: c_ptr, c_int64_t
         type(c_ptr), value :: md, key
         integer(c_int64_t), value :: dflt
         integer(c_int64_t) :: r
      end function
      function tgm_metadata_get_float(md, key, dflt) bind(C) result(r)
         import :: c_ptr, c_double
         type(c_ptr), value :: md, key
         real(c_double), value :: dflt
         real(c_double) :: r
      end function
      function tgm_metadata_num_objects(md) bind(C) result(n)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: md
         integer(c_size_t) :: n
      end function
      function tgm_metadata_get(md, path) bind(C) result(r)
         import :: c_ptr
         type(c_ptr), value :: md, path
         type(c_ptr) :: r
      end function
      function tgm_metadata_get_at(md, i, path) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: md, path
         integer(c_size_t), value :: i
         type(c_ptr) :: r
      end function
      function tgm_metadata_object(md, i) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: md
         integer(c_size_t), value :: i
         type(c_ptr) :: r
      end function
      function tgm_metadata_extra(md) bind(C) result(r)
         import :: c_ptr
         type(c_ptr), value :: md
         type(c_ptr) :: r
      end function
      function tgm_metadata_reserved(md) bind(C) result(r)
         import :: c_ptr
         type(c_ptr), value :: md
         type(c_ptr) :: r
      end function
      subroutine tgm_metadata_free(md) bind(C)
         import :: c_ptr
         type(c_ptr), value :: md
      end subroutine
      function tgm_value_get_type(v) bind(C) result(k)
         import :: c_ptr, c_int
         type(c_ptr), value :: v
         integer(c_int) :: k
      end function
      function tgm_value_as_i64(v, out) bind(C) result(ok)
         import :: c_ptr, c_int64_t, c_bool
         type(c_ptr), value :: v
         integer(c_int64_t), intent(out) :: out
         logical(c_bool) :: ok
      end function
      function tgm_value_as_u64(v, out) bind(C) result(ok)
         import :: c_ptr, c_int64_t, c_bool
         type(c_ptr), value :: v
         integer(c_int64_t), intent(out) :: out
         logical(c_bool) :: ok
      end function
      function tgm_value_as_f64(v, out) bind(C) result(ok)
         import :: c_ptr, c_double, c_bool
         type(c_ptr), value :: v
         real(c_double), intent(out) :: out
         logical(c_bool) :: ok
      end function
      function tgm_value_as_bool(v, out) bind(C) result(ok)
         import :: c_ptr, c_bool
         type(c_ptr), value :: v
         logical(c_bool), intent(out) :: out
         logical(c_bool) :: ok
      end function
      function tgm_value_as_string(v, n) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: v
         integer(c_size_t), intent(out) :: n
         type(c_ptr) :: r
      end function
      function tgm_value_as_bytes(v, n) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: v
         integer(c_size_t), intent(out) :: n
         type(c_ptr) :: r
      end function
      function tgm_value_array_len(v) bind(C) result(n)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: v
         integer(c_size_t) :: n
      end function
      function tgm_value_array_get(v, i) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: v
         integer(c_size_t), value :: i
         type(c_ptr) :: r
      end function
      function tgm_value_map_len(v) bind(C) result(n)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: v
         integer(c_size_t) :: n
      end function
      function tgm_value_map_key_at(v, i, n) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: v
         integer(c_size_t), value :: i
         integer(c_size_t), intent(out) :: n
         type(c_ptr) :: r
      end function
      function tgm_value_map_value_at(v, i) bind(C) result(r)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: v
         integer(c_size_t), value :: i
         type(c_ptr) :: r
      end function
      function tgm_value_map_get(v, key) bind(C) result(r)
         import :: c_ptr
         type(c_ptr), value :: v, key
         type(c_ptr) :: r
      end function
      function tgm_streaming_encoder_create(path, meta, hash, threads, out) bind(C) result(e)
         import :: c_ptr, c_int32_t, c_int
         type(c_ptr), value :: path, meta, hash
         integer(c_int32_t), value :: threads
         type(c_ptr), intent(out) :: out
         integer(c_int) :: e
      end function
      function tgm_streaming_encoder_write(enc, desc, data, n) bind(C) result(e)
         import :: c_ptr, c_size_t, c_int
         type(c_ptr), value :: enc, desc, data
         integer(c_size_t), value :: n
         integer(c_int) :: e
      end function
      function tgm_streaming_encoder_count(enc) bind(C) result(n)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: enc
         integer(c_size_t) :: n
      end function
      function tgm_streaming_encoder_finish(enc) bind(C) result(e)
         import :: c_ptr, c_int
         type(c_ptr), value :: enc
         integer(c_int) :: e
      end function
      subroutine tgm_streaming_encoder_free(enc) bind(C)
         import :: c_ptr
         type(c_ptr), value :: enc
      end subroutine
      function c_strlen(s) bind(C, name="strlen") result(n)
         import :: c_ptr, c_size_t
         type(c_ptr), value :: s
         integer(c_size_t) :: n
      end function
   end interface
end module tensogram_capi
