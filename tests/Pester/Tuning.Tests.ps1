#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Host tuning cmdlets (mirrors tests/OnloadTools.Tests/Tuning/*EngineTests.cs): the real tuned daemon (started when
# absent, previous profile restored), the grubby double, the two-socket fake host, Test-OnloadHost on this machine.

BeforeAll {
    Import-Module "$PSScriptRoot/../../out/OnloadTools/0.1.0/OnloadTools.psd1" -Force
    $script:Fixtures = Join-Path $PSScriptRoot '../fixtures'
    $script:FakeHost = Join-Path $script:Fixtures 'hosts/two-socket-sfc-node1'
    $script:OldPath = $env:PATH

    function script:Get-ActiveTuned {
        $line = & tuned-adm active 2>$null
        if ($line -match '^Current active profile: (.+)$') { $Matches[1].Trim() } else { $null }
    }
    function script:Set-Tuned([string] $Name) {
        if ($Name) { & tuned-adm profile $Name | Out-Null } else { & tuned-adm off | Out-Null }
    }
    function script:Start-TunedIfAbsent {
        if (-not (Get-Command tuned-adm -ErrorAction Ignore)) { return $false }
        if ((& tuned-adm active 2>&1) -notmatch 'Cannot talk') { return $true }
        $comms = Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' |
            ForEach-Object { try { (Get-Content -Raw "$($_.FullName)/comm" -ErrorAction Stop).Trim() } catch { } }
        if ($comms -notcontains 'dbus-daemon') {
            New-Item -ItemType Directory -Force /run/dbus | Out-Null
            Remove-Item /run/dbus/pid -ErrorAction Ignore
            & dbus-daemon --system --fork
        }
        if ($comms -notcontains 'tuned') { & tuned -d }
        foreach ($i in 1..100) {
            if ((& tuned-adm active 2>&1) -notmatch 'Cannot talk') { return $true }
            Start-Sleep -Milliseconds 300
        }
        $false
    }
    function script:Read-Sysctl([string] $Key) { (Get-Content -Raw "/proc/sys/$($Key -replace '\.', '/')").Trim() }

    $script:TunedAvailable = Start-TunedIfAbsent
    $script:OriginalProfile = if ($script:TunedAvailable) { Get-ActiveTuned } else { $null }
}

AfterAll {
    if ($script:TunedAvailable -and (Get-ActiveTuned) -ne $script:OriginalProfile) { Set-Tuned $script:OriginalProfile }
}

