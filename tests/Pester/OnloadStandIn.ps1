# Helpers of the "was it really accelerated?" tests (Latency.Tests.ps1, Comparison.Tests.ps1): dot-source it in a
# BeforeAll.
#
# New-StandInLibOnload builds a stand-in of Onload's library, libonload.so (gcc). Preloaded (the onload double puts it
# in LD_PRELOAD as the real wrapper does), it is mapped in netperf like the real one, and it does what the real one
# does about a stack: its constructor opens Onload's device, /dev/onload, and keeps that descriptor open, as Onload
# keeps the /dev/onload descriptor of each stack it makes. Where the device is absent (no driver, a container started
# without --device) the open fails and, like the real library, it stays mapped with no stack: netperf runs on the
# kernel's sockets. It opens the device of the host the module sees: $ONLOADTOOLS_HOST_ROOT/dev/onload when that
# variable is set (a test host root, see New-HostRootWithOnloadDevice), else /dev/onload (inside a container: the
# container's own /dev).
#
# New-HostRootWithOnloadDevice gives this host a /dev/onload without touching the real /dev (other tests and users of
# the machine would see it): a host root for the module (ONLOADTOOLS_HOST_ROOT, the seam every host reader uses) that
# is the real host (/proc, /sys, /etc … are links to the real ones) except for /dev, which holds links to the real
# /dev's entries plus Onload's device nodes onload and onload_epoll, made as character devices with /dev/null's numbers
# (1:3, as podman's --device=/dev/null:/dev/onload does). The module then sees a host with Onload's devices: a
# container it starts gets them (--device=ROOT/dev/onload:/dev/onload), and the stand-in opens ROOT/dev/onload.
# Removing the root (Remove-Item -Recurse) removes its links, never what they point to (PowerShell 7 does not follow
# directory links when it deletes).

function New-StandInLibOnload([string] $Directory) {
    $path = Join-Path $Directory 'libonload.so'
    @'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

/* The descriptor of the "stack": Onload's device, held open for the process's life. -1: no device, no stack. */
int onloadtools_stand_in_stack_fd = -1;

__attribute__((constructor)) static void onloadtools_stand_in_init(void)
{
  char device[4096];
  const char* root = getenv("ONLOADTOOLS_HOST_ROOT");
  snprintf(device, sizeof device, "%s/dev/onload", root != NULL ? root : "");
  onloadtools_stand_in_stack_fd = open(device, O_RDWR | O_CLOEXEC);
}

void onloadtools_stub(void) {}
'@ | gcc -shared -fPIC -o $path -x c -
    if ($LASTEXITCODE -ne 0) { throw 'gcc could not build the stand-in libonload.so' }
    $path
}

function New-HostRootWithOnloadDevice([string] $Directory) {
    $root = (New-Item -ItemType Directory -Path (Join-Path $Directory "host-root-$([guid]::NewGuid().ToString('N').Substring(0, 8))")).FullName
    foreach ($entry in Get-ChildItem -Force / | Where-Object Name -ne 'dev') {
        ln -s "/$($entry.Name)" (Join-Path $root $entry.Name)
    }
    $dev = (New-Item -ItemType Directory -Path (Join-Path $root 'dev')).FullName
    foreach ($entry in Get-ChildItem -Force /dev | Where-Object Name -notlike 'onload*') {
        ln -s "/dev/$($entry.Name)" (Join-Path $dev $entry.Name)
    }
    foreach ($node in 'onload', 'onload_epoll') {
        mknod -m 666 (Join-Path $dev $node) c 1 3
        if ($LASTEXITCODE -ne 0) { throw "mknod could not make $dev/$node (the tests run as root)" }
    }
    $root
}
