!> tensogram - Fortran interface to Tensogram for C (libtensogram).
!>
!> Source compatible with the Fortran module of the reference
!> implementation: the same module name, derived types, generic procedures,
!> argument lists and error codes, written for this project over the C API
!> with iso_c_binding (Fortran 2018: the dtype-generic procedures take
!> assumed-rank arrays).
!>
!> Conventions
!>  * Every fallible procedure returns an `err` (integer(c_int)), one of the
!>    TGM_ERROR_* codes; tensogram_last_error() gives the detail text and
!>    tensogram_check(err, context) stops the program on failure.
!>  * Message and object indexes are 1-based.
!>  * Arrays: real32, real64, int32 and int64 of rank 0 to 7.  An array
!>    a(n1, n2, ...) is stored with its shape reversed, [..., n2, n1], and
!>    C-order strides, so the bytes on the wire are the array's own memory:
!>    Fortran round trips are exact, and C / NumPy readers see the
!>    transposed shape.
!>  * Handle types (tensogram_buffer, _message, _file, _metadata,
!>    _streaming_encoder) own one C handle each, freed by a final procedure
!>    or by free / close.  They cannot be copied: an assignment `b = a` stops
!>    the program with "<type> is non-copyable" (a copy would free twice).
!>    tensogram_value is a borrowed cursor into a tensogram_metadata, valid
!>    while that metadata lives, and may be copied freely.
module tensogram
   use, intrinsic :: iso_c_binding
   use, intrinsic :: iso_fortran_env, only: error_unit
   use tensogram_capi
   implicit none
   private

   public :: tensogram_buffer, tensogram_message, tensogram_file, tensogram_meta
   public :: tensogram_metadata, tensogram_value, tensogram_streaming_encoder
   public :: tensogram_encode, tensogram_decode, tensogram_to_array
   public :: tensogram_num_objects, tensogram_object_ndim, tensogram_object_shape
   public :: tensogram_object_dtype
   public :: tensogram_file_open, tensogram_file_create, tensogram_file_message_count
   public :: tensogram_file_append, tensogram_file_decode_message, tensogram_file_read_message
   public :: tensogram_message_metadata, tensogram_metadata_get_string
   public :: tensogram_metadata_get_int, tensogram_metadata_get_float
   public :: tensogram_metadata_has, tensogram_metadata_get, tensogram_metadata_num_objects
   public :: tensogram_metadata_try_get_int, tensogram_metadata_try_get_float
   public :: tensogram_metadata_try_get_string, tensogram_metadata_try_get_bool
   public :: tensogram_metadata_object, tensogram_metadata_extra, tensogram_metadata_reserved
   public :: tensogram_streaming_encoder_create, tensogram_streaming_encoder_write
   public :: tensogram_streaming_encoder_finish, tensogram_streaming_encoder_count
   public :: tensogram_strerror, tensogram_last_error, tensogram_check
   ! Ours (not in the reference's module).
   public :: tensogram_file_decode_object, tensogram_version

   ! Error codes: the C enum tgm_error.
   integer(c_int), parameter, public :: TGM_ERROR_OK = 0, TGM_ERROR_FRAMING = 1, &
      TGM_ERROR_METADATA = 2, TGM_ERROR_ENCODING = 3, TGM_ERROR_COMPRESSION = 4, &
      TGM_ERROR_OBJECT = 5, TGM_ERROR_IO = 6, TGM_ERROR_HASH_MISMATCH = 7, &
      TGM_ERROR_INVALID_ARG = 8, TGM_ERROR_END_OF_ITER = 9, TGM_ERROR_REMOTE = 10, &
      TGM_ERROR_MISSING_HASH = 11, TGM_ERROR_TIMEOUT = 12, TGM_ERROR_CANCELLED = 13

   ! Kinds of metadata values: the C enum tgm_value_type.
   integer(c_int), parameter, public :: TGM_VALUE_TYPE_NULL = 0, TGM_VALUE_TYPE_BOOL = 1, &
      TGM_VALUE_TYPE_INT = 2, TGM_VALUE_TYPE_FLOAT = 3, TGM_VALUE_TYPE_STRING = 4, &
      TGM_VALUE_TYPE_BYTES = 5, TGM_VALUE_TYPE_ARRAY = 6, TGM_VALUE_TYPE_MAP = 7

   !> Encoded bytes owned by the library (an encoded message).
   type :: tensogram_buffer
      type(c_bytes), private :: b
   contains
      procedure :: as_array => buffer_as_array   !> copy into an int8 array
      procedure :: size => buffer_size           !> length in bytes
      procedure :: free => buffer_free
      procedure, private :: buffer_copy
      generic :: assignment(=) => buffer_copy
      final :: buffer_final
   end type tensogram_buffer

   !> A decoded message.
   type :: tensogram_message
      type(c_ptr), private :: p = c_null_ptr
   contains
      procedure :: free => message_free
      procedure, private :: message_copy
      generic :: assignment(=) => message_copy
      final :: message_final
   end type tensogram_message

   !> An open .tgm file.
   type :: tensogram_file
      type(c_ptr), private :: p = c_null_ptr
   contains
      procedure :: close => file_close
      procedure, private :: file_copy
      generic :: assignment(=) => file_copy
      final :: file_final
   end type tensogram_file

   !> Builder of one object's application metadata ("base" entry).
   type :: tensogram_meta
      character(len=:), allocatable, private :: pairs
   contains
      procedure :: add_string => meta_add_string
      procedure :: add_int => meta_add_int
      procedure :: add_real => meta_add_real
      procedure :: base_json => meta_base_json   !> '"base":[{...}]'
   end type tensogram_meta

   !> Global metadata of a message.
   type :: tensogram_metadata
      type(c_ptr), private :: p = c_null_ptr
   contains
      procedure :: free => metadata_free
      procedure, private :: metadata_copy
      generic :: assignment(=) => metadata_copy
      final :: metadata_final
   end type tensogram_metadata

   !> A borrowed metadata value (absent when is_present() is false).
   type :: tensogram_value
      type(c_ptr), private :: p = c_null_ptr
   contains
      procedure :: is_present => value_is_present
      procedure :: kind => value_kind          !> a TGM_VALUE_TYPE_* code
      procedure :: as_int => value_as_int      !> .true. and val when an integer fits int64
      procedure :: as_uint => value_as_uint    !> the uint64 bits in an int64
      procedure :: as_float => value_as_float  !> floats, and integers widened
      procedure :: as_bool => value_as_bool
      procedure :: as_string => value_as_string
      procedure :: as_bytes => value_as_bytes
      procedure :: len => value_len            !> elements of an array / entries of a map
      procedure :: elem => value_elem          !> array element i (1-based)
      procedure :: key => value_key            !> map key i (1-based)
      procedure :: value => value_value        !> map value i (1-based)
      procedure :: get => value_get            !> map entry by key (no dot paths)
   end type tensogram_value

   !> Writes one message to a file, object by object.
   type :: tensogram_streaming_encoder
      type(c_ptr), private :: p = c_null_ptr
   contains
      procedure :: free => stream_free
      procedure, private :: stream_copy
      generic :: assignment(=) => stream_copy
      final :: stream_final
   end type tensogram_streaming_encoder

   !> tensogram_encode(a, buf, err [, metadata_json, hash, encoding, filter,
   !> compression]): encode array `a` as a one-object message.
   interface tensogram_encode
      module procedure encode_f32, encode_f64, encode_i32, encode_i64
   end interface tensogram_encode

   !> tensogram_to_array(msg, iobj, out, err): object iobj into an
   !> allocatable array of the object's dtype and rank (else TGM_ERROR_OBJECT).
   interface tensogram_to_array
      module procedure to_array_f32, to_array_f64, to_array_i32, to_array_i64
   end interface tensogram_to_array

   !> tensogram_file_append(file, a, err [, metadata_json, hash, encoding,
   !> filter, compression]): encode `a` and append the message.
   interface tensogram_file_append
      module procedure append_f32, append_f64, append_i32, append_i64
   end interface tensogram_file_append

   !> tensogram_streaming_encoder_write(enc, a, err [, encoding, filter,
   !> compression]): encode `a` as the next object of the stream.
   interface tensogram_streaming_encoder_write
      module procedure write_f32, write_f64, write_i32, write_i64
   end interface tensogram_streaming_encoder_write

   !> A NUL-terminated copy of a Fortran string, kept alive by its holder.
   type :: cstring
      character(kind=c_char), allocatable :: s(:)
   end type cstring

contains

   ! ---- strings ----------------------------------------------------------------------

   function to_c(f) result(c)
      character(len=*), intent(in) :: f
      type(cstring) :: c
      integer :: i
      allocate (c%s(len(f) + 1))
      do i = 1, len(f)
         c%s(i) = f(i:i)
      end do
      c%s(len(f) + 1) = c_null_char
   end function to_c

   !> Characters at p (n of them, or up to the NUL when n < 0); '' for NULL.
   function from_c(p, n) result(f)
      type(c_ptr), intent(in) :: p
      integer(c_size_t), intent(in), optional :: n
      character(len=:), allocatable :: f
      character(kind=c_char), pointer :: chars(:)
      integer(c_size_t) :: k, i
      if (.not. c_associated(p)) then
         f = ''
         return
      end if
      if (present(n)) then
         k = n
      else
         k = c_strlen(p)
      end if
      allocate (character(len=k) :: f)
      if (k == 0) return
      call c_f_pointer(p, chars, [k])
      do i = 1, k
         f(i:i) = chars(i)
      end do
   end function from_c

   function int_text(i) result(s)
      integer(c_int64_t), intent(in) :: i
      character(len=:), allocatable :: s
      character(len=24) :: buf
      write (buf, '(i0)') i
      s = trim(buf)
   end function int_text

   !> s as the inside of a JSON string literal.
   function json_quote(s) result(q)
      character(len=*), intent(in) :: s
      character(len=:), allocatable :: q
      character(len=*), parameter :: hex = '0123456789abcdef'
      integer :: i, c
      q = '"'
      do i = 1, len(s)
         c = iachar(s(i:i))
         select case (c)
         case (34)
            q = q//'\"'
         case (92)
            q = q//'\\'
         case (10)
            q = q//'\n'
         case (13)
            q = q//'\r'
         case (9)
            q = q//'\t'
         case (0:8, 11:12, 14:31)
            q = q//'\u00'//hex(c/16 + 1:c/16 + 1)//hex(mod(c, 16) + 1:mod(c, 16) + 1)
         case default
            q = q//s(i:i)
         end select
      end do
      q = q//'"'
   end function json_quote

   !> The hash argument: 'xxh3' when absent, none when blank.
   function hash_arg(hash) result(c)
      character(len=*), intent(in), optional :: hash
      type(cstring) :: c
      if (.not. present(hash)) then
         c = to_c('xxh3')
      else if (len_trim(hash) > 0) then
         c = to_c(trim(hash))
      end if
   end function hash_arg

   function cptr_of(c) result(p)
      type(cstring), target, intent(in) :: c
      type(c_ptr) :: p
      p = c_null_ptr
      if (allocated(c%s)) p = c_loc(c%s)
   end function cptr_of

   ! ---- errors ---------------------------------------------------------------------------

   !> The short description of an error code.
   function tensogram_strerror(err) result(msg)
      integer(c_int), intent(in) :: err
      character(len=:), allocatable :: msg
      msg = from_c(tgm_error_string(err))
   end function tensogram_strerror

   !> The detail of the last failure on this thread ('' if none).
   function tensogram_last_error() result(msg)
      character(len=:), allocatable :: msg
      msg = from_c(tgm_last_error())
   end function tensogram_last_error

   !> Stop the program with the error's detail when err is not OK.
   subroutine tensogram_check(err, context)
      integer(c_int), intent(in) :: err
      character(len=*), intent(in), optional :: context
      character(len=:), allocatable :: why
      if (err == TGM_ERROR_OK) return
      why = tensogram_last_error()
      if (len(why) == 0) why = tensogram_strerror(err)
      if (present(context)) why = trim(context)//': '//why
      write (error_unit, '(a)') 'tensogram: '//why
      error stop 1
   end subroutine tensogram_check

   !> The library version, e.g. "0.1.0" (ours).
   function tensogram_version() result(v)
      character(len=:), allocatable :: v
      v = from_c(tgm_version_string())
   end function tensogram_version

   ! ---- handle types: free, final, the copy guard ----------------------------------------

   subroutine refuse_copy(what)
      character(len=*), intent(in) :: what
      write (error_unit, '(a)') 'tensogram: '//what//' is non-copyable: assigning it would '// &
         'free the same handle twice; pass it by reference instead'
      error stop what//' is non-copyable'
   end subroutine refuse_copy

   function buffer_size(self) result(n)
      class(tensogram_buffer), intent(in) :: self
      integer(c_size_t) :: n
      n = self%b%len
   end function buffer_size

   !> The bytes as an int8 array (empty for an empty buffer).
   subroutine buffer_as_array(self, out)
      class(tensogram_buffer), intent(in) :: self
      integer(c_int8_t), allocatable, intent(out) :: out(:)
      integer(c_int8_t), pointer :: bytes(:)
      allocate (out(self%b%len))
      if (self%b%len == 0 .or. .not. c_associated(self%b%data)) return
      call c_f_pointer(self%b%data, bytes, [self%b%len])
      out(:) = bytes
   end subroutine buffer_as_array

   subroutine buffer_free(self)
      class(tensogram_buffer), intent(inout) :: self
      if (c_associated(self%b%data)) call tgm_bytes_free(self%b)
      self%b = c_bytes()
   end subroutine buffer_free

   subroutine buffer_final(self)
      type(tensogram_buffer), intent(inout) :: self
      call self%free()
   end subroutine buffer_final

   subroutine buffer_copy(lhs, rhs)
      class(tensogram_buffer), intent(inout) :: lhs
      type(tensogram_buffer), intent(in) :: rhs
      if (.false.) lhs%b = rhs%b
      call refuse_copy('tensogram_buffer')
   end subroutine buffer_copy

   subroutine message_free(self)
      class(tensogram_message), intent(inout) :: self
      if (c_associated(self%p)) call tgm_message_free(self%p)
      self%p = c_null_ptr
   end subroutine message_free

   subroutine message_final(self)
      type(tensogram_message), intent(inout) :: self
      call self%free()
   end subroutine message_final

   subroutine message_copy(lhs, rhs)
      class(tensogram_message), intent(inout) :: lhs
      type(tensogram_message), intent(in) :: rhs
      if (.false.) lhs%p = rhs%p
      call refuse_copy('tensogram_message')
   end subroutine message_copy

   subroutine file_close(self)
      class(tensogram_file), intent(inout) :: self
      if (c_associated(self%p)) call tgm_file_close(self%p)
      self%p = c_null_ptr
   end subroutine file_close

   subroutine file_final(self)
      type(tensogram_file), intent(inout) :: self
      call self%close()
   end subroutine file_final

   subroutine file_copy(lhs, rhs)
      class(tensogram_file), intent(inout) :: lhs
      type(tensogram_file), intent(in) :: rhs
      if (.false.) lhs%p = rhs%p
      call refuse_copy('tensogram_file')
   end subroutine file_copy

   subroutine metadata_free(self)
      class(tensogram_metadata), intent(inout) :: self
      if (c_associated(self%p)) call tgm_metadata_free(self%p)
      self%p = c_null_ptr
   end subroutine metadata_free

   subroutine metadata_final(self)
      type(tensogram_metadata), intent(inout) :: self
      call self%free()
   end subroutine metadata_final

   subroutine metadata_copy(lhs, rhs)
      class(tensogram_metadata), intent(inout) :: lhs
      type(tensogram_metadata), intent(in) :: rhs
      if (.false.) lhs%p = rhs%p
      call refuse_copy('tensogram_metadata')
   end subroutine metadata_copy

   subroutine stream_free(self)
      class(tensogram_streaming_encoder), intent(inout) :: self
      if (c_associated(self%p)) call tgm_streaming_encoder_free(self%p)
      self%p = c_null_ptr
   end subroutine stream_free

   subroutine stream_final(self)
      type(tensogram_streaming_encoder), intent(inout) :: self
      call self%free()
   end subroutine stream_final

   subroutine stream_copy(lhs, rhs)
      class(tensogram_streaming_encoder), intent(inout) :: lhs
      type(tensogram_streaming_encoder), intent(in) :: rhs
      if (.false.) lhs%p = rhs%p
      call refuse_copy('tensogram_streaming_encoder')
   end subroutine stream_copy

   ! ---- descriptors ------------------------------------------------------------------------

   function little_endian() result(yes)
      logical :: yes
      integer(c_int8_t) :: b(4)
      b = transfer(1_c_int32_t, b)
      yes = b(1) == 1
   end function little_endian

   !> The descriptor of array data of Fortran shape `ext`: shape reversed,
   !> C-order element strides.
   function descriptor(ext, dtype, encoding, filter, compression) result(js)
      integer(c_int64_t), intent(in) :: ext(:)
      character(len=*), intent(in) :: dtype
      character(len=*), intent(in), optional :: encoding, filter, compression
      character(len=:), allocatable :: js, shp, strd
      integer(c_int64_t) :: stride
      integer :: k
      shp = ''
      strd = ''
      stride = 1
      do k = 1, size(ext)
         ! Element k of the reversed shape is ext(size - k + 1); its stride
         ! is the product of the extents after it, i.e. of ext(1 : size-k).
         if (k > 1) then
            shp = ','//shp
            strd = ','//strd
         end if
         shp = int_text(ext(k))//shp
         strd = int_text(stride)//strd
         stride = stride*ext(k)
      end do
      js = '{"type":"ntensor","ndim":'//int_text(int(size(ext), c_int64_t))// &
           ',"shape":['//shp//'],"strides":['//strd//'],"dtype":"'//dtype//'","byte_order":'
      if (little_endian()) then
         js = js//'"little"'
      else
         js = js//'"big"'
      end if
      js = js//',"encoding":'//json_quote(opt_or_none(encoding))// &
           ',"filter":'//json_quote(opt_or_none(filter))// &
           ',"compression":'//json_quote(opt_or_none(compression))//'}'
   end function descriptor

   function opt_or_none(s) result(r)
      character(len=*), intent(in), optional :: s
      character(len=:), allocatable :: r
      r = 'none'
      if (present(s)) then
         if (len_trim(s) > 0) r = trim(s)
      end if
   end function opt_or_none

   !> Whole-message metadata: the descriptor plus the caller's top-level
   !> members (metadata_json is a JSON object, or its members without
   !> braces).
   function message_json(ext, dtype, metadata_json, encoding, filter, compression) result(js)
      integer(c_int64_t), intent(in) :: ext(:)
      character(len=*), intent(in) :: dtype
      character(len=*), intent(in), optional :: metadata_json, encoding, filter, compression
      character(len=:), allocatable :: js, extra
      js = '{"descriptors":['//descriptor(ext, dtype, encoding, filter, compression)//']'
      if (present(metadata_json)) then
         extra = trim(adjustl(metadata_json))
         if (len(extra) >= 2) then
            if (extra(1:1) == '{' .and. extra(len(extra):) == '}') then
               extra = trim(adjustl(extra(2:len(extra) - 1)))
            end if
         end if
         if (len(extra) > 0) js = js//','//extra
      end if
      js = js//'}'
   end function message_json

   ! ---- encode -------------------------------------------------------------------------------

   subroutine encode_raw(data, nbytes, ext, dtype, buf, err, metadata_json, hash, encoding, &
                         filter, compression)
      type(c_ptr), intent(in) :: data
      integer(c_size_t), intent(in) :: nbytes
      integer(c_int64_t), intent(in) :: ext(:)
      character(len=*), intent(in) :: dtype
      type(tensogram_buffer), intent(inout) :: buf
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      type(cstring), target :: meta, h
      type(c_ptr), target :: ptrs(1)
      integer(c_size_t), target :: lens(1)
      meta = to_c(message_json(ext, dtype, metadata_json, encoding, filter, compression))
      h = hash_arg(hash)
      ptrs(1) = data
      lens(1) = nbytes
      err = tgm_encode(cptr_of(meta), c_loc(ptrs), c_loc(lens), 1_c_size_t, cptr_of(h), 0, buf%b)
   end subroutine encode_raw

   subroutine encode_f32(a, buf, err, metadata_json, hash, encoding, filter, compression)
      real(c_float), target, contiguous, intent(in) :: a(..)
      type(tensogram_buffer), intent(out) :: buf
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call encode_raw(c_loc(a), nbytes(size(a, kind=c_size_t), 4), extents(shape(a)), 'float32', &
                      buf, err, metadata_json, hash, encoding, filter, compression)
   end subroutine encode_f32

   subroutine encode_f64(a, buf, err, metadata_json, hash, encoding, filter, compression)
      real(c_double), target, contiguous, intent(in) :: a(..)
      type(tensogram_buffer), intent(out) :: buf
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call encode_raw(c_loc(a), nbytes(size(a, kind=c_size_t), 8), extents(shape(a)), 'float64', &
                      buf, err, metadata_json, hash, encoding, filter, compression)
   end subroutine encode_f64

   subroutine encode_i32(a, buf, err, metadata_json, hash, encoding, filter, compression)
      integer(c_int32_t), target, contiguous, intent(in) :: a(..)
      type(tensogram_buffer), intent(out) :: buf
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call encode_raw(c_loc(a), nbytes(size(a, kind=c_size_t), 4), extents(shape(a)), 'int32', &
                      buf, err, metadata_json, hash, encoding, filter, compression)
   end subroutine encode_i32

   subroutine encode_i64(a, buf, err, metadata_json, hash, encoding, filter, compression)
      integer(c_int64_t), target, contiguous, intent(in) :: a(..)
      type(tensogram_buffer), intent(out) :: buf
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call encode_raw(c_loc(a), nbytes(size(a, kind=c_size_t), 8), extents(shape(a)), 'int64', &
                      buf, err, metadata_json, hash, encoding, filter, compression)
   end subroutine encode_i64

   pure function nbytes(n, width) result(b)
      integer(c_size_t), intent(in) :: n
      integer, intent(in) :: width
      integer(c_size_t) :: b
      b = n*int(width, c_size_t)
   end function nbytes

   pure function extents(s) result(e)
      integer, intent(in) :: s(:)
      integer(c_int64_t), allocatable :: e(:)
      e = int(s, c_int64_t)
   end function extents

   ! ---- decode ---------------------------------------------------------------------------------

   !> Decode a whole message from its bytes.  verify_hash (default .false.)
   !> checks the stored hashes; native_byte_order (default .true.) gives
   !> values in this machine's byte order.
   subroutine tensogram_decode(wire, msg, err, verify_hash, native_byte_order)
      integer(c_int8_t), target, contiguous, intent(in) :: wire(:)
      type(tensogram_message), intent(out) :: msg
      integer(c_int), intent(out) :: err
      logical, intent(in), optional :: verify_hash, native_byte_order
      err = tgm_decode(c_loc(wire), size(wire, kind=c_size_t), flag(native_byte_order, .true.), &
                       0, flag(verify_hash, .false.), msg%p)
      if (err /= TGM_ERROR_OK) msg%p = c_null_ptr
   end subroutine tensogram_decode

   pure function flag(x, dflt) result(v)
      logical, intent(in), optional :: x
      logical, intent(in) :: dflt
      integer(c_int32_t) :: v
      v = merge(1_c_int32_t, 0_c_int32_t, dflt)
      if (present(x)) v = merge(1_c_int32_t, 0_c_int32_t, x)
   end function flag

   function tensogram_num_objects(msg) result(n)
      type(tensogram_message), intent(in) :: msg
      integer :: n
      n = int(tgm_message_num_objects(msg%p))
   end function tensogram_num_objects

   function tensogram_object_ndim(msg, iobj) result(n)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj
      integer :: n
      n = 0
      if (iobj >= 1) n = int(tgm_object_ndim(msg%p, int(iobj - 1, c_size_t)))
   end function tensogram_object_ndim

   !> The object's shape in Fortran order (the stored shape reversed).
   function tensogram_object_shape(msg, iobj) result(ext)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj
      integer(c_int64_t), allocatable :: ext(:)
      integer(c_int64_t), pointer :: cshape(:)
      integer :: n
      n = tensogram_object_ndim(msg, iobj)
      allocate (ext(n))
      if (n == 0) return
      call c_f_pointer(tgm_object_shape(msg%p, int(iobj - 1, c_size_t)), cshape, [n])
      ext = cshape(n:1:-1)
   end function tensogram_object_shape

   function tensogram_object_dtype(msg, iobj) result(dt)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj
      character(len=:), allocatable :: dt
      dt = ''
      if (iobj >= 1) dt = from_c(tgm_object_dtype(msg%p, int(iobj - 1, c_size_t)))
   end function tensogram_object_dtype

   !> Locate object iobj's values, checking its dtype and rank.
   subroutine find_object(msg, iobj, dtype, want_rank, ext, data, err)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj, want_rank
      character(len=*), intent(in) :: dtype
      integer(c_int64_t), allocatable, intent(out) :: ext(:)
      type(c_ptr), intent(out) :: data
      integer(c_int), intent(out) :: err
      integer(c_size_t) :: n
      data = c_null_ptr
      err = TGM_ERROR_OBJECT
      if (iobj < 1) return
      if (iobj > tensogram_num_objects(msg)) return
      if (tensogram_object_dtype(msg, iobj) /= dtype) return
      ext = tensogram_object_shape(msg, iobj)
      if (size(ext) /= want_rank) return
      data = tgm_object_data(msg%p, int(iobj - 1, c_size_t), n)
      if (c_associated(data) .or. product(ext) == 0) err = TGM_ERROR_OK
   end subroutine find_object

   subroutine to_array_f32(msg, iobj, out, err)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj
      real(c_float), allocatable, target, intent(out) :: out(..)
      integer(c_int), intent(out) :: err
      integer(c_int64_t), allocatable :: e(:)
      type(c_ptr) :: data
      real(c_float), pointer :: src(:), dst(:)
      call find_object(msg, iobj, 'float32', rank(out), e, data, err)
      include 'tensogram_to_array.inc'
   end subroutine to_array_f32

   subroutine to_array_f64(msg, iobj, out, err)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj
      real(c_double), allocatable, target, intent(out) :: out(..)
      integer(c_int), intent(out) :: err
      integer(c_int64_t), allocatable :: e(:)
      type(c_ptr) :: data
      real(c_double), pointer :: src(:), dst(:)
      call find_object(msg, iobj, 'float64', rank(out), e, data, err)
      include 'tensogram_to_array.inc'
   end subroutine to_array_f64

   subroutine to_array_i32(msg, iobj, out, err)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj
      integer(c_int32_t), allocatable, target, intent(out) :: out(..)
      integer(c_int), intent(out) :: err
      integer(c_int64_t), allocatable :: e(:)
      type(c_ptr) :: data
      integer(c_int32_t), pointer :: src(:), dst(:)
      call find_object(msg, iobj, 'int32', rank(out), e, data, err)
      include 'tensogram_to_array.inc'
   end subroutine to_array_i32

   subroutine to_array_i64(msg, iobj, out, err)
      type(tensogram_message), intent(in) :: msg
      integer, intent(in) :: iobj
      integer(c_int64_t), allocatable, target, intent(out) :: out(..)
      integer(c_int), intent(out) :: err
      integer(c_int64_t), allocatable :: e(:)
      type(c_ptr) :: data
      integer(c_int64_t), pointer :: src(:), dst(:)
      call find_object(msg, iobj, 'int64', rank(out), e, data, err)
      include 'tensogram_to_array.inc'
   end subroutine to_array_i64

   ! ---- files ------------------------------------------------------------------------------------

   subroutine tensogram_file_open(path, file, err)
      character(len=*), intent(in) :: path
      type(tensogram_file), intent(out) :: file
      integer(c_int), intent(out) :: err
      type(cstring), target :: c
      c = to_c(trim(path))
      err = tgm_file_open(cptr_of(c), file%p)
      if (err /= TGM_ERROR_OK) file%p = c_null_ptr
   end subroutine tensogram_file_open

   !> Create (or truncate) a file.
   subroutine tensogram_file_create(path, file, err)
      character(len=*), intent(in) :: path
      type(tensogram_file), intent(out) :: file
      integer(c_int), intent(out) :: err
      type(cstring), target :: c
      c = to_c(trim(path))
      err = tgm_file_create(cptr_of(c), file%p)
      if (err /= TGM_ERROR_OK) file%p = c_null_ptr
   end subroutine tensogram_file_create

   subroutine tensogram_file_message_count(file, count, err)
      type(tensogram_file), intent(in) :: file
      integer, intent(out) :: count
      integer(c_int), intent(out) :: err
      integer(c_size_t) :: n
      n = 0
      err = tgm_file_message_count(file%p, n)
      count = int(n)
   end subroutine tensogram_file_message_count

   subroutine tensogram_file_decode_message(file, index, msg, err, verify_hash, native_byte_order)
      type(tensogram_file), intent(in) :: file
      integer, intent(in) :: index
      type(tensogram_message), intent(out) :: msg
      integer(c_int), intent(out) :: err
      logical, intent(in), optional :: verify_hash, native_byte_order
      err = TGM_ERROR_FRAMING
      if (index < 1) return
      err = tgm_file_decode_message(file%p, int(index - 1, c_size_t), &
                                    flag(native_byte_order, .true.), 0, &
                                    flag(verify_hash, .false.), msg%p)
      if (err /= TGM_ERROR_OK) msg%p = c_null_ptr
   end subroutine tensogram_file_decode_message

   !> Object iobj of message index only, reading just what it needs (ours).
   !> The result holds that one object (as object 1).
   subroutine tensogram_file_decode_object(file, index, iobj, msg, err, verify_hash, &
                                           native_byte_order)
      type(tensogram_file), intent(in) :: file
      integer, intent(in) :: index, iobj
      type(tensogram_message), intent(out) :: msg
      integer(c_int), intent(out) :: err
      logical, intent(in), optional :: verify_hash, native_byte_order
      err = TGM_ERROR_OBJECT
      if (index < 1 .or. iobj < 1) return
      err = tgm_file_decode_object(file%p, int(index - 1, c_size_t), int(iobj - 1, c_size_t), &
                                   flag(native_byte_order, .true.), 0, &
                                   flag(verify_hash, .false.), msg%p)
      if (err /= TGM_ERROR_OK) msg%p = c_null_ptr
   end subroutine tensogram_file_decode_object

   !> The encoded bytes of message index.
   subroutine tensogram_file_read_message(file, index, buf, err)
      type(tensogram_file), intent(in) :: file
      integer, intent(in) :: index
      type(tensogram_buffer), intent(out) :: buf
      integer(c_int), intent(out) :: err
      err = TGM_ERROR_FRAMING
      if (index < 1) return
      err = tgm_file_read_message(file%p, int(index - 1, c_size_t), buf%b)
   end subroutine tensogram_file_read_message

   subroutine append_raw(file, data, nbytes, ext, dtype, err, metadata_json, hash, encoding, &
                         filter, compression)
      type(tensogram_file), intent(in) :: file
      type(c_ptr), intent(in) :: data
      integer(c_size_t), intent(in) :: nbytes
      integer(c_int64_t), intent(in) :: ext(:)
      character(len=*), intent(in) :: dtype
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      type(cstring), target :: meta, h
      type(c_ptr), target :: ptrs(1)
      integer(c_size_t), target :: lens(1)
      meta = to_c(message_json(ext, dtype, metadata_json, encoding, filter, compression))
      h = hash_arg(hash)
      ptrs(1) = data
      lens(1) = nbytes
      err = tgm_file_append(file%p, cptr_of(meta), c_loc(ptrs), c_loc(lens), 1_c_size_t, &
                            cptr_of(h), 0)
   end subroutine append_raw

   subroutine append_f32(file, a, err, metadata_json, hash, encoding, filter, compression)
      type(tensogram_file), intent(inout) :: file
      real(c_float), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call append_raw(file, c_loc(a), nbytes(size(a, kind=c_size_t), 4), extents(shape(a)), &
                      'float32', err, metadata_json, hash, encoding, filter, compression)
   end subroutine append_f32

   subroutine append_f64(file, a, err, metadata_json, hash, encoding, filter, compression)
      type(tensogram_file), intent(inout) :: file
      real(c_double), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call append_raw(file, c_loc(a), nbytes(size(a, kind=c_size_t), 8), extents(shape(a)), &
                      'float64', err, metadata_json, hash, encoding, filter, compression)
   end subroutine append_f64

   subroutine append_i32(file, a, err, metadata_json, hash, encoding, filter, compression)
      type(tensogram_file), intent(inout) :: file
      integer(c_int32_t), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call append_raw(file, c_loc(a), nbytes(size(a, kind=c_size_t), 4), extents(shape(a)), &
                      'int32', err, metadata_json, hash, encoding, filter, compression)
   end subroutine append_i32

   subroutine append_i64(file, a, err, metadata_json, hash, encoding, filter, compression)
      type(tensogram_file), intent(inout) :: file
      integer(c_int64_t), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash, encoding, filter, compression
      call append_raw(file, c_loc(a), nbytes(size(a, kind=c_size_t), 8), extents(shape(a)), &
                      'int64', err, metadata_json, hash, encoding, filter, compression)
   end subroutine append_i64

   ! ---- application metadata builder ------------------------------------------------------------

   subroutine meta_add(self, key, json_value)
      class(tensogram_meta), intent(inout) :: self
      character(len=*), intent(in) :: key, json_value
      if (.not. allocated(self%pairs)) then
         self%pairs = ''
      else if (len(self%pairs) > 0) then
         self%pairs = self%pairs//','
      end if
      self%pairs = self%pairs//json_quote(key)//':'//json_value
   end subroutine meta_add

   subroutine meta_add_string(self, key, val)
      class(tensogram_meta), intent(inout) :: self
      character(len=*), intent(in) :: key, val
      call meta_add(self, key, json_quote(val))
   end subroutine meta_add_string

   subroutine meta_add_int(self, key, val)
      class(tensogram_meta), intent(inout) :: self
      character(len=*), intent(in) :: key
      integer(c_int64_t), intent(in) :: val
      call meta_add(self, key, int_text(val))
   end subroutine meta_add_int

   !> A real value, written with enough digits to read back exactly.
   subroutine meta_add_real(self, key, val)
      class(tensogram_meta), intent(inout) :: self
      character(len=*), intent(in) :: key
      real(c_double), intent(in) :: val
      character(len=40) :: buf
      write (buf, '(es24.17)') val
      call meta_add(self, key, trim(adjustl(buf)))
   end subroutine meta_add_real

   !> '"base":[{...}]', the member to put in metadata_json.
   function meta_base_json(self) result(js)
      class(tensogram_meta), intent(in) :: self
      character(len=:), allocatable :: js
      js = '"base":[{'
      if (allocated(self%pairs)) js = js//self%pairs
      js = js//'}]'
   end function meta_base_json

   ! ---- metadata ---------------------------------------------------------------------------------

   subroutine tensogram_message_metadata(msg, meta, err)
      type(tensogram_message), intent(in) :: msg
      type(tensogram_metadata), intent(out) :: meta
      integer(c_int), intent(out) :: err
      err = tgm_message_metadata(msg%p, meta%p)
      if (err /= TGM_ERROR_OK) meta%p = c_null_ptr
   end subroutine tensogram_message_metadata

   !> Value at a dotted key path as text ('' when absent).
   function tensogram_metadata_get_string(meta, key) result(val)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      character(len=:), allocatable :: val
      type(cstring), target :: k
      k = to_c(trim(key))
      val = from_c(tgm_metadata_get_string(meta%p, cptr_of(k)))
   end function tensogram_metadata_get_string

   function tensogram_metadata_get_int(meta, key, default_val) result(v)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      integer(c_int64_t), intent(in) :: default_val
      integer(c_int64_t) :: v
      type(cstring), target :: k
      k = to_c(trim(key))
      v = tgm_metadata_get_int(meta%p, cptr_of(k), default_val)
   end function tensogram_metadata_get_int

   function tensogram_metadata_get_float(meta, key, default_val) result(v)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      real(c_double), intent(in) :: default_val
      real(c_double) :: v
      type(cstring), target :: k
      k = to_c(trim(key))
      v = tgm_metadata_get_float(meta%p, cptr_of(k), default_val)
   end function tensogram_metadata_get_float

   function tensogram_metadata_num_objects(meta) result(n)
      type(tensogram_metadata), intent(in) :: meta
      integer :: n
      n = int(tgm_metadata_num_objects(meta%p))
   end function tensogram_metadata_num_objects

   !> The value at `key` (a dotted path); with obj_index, in that object's
   !> base entry only.  Absent (is_present() false) when not there.
   function tensogram_metadata_get(meta, key, obj_index) result(v)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      integer, intent(in), optional :: obj_index
      type(tensogram_value) :: v
      type(cstring), target :: k
      k = to_c(trim(key))
      if (.not. present(obj_index)) then
         v%p = tgm_metadata_get(meta%p, cptr_of(k))
      else if (obj_index >= 1) then
         v%p = tgm_metadata_get_at(meta%p, int(obj_index - 1, c_size_t), cptr_of(k))
      end if
   end function tensogram_metadata_get

   logical function tensogram_metadata_has(meta, key, obj_index)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      integer, intent(in), optional :: obj_index
      type(tensogram_value) :: v
      v = tensogram_metadata_get(meta, key, obj_index)
      tensogram_metadata_has = v%is_present()
   end function tensogram_metadata_has

   logical function tensogram_metadata_try_get_int(meta, key, value, obj_index)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      integer(c_int64_t), intent(out) :: value
      integer, intent(in), optional :: obj_index
      type(tensogram_value) :: v
      v = tensogram_metadata_get(meta, key, obj_index)
      tensogram_metadata_try_get_int = v%as_int(value)
   end function tensogram_metadata_try_get_int

   logical function tensogram_metadata_try_get_float(meta, key, value, obj_index)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      real(c_double), intent(out) :: value
      integer, intent(in), optional :: obj_index
      type(tensogram_value) :: v
      v = tensogram_metadata_get(meta, key, obj_index)
      tensogram_metadata_try_get_float = v%as_float(value)
   end function tensogram_metadata_try_get_float

   logical function tensogram_metadata_try_get_string(meta, key, value, obj_index)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      character(len=:), allocatable, intent(out) :: value
      integer, intent(in), optional :: obj_index
      type(tensogram_value) :: v
      v = tensogram_metadata_get(meta, key, obj_index)
      tensogram_metadata_try_get_string = v%as_string(value)
   end function tensogram_metadata_try_get_string

   logical function tensogram_metadata_try_get_bool(meta, key, value, obj_index)
      type(tensogram_metadata), intent(in) :: meta
      character(len=*), intent(in) :: key
      logical, intent(out) :: value
      integer, intent(in), optional :: obj_index
      type(tensogram_value) :: v
      v = tensogram_metadata_get(meta, key, obj_index)
      tensogram_metadata_try_get_bool = v%as_bool(value)
   end function tensogram_metadata_try_get_bool

   !> Object obj_index's base entry as a map.
   function tensogram_metadata_object(meta, obj_index) result(v)
      type(tensogram_metadata), intent(in) :: meta
      integer, intent(in) :: obj_index
      type(tensogram_value) :: v
      if (obj_index >= 1) v%p = tgm_metadata_object(meta%p, int(obj_index - 1, c_size_t))
   end function tensogram_metadata_object

   function tensogram_metadata_extra(meta) result(v)
      type(tensogram_metadata), intent(in) :: meta
      type(tensogram_value) :: v
      v%p = tgm_metadata_extra(meta%p)
   end function tensogram_metadata_extra

   function tensogram_metadata_reserved(meta) result(v)
      type(tensogram_metadata), intent(in) :: meta
      type(tensogram_value) :: v
      v%p = tgm_metadata_reserved(meta%p)
   end function tensogram_metadata_reserved

   ! ---- value cursors -----------------------------------------------------------------------------

   logical function value_is_present(self)
      class(tensogram_value), intent(in) :: self
      value_is_present = c_associated(self%p)
   end function value_is_present

   function value_kind(self) result(k)
      class(tensogram_value), intent(in) :: self
      integer(c_int) :: k
      k = tgm_value_get_type(self%p)
   end function value_kind

   logical function value_as_int(self, val)
      class(tensogram_value), intent(in) :: self
      integer(c_int64_t), intent(out) :: val
      val = 0
      value_as_int = tgm_value_as_i64(self%p, val)
   end function value_as_int

   logical function value_as_uint(self, val)
      class(tensogram_value), intent(in) :: self
      integer(c_int64_t), intent(out) :: val
      val = 0
      value_as_uint = tgm_value_as_u64(self%p, val)
   end function value_as_uint

   logical function value_as_float(self, val)
      class(tensogram_value), intent(in) :: self
      real(c_double), intent(out) :: val
      val = 0
      value_as_float = tgm_value_as_f64(self%p, val)
   end function value_as_float

   logical function value_as_bool(self, val)
      class(tensogram_value), intent(in) :: self
      logical, intent(out) :: val
      logical(c_bool) :: b
      b = .false.
      value_as_bool = tgm_value_as_bool(self%p, b)
      val = logical(b)
   end function value_as_bool

   logical function value_as_string(self, val)
      class(tensogram_value), intent(in) :: self
      character(len=:), allocatable, intent(out) :: val
      type(c_ptr) :: s
      integer(c_size_t) :: n
      s = tgm_value_as_string(self%p, n)
      value_as_string = c_associated(s)
      if (value_as_string) val = from_c(s, n)
   end function value_as_string

   logical function value_as_bytes(self, val)
      class(tensogram_value), intent(in) :: self
      integer(c_int8_t), allocatable, intent(out) :: val(:)
      integer(c_int8_t), pointer :: bytes(:)
      type(c_ptr) :: s
      integer(c_size_t) :: n
      s = tgm_value_as_bytes(self%p, n)
      value_as_bytes = c_associated(s)
      if (.not. value_as_bytes) return
      allocate (val(n))
      if (n == 0) return
      call c_f_pointer(s, bytes, [n])
      val(:) = bytes
   end function value_as_bytes

   function value_len(self) result(n)
      class(tensogram_value), intent(in) :: self
      integer :: n
      select case (tgm_value_get_type(self%p))
      case (TGM_VALUE_TYPE_ARRAY)
         n = int(tgm_value_array_len(self%p))
      case (TGM_VALUE_TYPE_MAP)
         n = int(tgm_value_map_len(self%p))
      case default
         n = 0
      end select
   end function value_len

   function value_elem(self, i) result(v)
      class(tensogram_value), intent(in) :: self
      integer, intent(in) :: i
      type(tensogram_value) :: v
      if (i >= 1) v%p = tgm_value_array_get(self%p, int(i - 1, c_size_t))
   end function value_elem

   !> Key of map entry i ('' and found = .false. when out of range).
   function value_key(self, i, found) result(k)
      class(tensogram_value), intent(in) :: self
      integer, intent(in) :: i
      logical, intent(out), optional :: found
      character(len=:), allocatable :: k
      type(c_ptr) :: s
      integer(c_size_t) :: n
      s = c_null_ptr
      if (i >= 1) s = tgm_value_map_key_at(self%p, int(i - 1, c_size_t), n)
      if (present(found)) found = c_associated(s)
      if (c_associated(s)) then
         k = from_c(s, n)
      else
         k = ''
      end if
   end function value_key

   function value_value(self, i) result(v)
      class(tensogram_value), intent(in) :: self
      integer, intent(in) :: i
      type(tensogram_value) :: v
      if (i >= 1) v%p = tgm_value_map_value_at(self%p, int(i - 1, c_size_t))
   end function value_value

   function value_get(self, key) result(v)
      class(tensogram_value), intent(in) :: self
      character(len=*), intent(in) :: key
      type(tensogram_value) :: v
      type(cstring), target :: k
      k = to_c(trim(key))
      v%p = tgm_value_map_get(self%p, cptr_of(k))
   end function value_get

   ! ---- streaming encoder --------------------------------------------------------------------------

   !> Start a message at `path`; metadata_json holds message-level
   !> metadata (default '{}'), hash the hash algorithm (default 'xxh3').
   subroutine tensogram_streaming_encoder_create(path, enc, err, metadata_json, hash)
      character(len=*), intent(in) :: path
      type(tensogram_streaming_encoder), intent(out) :: enc
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: metadata_json, hash
      type(cstring), target :: p, m, h
      p = to_c(trim(path))
      if (present(metadata_json)) then
         m = to_c(metadata_json)
      else
         m = to_c('{}')
      end if
      h = hash_arg(hash)
      err = tgm_streaming_encoder_create(cptr_of(p), cptr_of(m), cptr_of(h), 0, enc%p)
      if (err /= TGM_ERROR_OK) enc%p = c_null_ptr
   end subroutine tensogram_streaming_encoder_create

   subroutine write_raw(enc, data, nbytes, ext, dtype, err, encoding, filter, compression)
      type(tensogram_streaming_encoder), intent(in) :: enc
      type(c_ptr), intent(in) :: data
      integer(c_size_t), intent(in) :: nbytes
      integer(c_int64_t), intent(in) :: ext(:)
      character(len=*), intent(in) :: dtype
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: encoding, filter, compression
      type(cstring), target :: d
      d = to_c(descriptor(ext, dtype, encoding, filter, compression))
      err = tgm_streaming_encoder_write(enc%p, cptr_of(d), data, nbytes)
   end subroutine write_raw

   subroutine write_f32(enc, a, err, encoding, filter, compression)
      type(tensogram_streaming_encoder), intent(inout) :: enc
      real(c_float), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: encoding, filter, compression
      call write_raw(enc, c_loc(a), nbytes(size(a, kind=c_size_t), 4), extents(shape(a)), &
                     'float32', err, encoding, filter, compression)
   end subroutine write_f32

   subroutine write_f64(enc, a, err, encoding, filter, compression)
      type(tensogram_streaming_encoder), intent(inout) :: enc
      real(c_double), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: encoding, filter, compression
      call write_raw(enc, c_loc(a), nbytes(size(a, kind=c_size_t), 8), extents(shape(a)), &
                     'float64', err, encoding, filter, compression)
   end subroutine write_f64

   subroutine write_i32(enc, a, err, encoding, filter, compression)
      type(tensogram_streaming_encoder), intent(inout) :: enc
      integer(c_int32_t), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: encoding, filter, compression
      call write_raw(enc, c_loc(a), nbytes(size(a, kind=c_size_t), 4), extents(shape(a)), &
                     'int32', err, encoding, filter, compression)
   end subroutine write_i32

   subroutine write_i64(enc, a, err, encoding, filter, compression)
      type(tensogram_streaming_encoder), intent(inout) :: enc
      integer(c_int64_t), target, contiguous, intent(in) :: a(..)
      integer(c_int), intent(out) :: err
      character(len=*), intent(in), optional :: encoding, filter, compression
      call write_raw(enc, c_loc(a), nbytes(size(a, kind=c_size_t), 8), extents(shape(a)), &
                     'int64', err, encoding, filter, compression)
   end subroutine write_i64

   !> Write the footer; free() still releases the handle.
   subroutine tensogram_streaming_encoder_finish(enc, err)
      type(tensogram_streaming_encoder), intent(inout) :: enc
      integer(c_int), intent(out) :: err
      err = tgm_streaming_encoder_finish(enc%p)
   end subroutine tensogram_streaming_encoder_finish

   function tensogram_streaming_encoder_count(enc) result(n)
      type(tensogram_streaming_encoder), intent(in) :: enc
      integer :: n
      n = int(tgm_streaming_encoder_count(enc%p))
   end function tensogram_streaming_encoder_count

end module tensogram