Describe 'Host tuning' {
    AfterEach {
        $env:PATH = $script:OldPath
        Remove-Item Env:ONLOADTOOLS_HOST_ROOT, Env:ONLOADTOOLS_DOUBLE_STATE, Env:ONLOADTOOLS_DOUBLE_GRUBBY_STYLE,
            Env:ONLOADTOOLS_DOUBLE_GRUBBY_READONLY, Env:ONLOADTOOLS_DOUBLE_GRUBBY_ARGS -ErrorAction Ignore
    }

    Describe 'Tuned profiles (real tuned)' {
        BeforeEach {
            $script:TunedAvailable | Should -BeTrue -Because 'CI installs tuned and dbus and these tests start the daemon'
        }
        AfterEach {
            if ((Get-ActiveTuned) -ne $script:OriginalProfile) { Set-Tuned $script:OriginalProfile }
        }

        It 'lists the installed profiles and marks the active one' {
            $active = Get-ActiveTuned
            $profiles = Get-TunedProfile
            $profiles.Name | Should -Contain 'network-latency'
            @($profiles | Where-Object IsActive | ForEach-Object Name) | Should -Be @($active | Where-Object { $_ })
            (Get-TunedProfile network-latency).Include | Should -Be @('latency-performance')
        }

        It 'resolves the include chain of network-latency' {
            $s = Get-TunedProfile network-latency -Effective | Where-Object Plugin -eq 'sysctl'
            ($s | Where-Object Name -eq 'net.core.busy_read').Value | Should -Be '50'
            ($s | Where-Object Name -eq 'vm.dirty_ratio').DefinedIn | Should -Be 'latency-performance'
        }

        It 'evaluates tuned functions in cpu-partitioning' {
            $cmdline = (Get-TunedProfile cpu-partitioning -Effective -WarningVariable w |
                Where-Object Name -eq 'cmdline_cpu_part').Value
            $w | Should -BeNullOrEmpty
            $cmdline | Should -Not -Match '\$\{'
            $cmdline | Should -Match 'nohz_full=(\d[\d,-]*) rcu_nocbs=\1 tuned\.non_isolcpus=[0-9a-f]{8}'
        }

        It 'warns when a profile assertion would make tuned refuse it' {
            $root = Join-Path ([IO.Path]::GetTempPath()) "onloadtools-host-$([guid]::NewGuid().ToString('N'))"
            Copy-Item -Recurse $script:FakeHost $root
            try {
                New-Item -ItemType Directory "$root/etc/tuned/needs-cores" | Out-Null
                Set-Content "$root/etc/tuned/needs-cores/tuned.conf" -Value @'
[main]
include=network-latency
[variables]
isolated_cores=${isolated_cores}
check=\\${isolated_cores}
assert1=${f:assertion_non_equal:isolated_cores are set:${isolated_cores}:${check}}
[bootloader]
cmdline_x=nohz_full=${isolated_cores}
'@
                $env:ONLOADTOOLS_HOST_ROOT = $root
                $s = Get-TunedProfile needs-cores -Effective -WarningVariable w -WarningAction SilentlyContinue
                ($s | Where-Object Name -eq 'cmdline_x').Value | Should -Be 'nohz_full=${isolated_cores}'
                $w.Count | Should -Be 1
                "$w" | Should -Match 'tuned would refuse.*isolated_cores are set'
            }
            finally {
                Remove-Item Env:ONLOADTOOLS_HOST_ROOT
                Remove-Item -Recurse -Force $root
            }
        }

        It 'switches, reports live values, and switching back restores them' {
            Set-Tuned 'balanced'
            $before = Read-Sysctl 'net.core.busy_read'
            $change = Invoke-TunedProfile -Name network-latency -Confirm:$false -WarningAction SilentlyContinue
            $change.PreviousProfile | Should -Be 'balanced'
            $change.NewProfile | Should -Be 'network-latency'
            $busy = $change.Settings | Where-Object Name -eq 'net.core.busy_read'
            $busy.Before | Should -Be $before
            $busy.After | Should -Be (Read-Sysctl 'net.core.busy_read')
            $busy.After | Should -Be '50'
            $skew = (Get-Content -Raw /proc/cmdline) -split '\s+' -contains 'skew_tick=1'
            $change.RebootRequired | Should -Be (-not $skew)

            Invoke-TunedProfile -Name $change.PreviousProfile -Confirm:$false | Out-Null
            Get-ActiveTuned | Should -Be 'balanced'
            Read-Sysctl 'net.core.busy_read' | Should -Be $before
        }

        It 'itemises verify failures whose reason holds quotes (balanced loads a module this host lacks)' {
            if ((Test-Path /proc/modules) -and ((Get-Content /proc/modules) -match '^cpufreq_conservative ')) {
                Set-ItResult -Skipped -Because 'cpufreq_conservative is loaded here, so balanced verifies'
                return
            }
            Set-Tuned 'balanced'
            $v = Test-TunedProfile
            $v.Verified | Should -BeFalse
            $m = $v.Differences | Where-Object Name -eq 'module:cpufreq_conservative'
            $m.Actual | Should -Be 'not loaded'
            $m.Message | Should -Be "verify: failed: 'module 'cpufreq_conservative' is not loaded'"
            $change = Invoke-TunedProfile -Name balanced -Confirm:$false -WarningAction SilentlyContinue
            $change.VerifyFailures | Should -Contain "verify: failed: 'module 'cpufreq_conservative' is not loaded'"
            $check = Test-OnloadHost -Profile balanced | Where-Object Name -eq 'TunedProfileVerified'
            $check.Status | Should -Be 'Fail'
            $check.Found | Should -BeLike "*module 'cpufreq_conservative' is not loaded*"
            $check.Found | Should -Not -Match "`n"
        }

        It 'WhatIf shows the command and changes nothing' {
            Set-Tuned 'balanced'
            $verbose = Invoke-TunedProfile network-latency -WhatIf -Verbose 4>&1
            ($verbose | Out-String) | Should -Match 'tuned-adm profile network-latency'
            Get-ActiveTuned | Should -Be 'balanced'
        }

        It 'Off leaves no active profile and Test-TunedProfile reports the differences' {
            Set-Tuned 'network-latency'
            $v = Test-TunedProfile
            $v.Profile | Should -Be 'network-latency'
            if (-not ((Get-Content -Raw /proc/cmdline) -split '\s+' -contains 'skew_tick=1')) {
                $v.Verified | Should -BeFalse
                $v.Differences.Name | Should -Contain 'cmdline:skew_tick'
            }
            $off = Invoke-TunedProfile -Off -Confirm:$false
            $off.NewProfile | Should -BeNullOrEmpty
            Get-ActiveTuned | Should -BeNullOrEmpty
        }

        It 'an unknown profile is ObjectNotFound' {
            { Invoke-TunedProfile -Name no-such-profile -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'TunedProfileNotFound,OnloadTools.Commands.InvokeTunedProfileCommand'
        }
    }

    Describe 'Kernel boot arguments (grubby double)' {
        BeforeEach {
            $env:PATH = "$script:Fixtures/bin:$script:OldPath"
            $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "ot-grubby-$(New-Guid)")).FullName
        }

        It 'adds and removes arguments with RHEL <Style> grubby' -TestCases @(@{ Style = 'rhel9' }, @{ Style = 'rhel7' }) {
            param($Style)
            $env:ONLOADTOOLS_DOUBLE_GRUBBY_STYLE = $Style
            $c = Set-KernelBootArgument -Add 'isolcpus=1,3,5', 'nosoftlockup', 'mce=ignore_ce' -Confirm:$false -WarningAction SilentlyContinue
            $c.RebootRequired | Should -BeTrue
            $c.CommandLine | Should -Be "grubby --update-kernel=ALL '--args=isolcpus=1,3,5 nosoftlockup mce=ignore_ce'"
            $iso = Get-KernelBootArgument -Pending | Where-Object Name -eq 'isolcpus'
            $iso.Pending | Should -Be 'Added'
            $iso.Cpus | Should -Be @(1, 3, 5)
            Set-KernelBootArgument -Remove nosoftlockup -Confirm:$false -WarningAction SilentlyContinue | Out-Null
            (Get-KernelBootArgument nosoftlockup -Pending) | Should -BeNullOrEmpty
        }

        It 'WhatIf prints the grubby command and changes nothing' {
            $v = Set-KernelBootArgument -Add nosoftlockup -WhatIf -Verbose 4>&1 | Out-String
            $v | Should -Match ([regex]::Escape('grubby --update-kernel=ALL --args=nosoftlockup'))
            Get-KernelBootArgument nosoftlockup -Pending | Should -BeNullOrEmpty
        }

        It 'lists every occurrence of a repeated argument and compares running and next boot as multisets' {
            $root = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "ot-cmdline-$(New-Guid)")).FullName
            try {
                New-Item -ItemType Directory -Path "$root/proc" | Out-Null
                Set-Content -Path "$root/proc/cmdline" -Value 'BOOT_IMAGE=/vmlinuz root=/dev/mapper/rhel-root ro console=tty0 console=ttyS0,115200n8 hugepagesz=1G hugepages=50 hugepagesz=2M hugepages=0 rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap'
                $env:ONLOADTOOLS_HOST_ROOT = $root
                $env:ONLOADTOOLS_DOUBLE_GRUBBY_STYLE = 'rhel9'   # root=/dev/mapper/rhel-root on its own line
                $env:ONLOADTOOLS_DOUBLE_GRUBBY_ARGS = 'ro console=tty0 console=ttyS1,115200n8 hugepagesz=1G hugepages=64 hugepagesz=2M hugepages=0 rd.lvm.lv=rhel/swap rd.lvm.lv=rhel/root'
                (Get-KernelBootArgument console).Value | Should -Be @('tty0', 'ttyS0,115200n8')
                (Get-KernelBootArgument hugepagesz).Value | Should -Be @('1G', '2M')
                (Get-KernelBootArgument rd.lvm.lv).Value | Should -Be @('rhel/root', 'rhel/swap')
                $pending = Get-KernelBootArgument -Pending
                $pending.Name | Should -Be @('console', 'hugepages')
                $pending.NextBootValue | Should -Be @('ttyS1,115200n8', '64')
                $pending.Pending | Should -Be @('Changed', 'Changed')
            }
            finally {
                Remove-Item Env:ONLOADTOOLS_HOST_ROOT, Env:ONLOADTOOLS_DOUBLE_GRUBBY_ARGS, Env:ONLOADTOOLS_DOUBLE_GRUBBY_STYLE -ErrorAction Ignore
                Remove-Item -Recurse -Force $root
            }
        }

        It 'warns when isolcpus or nohz_full name CPUs the host does not have' {
            try {
                $env:ONLOADTOOLS_HOST_ROOT = $script:FakeHost
                $c = Set-KernelBootArgument -Add 'isolcpus=9999', 'nohz_full=30-40', 'rcu_nocbs=2-5' -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
                $c | Should -Not -BeNullOrEmpty
                $about = @($w | Where-Object { "$_" -like '*does not have*' })
                $about | Should -HaveCount 2
                "$($about[0])" | Should -BeLike 'isolcpus=9999 names CPU(s) 9999 that this host does not have (its CPUs are 0-31)*'
                "$($about[1])" | Should -BeLike 'nohz_full=30-40 names CPU(s) 32-40 *'
            }
            finally { Remove-Item Env:ONLOADTOOLS_HOST_ROOT -ErrorAction Ignore }
        }

        It 'a read-only boot configuration is PermissionDenied' {
            $env:ONLOADTOOLS_DOUBLE_GRUBBY_READONLY = '1'
            { Set-KernelBootArgument -Add nosoftlockup -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'GrubbyPermissionDenied,OnloadTools.Commands.SetKernelBootArgumentCommand'
        }
    }

    Describe 'NIC-local CPUs and Test-OnloadHost on the two-socket fake host' {
        BeforeEach { $env:ONLOADTOOLS_HOST_ROOT = $script:FakeHost }

        It 'recommends a NIC-local isolated pair on node 1' {
            $a = Get-NicCpuAffinity p1p1
            $a.NumaNode | Should -Be 1
            $a.LocalCpuList | Should -Be '8-15,24-31'
            $a.NetperfCpuArgument | Should -Be '-T 10,11'
            (Get-NicCpuAffinity | Where-Object NumaNode -eq 1).InterfaceName | Should -Be @('p1p1', 'p1p2')
        }

        It 'passes the host checks of the ready host' {
            $checks = Test-OnloadHost -InterfaceName p1p1 | Where-Object Category -in 'Kernel', 'Cpu', 'Memory', 'Onload'
            $checks | Should -Not -BeNullOrEmpty
            $checks | Where-Object Status -ne 'Pass' | Should -BeNullOrEmpty
        }
    }

    Describe 'Test-OnloadHost on this machine' {
        It 'returns Pass/Warn/Fail checks and the Fail filter works' {
            $all = Test-OnloadHost
            $all.Status | ForEach-Object { $_ | Should -BeIn 'Pass', 'Warn', 'Fail' }
            $failed = Test-OnloadHost | Where-Object Status -eq 'Fail'
            @($failed.Name) | Should -Be @($all | Where-Object Status -eq 'Fail' | ForEach-Object Name)
            $failed | ForEach-Object { $_.Remediation | Should -Not -BeNullOrEmpty }
            ($all | Where-Object Name -eq 'Device:/dev/onload').Status | Should -Be $(if (Test-Path /dev/onload) { 'Pass' } else { 'Fail' })
            (Test-OnloadHost -Quiet) | Should -Be (-not ($all | Where-Object Status -eq 'Fail'))
        }

        It 'chooses the container engine the same way whatever the case of -Engine (<_>)' -ForEach 'podman', 'Podman', 'PODMAN' {
            # One rule for the engine choice: 'Podman' once failed here as "Podman is not installed".
            # podman needs runc and this VM's limits (DESIGN.md): the fixture's containers.conf unless CI set one.
            $saved = $env:CONTAINERS_CONF
            if (-not $env:CONTAINERS_CONF) { $env:CONTAINERS_CONF = Join-Path $PSScriptRoot '..' 'fixtures' 'containers' 'containers.conf' }
            try { $check = Test-OnloadHost -Engine $_ | Where-Object Name -eq 'ContainerEngine' } finally { $env:CONTAINERS_CONF = $saved }
            $check.Status | Should -Be 'Pass' -Because $check.Found
            $check.Found | Should -Match '^podman '
        }
    }
}
