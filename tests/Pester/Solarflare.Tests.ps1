# Pester 5 tests of the Solarflare and Onload cmdlets as admins pipe them. (The parsers of sfboot/sfupdate/ethtool output,
# sysfs reading and the doubles' fidelity to the real tools are tested in xunit: tests/OnloadTools.Tests/Solarflare.)
# Hardware tools are the doubles in tests/fixtures/bin (sfboot, sfupdate, ethtool, onload); New-OnloadPackage uses
# the real rpmbuild (RHEL: dnf install rpm-build; Debian: apt-get install rpm).

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Doubles = (Resolve-Path "$PSScriptRoot/../fixtures/bin").Path
    $script:FakeRoot = (Resolve-Path "$PSScriptRoot/../fixtures/hosts/sfc-dual-port").Path
    $script:SavedPath = $env:PATH
    $script:SavedRoot = $env:ONLOADTOOLS_HOST_ROOT
    $script:SavedState = $env:ONLOADTOOLS_DOUBLE_STATE
    $script:SavedVersion = $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION
    $env:PATH = "$script:Doubles$([IO.Path]::PathSeparator)$script:SavedPath"

    # What a script writes to the console (-WhatIf's "What if:" lines go to the host, not to a stream).
    function Get-HostOutput([scriptblock] $Script) {
        $file = Join-Path ([IO.Path]::GetTempPath()) "onloadtools-host-$([guid]::NewGuid().ToString('N')).txt"
        Start-Transcript -LiteralPath $file -Force | Out-Null
        try { & $Script | Out-Default } finally { Stop-Transcript | Out-Null }
        Get-Content -Raw -LiteralPath $file
        Remove-Item -LiteralPath $file -ErrorAction Ignore
    }

    function Get-DoubleCall {
        $log = Join-Path $env:ONLOADTOOLS_DOUBLE_STATE 'calls.log'
        if (Test-Path -LiteralPath $log) { Get-Content -LiteralPath $log } else { @() }
    }
}

AfterAll {
    $env:PATH = $script:SavedPath
    $env:ONLOADTOOLS_HOST_ROOT = $script:SavedRoot
    $env:ONLOADTOOLS_DOUBLE_STATE = $script:SavedState
    $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION = $script:SavedVersion
}

