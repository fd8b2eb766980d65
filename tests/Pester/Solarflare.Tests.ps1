# Pester 5 tests of the Solarflare and Onload cmdlets, mirroring tests/OnloadTools.Tests/Solarflare (xunit engine tests).
# Hardware tools are the doubles in tests/fixtures/bin (sfboot, sfupdate, ethtool, onload); New-OnloadPackage uses
# the real rpmbuild (RHEL: dnf install rpm-build; Debian: apt-get install rpm).

BeforeAll {
    Import-Module "$PSScriptRoot/../../out/OnloadTools/0.1.0/OnloadTools.psd1" -Force
    $script:Doubles = (Resolve-Path "$PSScriptRoot/../fixtures/bin").Path
    $script:FakeRoot = (Resolve-Path "$PSScriptRoot/../fixtures/hosts/sfc-dual-port").Path
    $script:SavedPath = $env:PATH
    $script:SavedRoot = $env:ONLOADTOOLS_HOST_ROOT
    $script:SavedState = $env:ONLOADTOOLS_DOUBLE_STATE
    $script:SavedVersion = $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION
    $env:PATH = "$script:Doubles$([IO.Path]::PathSeparator)$script:SavedPath"

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
            Get-SfcInterface | Where-Object PhysicalPort -eq 0 | ForEach-Object Name | Should -Be @('p1p1', 'p1p3')
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
            $line = 'Set-SfcPartitioning -InterfaceName p1p'
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
                Should -Be @('p1p1', 'p1p2', 'p1p3', 'p1p4')
        }
    }

    Describe 'Get-SfcAdapter' {
        It 'joins sfboot, sfupdate and ethtool for every port' {
            $adapters = Get-SfcAdapter
            $adapters.Count | Should -Be 2
            $adapters[0].InterfaceName | Should -Be 'p1p1'
            $adapters[0].PfCount | Should -Be 1
            $adapters[0].SwitchMode | Should -Be 'default'
            $adapters[0].LinkUpDelaySeconds | Should -Be 5
            $adapters[0].BundleVersion | Should -Be '8.0.1.1002'
            $adapters[0].UpdateAvailable | Should -BeTrue
            $adapters[0].Driver | Should -Be 'sfc'
            $adapters[1].BusAddress | Should -Be '0000:3b:00.1'
        }

        It 'reads the sfutils v4 wording' {
            $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION = '4.6.6'
            $a = Get-SfcAdapter -InterfaceName p1p2
            $a.MsixLimit | Should -Be 32
            $a.ControllerVersion | Should -Be '3.3.0.6275'
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

        It 'says NotInstalled when sfboot is not on PATH' {
            $saved = $env:PATH
            try {
                $env:PATH = '/usr/bin:/bin'
                { Get-SfcAdapter -ErrorAction Stop } | Should -Throw -ErrorId 'SfbootNotInstalled*'
                try { Get-SfcAdapter -ErrorAction Stop } catch { $_.CategoryInfo.Category | Should -Be 'NotInstalled' }
            }
            finally { $env:PATH = $saved }
        }
    }

    Describe 'Set-SfcPartitioning' {
        It 'changes nothing with -WhatIf from the pipeline' {
            Get-SfcAdapter | Set-SfcPartitioning -PfCount 2 -WhatIf | Should -BeNullOrEmpty
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
            $r.Changes | Should -Contain 'switch-mode: default -> partitioning'
            $r.CommandLine | Should -Be 'sfboot --adapter=p1p1 pf-count=2 switch-mode=partitioning firmware-variant=full-feature'
            $warn | Should -Match 'cold reboot'
            $after = Get-SfcAdapter -InterfaceName p1p1
            $after.PfCount | Should -Be 2
            $after.SwitchMode | Should -Be 'partitioning'
            $after.FirmwareVariant | Should -Be 'full-feature'
        }

        It 'does not run sfboot when the port is already configured' {
            Set-SfcPartitioning p1p1 -PfCount 2 -Confirm:$false | Out-Null
            $before = @(Get-DoubleCall).Count
            (Set-SfcPartitioning p1p1 -PfCount 2 -Confirm:$false).Changed | Should -BeFalse
            @(Get-DoubleCall)[$before..1000] | Where-Object { $_ -like '*pf-count=*' } | Should -BeNullOrEmpty
        }

        It 'accepts deserialized adapters' {
            $bag = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-SfcAdapter p1p2)))
            ($bag | Set-SfcPartitioning -PfCount 2 -PfVlan 0, 100 -Confirm:$false).PfVlansAfter | Should -Be @(0, 100)
        }

        It 'refuses <Arguments> before touching the adapter' -TestCases @(
            @{ Arguments = @{ PfCount = 2; FirmwareVariant = 'UltraLowLatency' }; Message = '*full-feature*' }
            @{ Arguments = @{ PfCount = 2; SwitchMode = 'Default' }; Message = '*single physical function*' }
            @{ Arguments = @{ PfCount = 2; PfVlan = 0, 100, 200 }; Message = '*one tag per physical function*' }
        ) {
            param($Arguments, $Message)
            { Get-SfcAdapter | Set-SfcPartitioning @Arguments -Confirm:$false } | Should -Throw -ErrorId 'SfbootConfigurationRejected*' -ExpectedMessage $Message
            Get-DoubleCall | Where-Object { $_ -like '*pf-count=*' } | Should -BeNullOrEmpty
        }
    }

    Describe 'Update-SfcFirmware' {
        It 'writes the bundle and reports versions before and after' {
            Update-SfcFirmware -WhatIf
            Get-DoubleCall | Where-Object { $_ -like '*--write*' } | Should -BeNullOrEmpty
            $r = Update-SfcFirmware -Confirm:$false
            $r.Count | Should -Be 2
            $r[0].Updated | Should -BeTrue
            $r[0].BundleVersionBefore | Should -Be '8.0.1.1002'
            $r[0].BundleVersionAfter | Should -Be '8.5.2.1000'
            $r[0].Writes | Should -Be @('Bundle firmware 8.0.1.1002 -> 8.5.2.1000')
            (Get-SfcAdapter).UpdateAvailable | Should -Be @($false, $false)
        }

        It 'writes controller firmware and Boot ROM with the v4 utility' {
            $env:ONLOADTOOLS_DOUBLE_SFUTILS_VERSION = '4.6.6'
            $u = Get-SfcAdapter p1p1 | Update-SfcFirmware -Confirm:$false
            $u.ControllerVersionAfter | Should -Be '3.3.1.1003'
            $u.BootRomVersionAfter | Should -Be '4.4.0.1002'
            Get-DoubleCall | Should -Contain 'sfupdate --adapter=p1p1 --write --yes'
        }
    }

    Describe 'Get-OnloadInfo' {
        It 'reports a ready host from the fake tree' {
            $env:ONLOADTOOLS_HOST_ROOT = $script:FakeRoot
            $i = Get-OnloadInfo
            $i.Installed | Should -BeTrue
            $i.Version | Should -Be '8.1.2.26'
            $i.LoadedModules | Should -Be @('onload', 'sfc_char', 'sfc_resource', 'sfc')
            $i.Profiles | Should -Contain 'latency'
            $i.Ready | Should -BeTrue
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
            $pkgs = New-OnloadPackage -Source $script:Tarball -OutputDirectory $out
            $pkgs.Count | Should -Be 2
            $pkgs | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'OnloadTools.OnloadPackage' }
            ($pkgs | Sort-Object Name).Name | Should -Be @('kmod-openonload', 'openonload')
            $pkgs.Version | Sort-Object -Unique | Should -Be $script:Version
            ($pkgs | Where-Object Name -eq 'kmod-openonload').Kind | Should -Be 'KernelModule'
            $pkgs.Path | ForEach-Object { $_ | Should -Exist }
            $pkgs.Architecture | Sort-Object -Unique | Should -Be (rpm --eval '%{_arch}')
        }

        It 'builds nothing with -WhatIf' {
            $out = Join-Path $TestDrive 'whatif'
            New-OnloadPackage -Source $script:Tarball -OutputDirectory $out -WhatIf | Should -BeNullOrEmpty
            $out | Should -Not -Exist
        }
    }
}
