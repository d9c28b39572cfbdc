# Included by the install script: writes the systemd units with the programs'
# paths of this install prefix (known only at install time with --prefix).
# In: _vd_src (packaging/systemd), _vd_out (dir), CMAKE_INSTALL_PREFIX,
#     _vd_bindir, _vd_sbindir (relative or absolute, as GNUInstallDirs says).
foreach(d bindir sbindir)
	if(IS_ABSOLUTE "${_vd_${d}}")
		set(full_${d} "${_vd_${d}}")
	else()
		set(full_${d} "${CMAKE_INSTALL_PREFIX}/${_vd_${d}}")
	endif()
endforeach()
file(MAKE_DIRECTORY ${_vd_out})
foreach(unit vpndoctord.service vpndoctord.socket vpndoctor-notify.service)
	file(READ ${_vd_src}/${unit} text)
	string(REPLACE "=/usr/sbin/vpndoctord" "=${full_sbindir}/vpndoctord" text "${text}")
	string(REPLACE "=/usr/bin/vpndoctor-notify" "=${full_bindir}/vpndoctor-notify" text "${text}")
	file(WRITE ${_vd_out}/${unit} "${text}")
endforeach()
