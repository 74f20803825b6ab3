! Write forecast steps of a 2-D field to a .tgm file, then read one step
! back without decoding the others, with its metadata.
!
!   gfortran -std=f2018 forecast_steps.f90 -I<prefix>/include -L<prefix>/lib \
!            -ltensogram_f -ltensogram -o forecast_steps
program forecast_steps
   use, intrinsic :: iso_c_binding
   use tensogram
   implicit none
   integer, parameter :: nx = 144, ny = 73, nsteps = 8
   real(c_double) :: t2m(nx, ny)
   real(c_double), allocatable :: back(:, :)
   type(tensogram_file) :: f
   type(tensogram_message) :: msg
   type(tensogram_metadata) :: meta
   type(tensogram_meta) :: app
   integer(c_int) :: err
   integer :: i, j, step, count

   call tensogram_file_create('forecast_steps.tgm', f, err)
   call tensogram_check(err, 'create')
   do step = 0, nsteps - 1
      do j = 1, ny
         do i = 1, nx
            t2m(i, j) = 250d0 + 30d0*cos((j - 37)/23d0) + step*0.25d0 + sin(i/10d0)
         end do
      end do
      app = tensogram_meta()
      call app%add_string('param', '2t')
      call app%add_int('step', int(6*step, c_int64_t))
      call tensogram_file_append(f, t2m, err, &
                                 metadata_json='{'//app%base_json()//',"centre":"ecmf"}', &
                                 compression='zstd')
      call tensogram_check(err, 'append')
   end do

   call tensogram_file_message_count(f, count, err)
   call tensogram_check(err, 'count')
   ! Step 5 only: the file index locates it; no other message is decoded.
   call tensogram_file_decode_object(f, 6, 1, msg, err)
   call tensogram_check(err, 'decode step')
   call tensogram_to_array(msg, 1, back, err)
   call tensogram_check(err, 'to_array')
   call tensogram_message_metadata(msg, meta, err)
   call tensogram_check(err, 'metadata')
   print '(a,i0,a,i0,a,i0,a,f8.3)', 'messages: ', count, '  shape: ', size(back, 1), 'x', &
      size(back, 2), '  max at step 5: ', maxval(back)
   print '(a,a,a,i0)', 'param ', tensogram_metadata_get_string(meta, 'param'), '  step ', &
      tensogram_metadata_get_int(meta, 'step', -1_c_int64_t)
   call f%close()
   deallocate (back)
   open (newunit=i, file='forecast_steps.tgm')
   close (i, status='delete')
end program forecast_steps
