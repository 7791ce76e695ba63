# cmake --install BUILD [--prefix P] (DESTDIR honoured), with GNUInstallDirs:
#
#   bin/                                  the nine programs
#   share/man/man1, man7, man8            man/*.1, *.7 and *.8, as they are (mdoc)
#   share/bash-completion/completions/    completion/sockfam, and the eight
#                                         other names as symlinks to it (bash-
#                                         completion loads completions/NAME)
#   share/doc/sockfam/                    README.md and docs/
#
# icmp-ping and icmp-echod are installed as plain programs: run as root,
# or given CAP_NET_RAW with `setcap cap_net_raw+ep` (README "Install"),
# or, for icmp-ping, through the ICMP datagram socket where
# net.ipv4.ping_group_range allows.  The Debian package's postinst runs the
# setcap; an install from source leaves that to the administrator.
set(SF_PROGRAMS tcp-server tcp-client udp-server udp-client unix-server unix-client
    icmp-ping icmp-echod sockfam)
install(TARGETS ${SF_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Whatever pages man/ holds, each in the directory of its section (icmp-echod.8
# in man8); CONFIGURE_DEPENDS re-globs at each build.
foreach(sec RANGE 1 9)
  file(GLOB SF_MAN CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.${sec})
  install(FILES ${SF_MAN} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})
endforeach()

# The completion under every name, in the build tree too (build/completions/),
# so the tests load it exactly as bash-completion will.  install(FILES)
# keeps a symlink a symlink.
set(SF_COMPLETIONS ${CMAKE_BINARY_DIR}/completions)
configure_file(${CMAKE_SOURCE_DIR}/completion/sockfam ${SF_COMPLETIONS}/sockfam COPYONLY)
set(SF_COMPLETION_FILES ${SF_COMPLETIONS}/sockfam)
foreach(name IN LISTS SF_PROGRAMS)
  if(NOT name STREQUAL "sockfam")
    file(CREATE_LINK sockfam ${SF_COMPLETIONS}/${name} SYMBOLIC)
    list(APPEND SF_COMPLETION_FILES ${SF_COMPLETIONS}/${name})
  endif()
endforeach()
install(FILES ${SF_COMPLETION_FILES}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# docs/ keeps its name, so README's links (docs/choosing.md) still resolve.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs DESTINATION ${CMAKE_INSTALL_DOCDIR})

install(CODE [[
if("$ENV{DESTDIR}" STREQUAL "")
  message(STATUS "icmp-ping and icmp-echod need CAP_NET_RAW for raw sockets: "
                 "setcap cap_net_raw+ep on both, as root (see README, Install)")
endif()
]])