Describe 'Solarflare adapters and Onload' {
    BeforeEach {
        $env:ONLOADTOOLS_DOUBLE_STATE = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $env:ONLOADTOOLS_DOUBLE_STATE | Out-Null
        $env:ONLOADTOOLS_HOST_ROOT = $null
        $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION = $null
    }

    Describe 'Get-SfcInterface' {
        It 'finds the PFs sharing physical port 0 in the fake dual-port tree' {
            $env:ONLOADTOOLS_HOST_ROOT = $script:FakeRoot
            Get-SfcInterface -ErrorVariable errs | Where-Object PhysicalPort -eq 0 | ForEach-Object Name | Should -Be @('p1p1', 'p1p3')
            $errs | Should -BeNullOrEmpty
            $p1p2 = @(Get-SfcInterface p1p2)
            $p1p2.Count | Should -Be 1
            $p1p2[0].PortFunctions | Should -Be @('p1p2', 'p1p4')
            $p1p2[0].IPv4Addresses | Should -Be @('10.10.2.11')
        }

        It 'groups the PFs of each port and reads addresses, NUMA node and local CPUs' {
            $env:ONLOADTOOLS_HOST_ROOT = $script:FakeRoot
            $p1p1 = Get-SfcInterface -Name p1p1
            $p1p1.PSObject.TypeNames[0] | Should -Be 'OnloadTools.SfcInterface'
            $p1p1.PortFunctions | Should -Be @('p1p1', 'p1p3')
            $p1p1.IPv4Addresses | Should -Be @('10.10.1.11')
            $p1p1.NumaNode | Should -Be 0
            $p1p1.LocalCpus.Count | Should -Be 16
            (Get-SfcInterface -Name 'p1p*').Count | Should -Be 4
        }

        It 'returns nothing, and no error, on a real host without sfc interfaces' {
            if (Get-ChildItem /sys/class/net -ErrorAction SilentlyContinue | Where-Object { (Get-Item "$($_.FullName)/device/driver" -ErrorAction SilentlyContinue).LinkTarget -like '*/sfc' }) {
                Set-ItResult -Skipped -Because 'this machine has sfc interfaces'
            }
            $result = Get-SfcInterface -ErrorVariable errs
            @($result).Count | Should -Be 0
            $errs.Count | Should -Be 0
        }

        It 'reports an unknown literal name as ObjectNotFound' {
            $env:ONLOADTOOLS_HOST_ROOT = $script:FakeRoot
            Get-SfcInterface -Name p1p9 -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'SfcInterfaceNotFound*'
        }

        It 'tab-completes sfc interface names' {
            $env:ONLOADTOOLS_HOST_ROOT = $script:FakeRoot
            foreach ($line in 'Get-SfcInterface -Name p1p', 'Set-SfcPartitioning -InterfaceName p1p', 'Get-SfcAdapter p1p') {
                (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
                    Should -Be @('p1p1', 'p1p2', 'p1p3', 'p1p4')
            }
        }
    }

    Describe 'Get-SfcAdapter' {
        It 'joins sfboot, sfupdate and ethtool for every port' {
            $adapters = Get-SfcAdapter -ErrorVariable errs -WarningVariable w
            $errs | Should -BeNullOrEmpty
            $w | Should -BeNullOrEmpty
            $adapters.Count | Should -Be 2
            $adapters[0].PSObject.TypeNames[0] | Should -Be 'OnloadTools.SfcAdapter'
            $adapters[0].InterfaceName | Should -Be 'p1p1'
            $adapters[0].PfCount | Should -Be 1
            $adapters[0].SwitchMode | Should -Be 'default'
            $adapters[0].FirmwareVariant | Should -Be 'auto'
            $adapters[0].LinkUpDelaySeconds | Should -Be 5
            $adapters[0].SfbootVersion | Should -Be '8.2.4'
            $adapters[0].BusAddress | Should -Be '0000:3b:00.0'
            $adapters[0].BundleVersion | Should -Be '8.0.1.1002'
            $adapters[0].UpdateAvailable | Should -BeTrue
            $adapters[0].Driver | Should -Be 'sfc'
            $adapters[1].BusAddress | Should -Be '0000:3b:00.1'
        }

        It 'reads the sfutils v4 wording' {
            $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION = '4.6.6'
            $a = @(Get-SfcAdapter -InterfaceName p1p2)
            $a.Count | Should -Be 1
            $a = $a[0]
            $a.PfCount | Should -Be 1
            $a.MsixLimit | Should -Be 32
            $a.ControllerVersion | Should -Be '3.3.0.6275'
            $a.BootRomVersion | Should -Be '3.3.1.6312'
            $a.AvailableUpdates.Count | Should -Be 2
        }

        It 'says so, with sfboot''s words, when sfboot exits 0 but lists no adapter' {
            try {
                $env:ONLOADTOOLS_DOUBLE_SFC_INTERFACES = ''
                $env:ONLOADTOOLS_DOUBLE_SFBOOT_EMPTY_EXIT = '0'
                $a = Get-SfcAdapter -ErrorVariable errs -ErrorAction SilentlyContinue
                $a | Should -BeNullOrEmpty
                $errs | Should -HaveCount 1
                $errs[0].FullyQualifiedErrorId | Should -BeLike 'SfcAdapterNotFound,*'
                $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
                $errs[0].Exception.Message | Should -BeLike '*listed no adapter*No Solarflare adapters were found.*'
                $p = Set-SfcPartitioning -PfCount 2 -Confirm:$false -ErrorVariable perrs -ErrorAction SilentlyContinue
                $p | Should -BeNullOrEmpty
                $perrs | Should -HaveCount 1
                $perrs[0].FullyQualifiedErrorId | Should -BeLike 'SfcAdapterNotFound,*'
                $perrs[0].Exception.Message | Should -BeLike '*No Solarflare adapters were found.*'
            }
            finally {
                Remove-Item Env:ONLOADTOOLS_DOUBLE_SFC_INTERFACES, Env:ONLOADTOOLS_DOUBLE_SFBOOT_EMPTY_EXIT -ErrorAction Ignore
            }
        }

        It 'says NotInstalled, naming sfutils, when sfboot or sfupdate is not on PATH' {
            $saved = $env:PATH
            try {
                $env:PATH = '/usr/bin:/bin'   # the doubles are not on PATH, and this machine has no sfutils
                { Get-SfcAdapter -ErrorAction Stop } | Should -Throw -ErrorId 'SfbootNotInstalled*'
                foreach ($script in { Get-SfcAdapter -ErrorAction Stop }, { Set-SfcPartitioning -PfCount 2 -Confirm:$false -ErrorAction Stop },
                    { Update-SfcFirmware -Confirm:$false -ErrorAction Stop }) {
                    $err = $script | Should -Throw -PassThru
                    $err.CategoryInfo.Category | Should -Be 'NotInstalled'
                    $err.Exception.Message | Should -Match 'sfutils'
                    $err.FullyQualifiedErrorId | Should -Match '^Sf(boot|update)NotInstalled'
                }
            }
            finally { $env:PATH = $saved }
        }

        It 'reports an unknown port as ObjectNotFound with sfboot''s message' {
            Set-SfcPartitioning -InterfaceName p9p9 -PfCount 2 -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
            Get-SfcAdapter p9p9 -ErrorVariable +errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 2
            $errs | ForEach-Object { $_.CategoryInfo.Category | Should -Be 'ObjectNotFound'; $_.TargetObject | Should -Be 'p9p9' }
            $errs[0].Exception.Message | Should -Match "Adapter 'p9p9' not found"
            $errs[0].Exception.Message | Should -Match 'exited with code 1'
        }
    }

    Describe 'Set-SfcPartitioning' {
        It 'changes nothing with -WhatIf from the pipeline, and shows the sfboot commands' {
            Get-SfcAdapter | Set-SfcPartitioning -PfCount 2 -WhatIf | Should -BeNullOrEmpty
            $text = Get-HostOutput { Get-SfcAdapter | Set-SfcPartitioning -PfCount 2 -WhatIf }
            $text | Should -Match ([regex]::Escape('sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature'))
            $text | Should -Match ([regex]::Escape('sfboot --adapter=p1p2 pf-count=2 switch-mode=partitioning firmware-variant=full-feature'))
            $text | Should -Match 'pf-count: 1 -> 2'
            Get-DoubleCall | Where-Object { $_ -like '*pf-count=*' } | Should -BeNullOrEmpty
            (Get-SfcAdapter).PfCount | Should -Be @(1, 1)
        }

        It 'runs the guide''s sfboot command and Get-SfcAdapter shows the new configuration' {
            $r = Set-SfcPartitioning -InterfaceName p1p1 -PfCount 2 -SwitchMode Partitioning -FirmwareVariant FullFeature -Confirm:$false -WarningVariable warn
            $r.PSObject.TypeNames[0] | Should -Be 'OnloadTools.SfcPartitioningResult'
            $r.Changed | Should -BeTrue
            $r.ColdRebootRequired | Should -BeTrue
            $r.PfCountBefore | Should -Be 1
            $r.PfCountAfter | Should -Be 2
            $r.SwitchModeBefore | Should -Be 'default'
            $r.SwitchModeAfter | Should -Be 'partitioning'
            $r.Changes | Should -Be @('pf-count: 1 -> 2', 'switch-mode: default -> partitioning', 'firmware-variant: auto -> full-feature')
            $r.CommandLine | Should -Be 'sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature'
            $warn | Should -Match 'cold reboot'
            Get-DoubleCall | Should -Contain 'sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature'
            $after = Get-SfcAdapter -InterfaceName p1p1
            $after.PfCount | Should -Be 2
            $after.SwitchMode | Should -Be 'partitioning'
            $after.FirmwareVariant | Should -Be 'full-feature'
            $p1p2 = Get-SfcAdapter -InterfaceName p1p2
            $p1p2.PfCount | Should -Be 1                       # per-port setting: p1p2 untouched
            $p1p2.FirmwareVariant | Should -Be 'full-feature'  # global setting: whole adapter
        }

        It 'configures every adapter with the guide''s command when no interface is named' {
            $r = Set-SfcPartitioning -PfCount 2 -Confirm:$false -ErrorVariable errs -WarningAction SilentlyContinue
            $errs | Should -BeNullOrEmpty
            $r.InterfaceName | Should -Be @('p1p1', 'p1p2')
            $r.PfCountAfter | Should -Be @(2, 2)
            Get-DoubleCall | Should -Contain 'sfboot pf-count=2 switch-mode=partitioning firmware-variant=full-feature'
        }

        It 'does not run sfboot when the port is already configured' {
            Set-SfcPartitioning p1p1 -PfCount 2 -Confirm:$false | Out-Null
            $before = @(Get-DoubleCall).Count
            $again = @(Set-SfcPartitioning p1p1 -PfCount 2 -Confirm:$false)
            $again.Count | Should -Be 1
            $again[0].Changed | Should -BeFalse
            $again[0].ColdRebootRequired | Should -BeFalse
            @(Get-DoubleCall)[$before..1000] | Where-Object { $_ -like '*pf-count=*' } | Should -BeNullOrEmpty
        }

        It 'accepts deserialized adapters' {
            $bag = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-SfcAdapter p1p2)))
            $bag.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.SfcAdapter'
            $r = $bag | Set-SfcPartitioning -PfCount 2 -PfVlan 0, 100 -Confirm:$false -ErrorVariable errs -WarningAction SilentlyContinue
            $errs | Should -BeNullOrEmpty
            $r.InterfaceName | Should -Be 'p1p2'
            $r.PfVlansAfter | Should -Be @(0, 100)
        }

        It 'refuses <Arguments> before touching the adapter' -TestCases @(
            @{ Arguments = @{ PfCount = 2; FirmwareVariant = 'UltraLowLatency' }; Message = '*full-feature*' }
            @{ Arguments = @{ PfCount = 2; SwitchMode = 'Default' }; Message = '*single physical function*' }
            @{ Arguments = @{ PfCount = 2; PfVlan = 0, 100, 200 }; Message = '*one tag per physical function*' }
        ) {
            param($Arguments, $Message)
            $err = { Get-SfcAdapter | Set-SfcPartitioning @Arguments -Confirm:$false } | Should -Throw -ErrorId 'SfbootConfigurationRejected*' -ExpectedMessage $Message -PassThru
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            Get-DoubleCall | Where-Object { $_ -like '*pf-count=*' } | Should -BeNullOrEmpty
        }
    }

    Describe 'Update-SfcFirmware' {
        It 'writes the bundle and reports versions before and after' {
            Update-SfcFirmware -WhatIf | Should -BeNullOrEmpty
            Get-DoubleCall | Where-Object { $_ -like '*--write*' } | Should -BeNullOrEmpty
            $ps = [powershell]::Create()   # a runspace of its own, to read the progress records
            try {
                $r = $ps.AddScript("Import-Module '$script:Manifest'; Update-SfcFirmware -Confirm:`$false").Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
                @($ps.Streams.Progress).Count | Should -BeGreaterThan 0
                @($ps.Streams.Progress | Where-Object RecordType -eq 'Completed').Count | Should -BeGreaterThan 0
            }
            finally { $ps.Dispose() }
            $r.Count | Should -Be 2
            $r[0].PSObject.TypeNames[0] | Should -Be 'OnloadTools.SfcFirmwareUpdate'
            $r[0].Updated | Should -BeTrue
            $r[0].BundleVersionBefore | Should -Be '8.0.1.1002'
            $r[0].BundleVersionAfter | Should -Be '8.5.2.1000'
            $r[0].Writes | Should -Be @('Bundle firmware 8.0.1.1002 -> 8.5.2.1000')
            $r[0].CommandLine | Should -Be 'sfupdate --write --yes'
            $r[1].Updated | Should -BeTrue   # the second port shares the adapter's flash
            (Get-SfcAdapter).UpdateAvailable | Should -Be @($false, $false)
            $again = @(Update-SfcFirmware p1p1 -Confirm:$false)
            $again.Count | Should -Be 1
            $again[0].Updated | Should -BeFalse
        }

        It 'writes controller firmware and Boot ROM with the v4 utility' {
            $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION = '4.6.6'
            $u = @(Get-SfcAdapter p1p1 | Update-SfcFirmware -Confirm:$false -ErrorVariable errs)
            $errs | Should -BeNullOrEmpty
            $u.Count | Should -Be 1
            $u = $u[0]
            $u.ControllerVersionBefore | Should -Be '3.3.0.6275'
            $u.ControllerVersionAfter | Should -Be '3.3.1.1003'
            $u.Writes.Count | Should -Be 2
            $u.BootRomVersionAfter | Should -Be '4.4.0.1002'
            Get-DoubleCall | Should -Contain 'sfupdate --adapter=p1p1 --write --yes'
        }
    }

    Describe 'Get-OnloadInfo' {
        # What the ready host holds (version, modules, devices, profiles, interfaces) is asserted once, in xunit
        # (Onload/OnloadHostInspectorTests, the same fake tree); here, what the cmdlet gives the admin.
        It 'reports a ready host from the fake tree as one OnloadInfo, without errors' {
            $env:ONLOADTOOLS_HOST_ROOT = $script:FakeRoot
            $i = @(Get-OnloadInfo -ErrorVariable errs)
            $errs | Should -BeNullOrEmpty
            $i.Count | Should -Be 1
            $i[0].PSObject.TypeNames[0] | Should -Be 'OnloadTools.OnloadInfo'
            $i[0].Ready | Should -BeTrue
        }

        It 'says Installed = $false, without an error, when onload is absent' {
            $saved = $env:PATH
            try {
                $env:PATH = '/nonexistent'
                $i = Get-OnloadInfo -ErrorVariable errs
                $errs.Count | Should -Be 0
                $i.Installed | Should -BeFalse
                $i.Ready | Should -BeFalse
                $i.Problems | Should -Not -BeNullOrEmpty
            }
            finally { $env:PATH = $saved }
        }
    }

    Describe 'New-OnloadPackage' {
        BeforeAll {
            $script:Version = '8.{0}.{1}' -f (Get-Random -Minimum 1 -Maximum 9), (Get-Random -Minimum 0 -Maximum 99)
            $src = Join-Path $TestDrive "openonload-$script:Version"
            New-Item -ItemType Directory -Path $src | Out-Null
            Set-Content -LiteralPath "$src/onload" -Value "#!/bin/sh`necho Onload $script:Version"
            Set-Content -LiteralPath "$src/onload.ko" -Value 'not a real module'
            @"
%global debug_package %{nil}
Name: openonload
Version: $script:Version
Release: 1
Summary: OpenOnload (test build)
License: GPL-2.0-only
Source0: openonload-%{version}.tgz
%description
Test build.
%package -n kmod-openonload
Summary: OpenOnload kernel modules (test build)
%description -n kmod-openonload
Test build.
%prep
%setup -q
%build
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/lib/modules/extra
install -m 755 onload %{buildroot}/usr/bin/onload
install -m 644 onload.ko %{buildroot}/lib/modules/extra/onload.ko
%files
/usr/bin/onload
%files -n kmod-openonload
/lib/modules/extra/onload.ko
"@ | Set-Content -LiteralPath "$src/openonload.spec"
            $script:Tarball = Join-Path $TestDrive "openonload-$script:Version.tgz"
            tar -C $TestDrive -czf $script:Tarball "openonload-$script:Version"
        }

        It 'builds the user-space and kmod RPMs with the real rpmbuild' {
            $out = Join-Path $TestDrive 'rpms'
            $ps = [powershell]::Create()   # a runspace of its own, to read the progress records
            try {
                $pkgs = $ps.AddScript("Import-Module '$script:Manifest'; New-OnloadPackage -Source '$script:Tarball' -OutputDirectory '$out'").Invoke()
                $ps.Streams.Error | Should -BeNullOrEmpty
                @($ps.Streams.Progress).Count | Should -BeGreaterThan 0
            }
            finally { $ps.Dispose() }
            $arch = rpm --eval '%{_arch}'
            $pkgs.Count | Should -Be 2
            $pkgs | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'OnloadTools.OnloadPackage' }
            ($pkgs | Sort-Object Name).Name | Should -Be @('kmod-openonload', 'openonload')
            foreach ($p in $pkgs) {
                $p.Version | Should -Be $script:Version
                $p.Release | Should -Be '1'
                $p.Architecture | Should -Be $arch
                $p.Path | Should -Exist
                Split-Path -Parent $p.Path | Should -Be $out
                $p.Length | Should -Be (Get-Item $p.Path).Length
                $p.CommandLine | Should -BeLike "rpmbuild -ta $script:Tarball*"
            }
            ($pkgs | Where-Object Name -eq 'openonload').Kind | Should -Be 'UserSpace'
            ($pkgs | Where-Object Name -eq 'kmod-openonload').Kind | Should -Be 'KernelModule'
            ($pkgs | Where-Object Name -eq 'openonload').FileName | Should -Be "openonload-$script:Version-1.$arch.rpm"

            # The objects pipe by property name into a consumer with a -Path parameter (as New-OnloadImage -OnloadPackage does).
            function Receive-Package { param([Parameter(ValueFromPipelineByPropertyName)][string] $Path) process { [IO.File]::Exists($Path) } }
            New-OnloadPackage $script:Tarball -OutputDirectory $out -IncludeSourcePackage | Receive-Package | Should -Be @($true, $true, $true)
            @(Get-ChildItem $out -Filter *.src.rpm).Count | Should -Be 1
            # The private rpmbuild tree is gone.
            Get-ChildItem ([IO.Path]::GetTempPath()) -Directory -Filter 'onloadtools-rpmbuild-*' |
                Where-Object LastWriteTimeUtc -gt ([datetime]::UtcNow.AddMinutes(-1)) | Should -BeNullOrEmpty
        }

        It 'builds nothing with -WhatIf, and shows the rpmbuild command' {
            $out = Join-Path $TestDrive 'whatif'
            New-OnloadPackage -Source $script:Tarball -OutputDirectory $out -WhatIf | Should -BeNullOrEmpty
            $out | Should -Not -Exist
            Get-HostOutput { New-OnloadPackage -Source $script:Tarball -OutputDirectory $out -WhatIf } |
                Should -Match ([regex]::Escape("rpmbuild -ta $script:Tarball --define '_topdir "))
            $out | Should -Not -Exist
        }

        It 'reports a broken spec as RpmbuildFailed with rpmbuild''s words' {
            $src = Join-Path $TestDrive 'broken/openonload-1'
            New-Item -ItemType Directory -Path $src -Force | Out-Null
            Set-Content -LiteralPath "$src/openonload.spec" -Value "Name: openonload`nVersion: 1`n%description`nbroken: no Release, Summary or License"
            $tgz = Join-Path $TestDrive 'broken/openonload-1.tgz'
            tar -C (Join-Path $TestDrive 'broken') -czf $tgz 'openonload-1'
            $out = New-OnloadPackage -Source $tgz -OutputDirectory (Join-Path $TestDrive 'x') -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs.Count | Should -Be 1
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'RpmbuildFailed*'
            $errs[0].TargetObject | Should -Be $tgz
            $errs[0].Exception.Message | Should -Match 'exited with code 1'
            $errs[0].Exception.Message | Should -Match 'error:'
        }

        It 'says ObjectNotFound for a missing tarball and NotInstalled, naming rpm-build, without rpmbuild' {
            $err = { New-OnloadPackage -Source (Join-Path $TestDrive 'openonload-0.tgz') -ErrorAction Stop } | Should -Throw -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $saved = $env:PATH
            try {
                $env:PATH = '/nonexistent'
                $err = { New-OnloadPackage -Source $script:Tarball -OutputDirectory (Join-Path $TestDrive 'y') -ErrorAction Stop } | Should -Throw -PassThru
                $err.CategoryInfo.Category | Should -Be 'NotInstalled'
                $err.Exception.Message | Should -Match 'rpm-build'
            }
            finally { $env:PATH = $saved }
        }
    }
}
