#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Host tuning cmdlets as admins use them: the real tuned daemon (started when absent, previous profile restored), the
# grubby double, NIC-local CPUs on the two-socket fake host and on this machine. (Parsers of tuned/grubby output, tuned's
# functions and the NIC topology are tested in xunit: tests/OnloadTools.Tests/Tuning; Test-OnloadHost's readiness
# checklist is in Readiness.Tests.ps1.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"   # also the tuned daemon's helpers: Start-TunedIfAbsent, Get-ActiveTuned
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Fixtures = Join-Path $PSScriptRoot '../fixtures'
    $script:FakeHost = Join-Path $script:Fixtures 'hosts/two-socket-sfc-node1'
    $script:OldPath = $env:PATH

    function script:Set-Tuned([string] $Name) {
        if ($Name) { & tuned-adm profile $Name | Out-Null } else { & tuned-adm off | Out-Null }
    }
    function script:Read-Sysctl([string] $Key) { (Get-Content -Raw "/proc/sys/$($Key -replace '\.', '/')").Trim() }
    function script:Test-RunningKernelArgument([string] $Argument) { (Get-Content -Raw /proc/cmdline) -split '\s+' -contains $Argument }
    # The args= line of the grubby double's boot entry.
    function script:Get-DoubleBootArgs { ((Get-Content "$env:ONLOADTOOLS_DOUBLE_STATE/grubby/entries/0" | Where-Object { $_ -like 'args=*' }) -replace '^args=', '') -split ' ' }

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
            $recommended = (& tuned-adm recommend).Trim()
            $profiles = Get-TunedProfile -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            $profiles.Name | Should -Contain 'network-latency'
            $onDisk = Get-ChildItem /usr/lib/tuned -Directory | Where-Object { Test-Path (Join-Path $_.FullName 'tuned.conf') } | ForEach-Object Name
            $onDisk | ForEach-Object { $profiles.Name | Should -Contain $_ }
            @($profiles | Where-Object IsActive | ForEach-Object Name) | Should -Be @($active | Where-Object { $_ })
            @($profiles | Where-Object IsRecommended).Name | Should -Be $recommended
            $nl = $profiles | Where-Object Name -eq 'network-latency'
            $nl.PSObject.TypeNames[0] | Should -Be 'OnloadTools.TunedProfile'
            $nl.Include | Should -Be @('latency-performance')
            (Get-TunedProfile network-latency).Include | Should -Be @('latency-performance')
            @(Get-TunedProfile -Active | ForEach-Object Name) | Should -Be @($active | Where-Object { $_ })
        }

        It 'resolves the include chain of network-latency' {
            $s = Get-TunedProfile network-latency -Effective | Where-Object Plugin -eq 'sysctl'
            ($s | Where-Object Name -eq 'net.core.busy_read').Value | Should -Be '50'
            ($s | Where-Object Name -eq 'net.core.busy_read').DefinedIn | Should -Be 'network-latency'
            ($s | Where-Object Name -eq 'vm.dirty_ratio').DefinedIn | Should -Be 'latency-performance'
            $err = { Get-TunedProfile no-such-profile -Effective -ErrorAction Stop } | Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'TunedProfileNotFound'
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'evaluates tuned functions in cpu-partitioning' {
            $cmdline = @((Get-TunedProfile cpu-partitioning -Effective -WarningVariable w -ErrorVariable errs |
                Where-Object Plugin -eq 'bootloader' | Where-Object Name -eq 'cmdline_cpu_part').Value)
            $w | Should -BeNullOrEmpty
            $errs | Should -BeNullOrEmpty
            $cmdline.Count | Should -Be 1
            $cmdline[0] | Should -Not -Match '\$\{'   # functions and variables evaluated
            $cmdline[0] | Should -Match 'nohz_full=(\d[\d,-]*) rcu_nocbs=\1 tuned\.non_isolcpus=[0-9a-f]{8}(,[0-9a-f]{8})* '
        }

        It 'warns when a profile assertion would make tuned refuse it' {
            $root = Join-Path ([IO.Path]::GetTempPath()) "onloadtools-host-$([guid]::NewGuid().ToString('N'))"
            & cp -a $script:FakeHost $root   # symlinks stay links (Copy-Item -Recurse follows them into loops)
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
                $s = Get-TunedProfile needs-cores -Effective -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable errs
                $errs | Should -BeNullOrEmpty
                @($s | Where-Object Name -eq 'cmdline_x').Value | Should -Be 'nohz_full=${isolated_cores}'
                $w.Count | Should -Be 1
                "$w" | Should -Match 'tuned would refuse.*isolated_cores are set'
            }
            finally {
                Remove-Item Env:ONLOADTOOLS_HOST_ROOT
                Remove-Item -Recurse -Force $root
            }
        }

        It 'switches, reports live values that survive serialization, and switching back restores them' {
            Set-Tuned 'balanced'
            $before = Read-Sysctl 'net.core.busy_read'
            $fastopenBefore = Read-Sysctl 'net.ipv4.tcp_fastopen'
            $change = Invoke-TunedProfile -Name network-latency -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
            @($change).Count | Should -Be 1
            $change.PreviousProfile | Should -Be 'balanced'
            $change.NewProfile | Should -Be 'network-latency'
            Get-ActiveTuned | Should -Be 'network-latency'
            $change.CommandLine | Should -Be 'tuned-adm profile network-latency'
            $busy = $change.Settings | Where-Object Name -eq 'net.core.busy_read'
            $busy.Before | Should -Be $before
            $busy.After | Should -Be (Read-Sysctl 'net.core.busy_read')
            $busy.After | Should -Be '50'
            $busy.Changed | Should -Be ($before -ne '50')
            $change.ChangedCount | Should -Be @($change.Settings | Where-Object Changed).Count
            $skew = Test-RunningKernelArgument 'skew_tick=1'
            $change.RebootRequired | Should -Be (-not $skew)
            & tuned-adm verify *> $null
            $change.Verified | Should -Be ($LASTEXITCODE -eq 0)
            if (-not $skew) {
                $change.MissingBootArguments | Should -Contain 'skew_tick=1'
                ($w -join "`n") | Should -Match 'reboot'
            }
            # The change survives serialization as for Invoke-Command.
            $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($change))
            $d.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.TunedProfileChange'
            ($d.Settings | Where-Object Name -eq 'net.core.busy_read').After | Should -Be '50'

            # Switching back to the previous profile, the way admins write it.
            Invoke-TunedProfile -Name $change.PreviousProfile -Confirm:$false | Out-Null
            Get-ActiveTuned | Should -Be 'balanced'
            Read-Sysctl 'net.core.busy_read' | Should -Be $before
            Read-Sysctl 'net.ipv4.tcp_fastopen' | Should -Be $fastopenBefore
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
            $busy = Read-Sysctl 'net.core.busy_read'
            $all = Invoke-TunedProfile network-latency -WhatIf -Verbose 4>&1
            @($all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -BeNullOrEmpty
            $text = ($all | ForEach-Object Message) -join "`n"
            $text | Should -Match 'tuned-adm profile network-latency'
            if ($busy -ne '50') { $text | Should -Match ([regex]::Escape("net.core.busy_read $busy -> 50")) }
            $text | Should -Match 'skew_tick=1'
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
            (Test-TunedProfile -Quiet) | Should -Be $v.Verified
            $off = Invoke-TunedProfile -Off -Confirm:$false
            @($off).Count | Should -Be 1
            $off.PreviousProfile | Should -Be 'network-latency'
            $off.NewProfile | Should -BeNullOrEmpty
            Get-ActiveTuned | Should -BeNullOrEmpty
        }

        It 'an unknown profile is ObjectNotFound and changes nothing' {
            $before = Get-ActiveTuned
            $err = { Invoke-TunedProfile -Name no-such-profile -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'TunedProfileNotFound,OnloadTools.Commands.InvokeTunedProfileCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            Get-ActiveTuned | Should -Be $before
        }

        It 'a stopped daemon is ResourceUnavailable, and Test-OnloadHost says how to start it' {
            $before = Get-ActiveTuned
            $tunedPids = @(Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' |
                Where-Object { try { (Get-Content -Raw "$($_.FullName)/comm" -ErrorAction Stop).Trim() -eq 'tuned' } catch { $false } } | ForEach-Object { [int]$_.Name })
            $tunedPids.Count | Should -Be 1
            & kill $tunedPids[0]
            foreach ($i in 1..100) { if (-not (Test-Path "/proc/$($tunedPids[0])")) { break }; Start-Sleep -Milliseconds 100 }
            try {
                foreach ($script in { Test-TunedProfile -ErrorAction Stop }, { Invoke-TunedProfile network-latency -Confirm:$false -ErrorAction Stop }) {
                    $err = $script | Should -Throw -PassThru
                    ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'TunedDaemonNotRunning'
                    $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
                    $err.Exception.Message | Should -Match 'daemon'
                }
                $check = Test-OnloadHost | Where-Object Name -eq 'TunedProfileActive'
                $check.Status | Should -Be 'Fail'
                $check.Remediation | Should -Match 'systemctl enable --now tuned'
            }
            finally {
                Start-TunedIfAbsent | Should -BeTrue
                # The restarted daemon loads its profile a moment later; put the one of before back if it did not.
                foreach ($i in 1..100) { if ((Get-ActiveTuned) -eq $before) { break }; Start-Sleep -Milliseconds 300 }
                if ((Get-ActiveTuned) -ne $before) { Set-Tuned $before }
            }
            Get-ActiveTuned | Should -Be $before
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
            $c = Set-KernelBootArgument -Add 'isolcpus=1,3,5', 'nosoftlockup', 'mce=ignore_ce' -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
            @($c).Count | Should -Be 1
            $c.RebootRequired | Should -BeTrue
            $c.CommandLine | Should -Be "grubby --update-kernel=ALL '--args=isolcpus=1,3,5 nosoftlockup mce=ignore_ce'"
            $c.NextBootArguments | Should -Match 'mce=ignore_ce'
            Get-DoubleBootArgs | Should -Contain 'isolcpus=1,3,5'
            ($w -join "`n") | Should -Match 'next reboot'
            $iso = @(Get-KernelBootArgument -Pending | Where-Object Name -eq 'isolcpus')
            $iso.Count | Should -Be 1
            $iso[0].Running | Should -BeFalse
            $iso[0].NextBoot | Should -BeTrue
            $iso[0].Pending | Should -Be 'Added'
            $iso[0].Cpus | Should -Be @(1, 3, 5)
            Set-KernelBootArgument -Remove nosoftlockup -Add 'isolcpus=2,4' -Confirm:$false -WarningAction SilentlyContinue | Out-Null
            (Get-KernelBootArgument nosoftlockup -Pending) | Should -BeNullOrEmpty
            $args = Get-DoubleBootArgs
            $args | Should -Not -Contain 'nosoftlockup'
            $args | Should -Contain 'isolcpus=2,4'
            $args | Should -Not -Contain 'isolcpus=1,3,5'
        }

        It 'reads the running arguments from /proc/cmdline with the flags of isolcpus' {
            $env:ONLOADTOOLS_HOST_ROOT = $script:FakeHost
            $env:ONLOADTOOLS_DOUBLE_GRUBBY_ARGS = 'ro crashkernel=auto rd.lvm.lv=rhel/root rhgb quiet isolcpus=managed_irq,domain,10-15,26-31 nosoftlockup mce=ignore_ce skew_tick=1'
            $all = Get-KernelBootArgument -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            $iso = $all | Where-Object Name -eq 'isolcpus'
            $iso.Flags | Should -Be @('managed_irq', 'domain')
            $iso.Cpus.Count | Should -Be 12
            $iso.Pending | Should -Be ''
            # root= is on its own line in grubby's output; BOOT_IMAGE is the boot loader's: neither is a pending change.
            Get-KernelBootArgument -Pending | Should -BeNullOrEmpty
            ($all | Where-Object Name -eq 'BOOT_IMAGE').NextBoot | Should -BeNullOrEmpty
        }

        It 'WhatIf prints the grubby command and changes nothing' {
            $pendingBefore = @(Get-KernelBootArgument -Pending).Count
            $v = Set-KernelBootArgument -Add nosoftlockup -WhatIf -Verbose 4>&1 | Out-String
            $v | Should -Match ([regex]::Escape('grubby --update-kernel=ALL --args=nosoftlockup'))
            $all = Set-KernelBootArgument -Add 'isolcpus=1,3,5', 'nosoftlockup' -WhatIf -Verbose 4>&1
            @($all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -BeNullOrEmpty
            ($all | ForEach-Object Message) -join "`n" | Should -Match ([regex]::Escape("grubby --update-kernel=ALL '--args=isolcpus=1,3,5 nosoftlockup'"))
            Get-DoubleBootArgs | Should -Not -Contain 'nosoftlockup'
            Get-KernelBootArgument nosoftlockup -Pending | Should -BeNullOrEmpty
            @(Get-KernelBootArgument -Pending).Count | Should -Be $pendingBefore
        }

        It 'an argument with a space in it is InvalidArgument' {
            $err = { Set-KernelBootArgument -Add 'isolcpus=1 nosoftlockup' -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'InvalidKernelArgument'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
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

        It 'shows what the kernel receives where tuned manages boot arguments ($tuned_params from grubenv), never the variable' {
            $root = Join-Path ([IO.Path]::GetTempPath()) "ot-tuned-host-$(New-Guid)"
            & cp -a (Join-Path $script:Fixtures 'hosts/rhel9-tuned-cpu-partitioning') $root
            try {
                $env:ONLOADTOOLS_HOST_ROOT = $root
                $env:ONLOADTOOLS_DOUBLE_GRUBBY_TUNED = '1'   # grubby --info prints args="… $tuned_params"
                $all = Get-KernelBootArgument -WarningVariable w -WarningAction SilentlyContinue
                $all.Name | Should -Not -Contain '$tuned_params'
                $w | Should -BeNullOrEmpty
                Get-KernelBootArgument -Pending | Should -BeNullOrEmpty
                (Get-KernelBootArgument isolcpus).NextBoot | Should -BeTrue
                (Get-KernelBootArgument isolcpus -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" |
                    Should -Match "\`$tuned_params = 'skew_tick=1 .*' \(from /boot/grub2/grubenv\)"

                # Set: a $ value is no argument, and what tuned sets stays whatever grubby does to the entries.
                { Set-KernelBootArgument -Remove '$tuned_params' -Confirm:$false -ErrorAction Stop } |
                    Should -Throw -ErrorId 'InvalidKernelArgument,OnloadTools.Commands.SetKernelBootArgumentCommand'
                Get-DoubleBootArgs | Should -Contain '$tuned_params'
                $c = Set-KernelBootArgument -Remove nosoftlockup -Confirm:$false -WarningVariable w2 -WarningAction SilentlyContinue
                $c.NextBootArguments | Should -Match '\bnosoftlockup\b'
                $c.NextBootArguments | Should -Not -Match '\$tuned_params'
                ($w2 -join "`n") | Should -Match "nosoftlockup stays in the next boot's arguments: GRUB's \`$tuned_params"

                # grubenv unreadable (not root): the variable is named in a warning, and tuned's arguments are not "Removed".
                Remove-Item "$root/boot/grub2/grubenv"
                $all = Get-KernelBootArgument -WarningVariable w3 -WarningAction SilentlyContinue
                $all.Name | Should -Not -Contain '$tuned_params'
                ($w3 -join "`n") | Should -Match '\$tuned_params'
                Get-KernelBootArgument -Pending -WarningAction SilentlyContinue | Should -BeNullOrEmpty
                (Get-KernelBootArgument isolcpus -WarningAction SilentlyContinue).NextBoot | Should -BeNullOrEmpty
            }
            finally {
                Remove-Item Env:ONLOADTOOLS_HOST_ROOT, Env:ONLOADTOOLS_DOUBLE_GRUBBY_TUNED -ErrorAction Ignore
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
            $err = { Set-KernelBootArgument -Add nosoftlockup -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'GrubbyPermissionDenied,OnloadTools.Commands.SetKernelBootArgumentCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
            $err.Exception.Message | Should -Match 'Permission denied'
            $err.Exception.Message | Should -Match 'exited with code 1'
        }

        It 'without grubby, Get shows the running kernel and Set is NotInstalled' -Skip:([bool](Get-Command grubby -CommandType Application -ErrorAction Ignore | Where-Object Source -notlike "$script:Fixtures*")) {
            $env:PATH = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'   # without the doubles
            $all = Get-KernelBootArgument -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            $all | Should -Not -BeNullOrEmpty
            $all | ForEach-Object { $_.NextBoot | Should -BeNullOrEmpty }
            $err = { Set-KernelBootArgument -Add nosoftlockup -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'GrubbyNotInstalled'
            $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        }
    }

    Describe 'NIC-local CPUs on the two-socket fake host' {
        BeforeEach { $env:ONLOADTOOLS_HOST_ROOT = $script:FakeHost }

        It 'recommends a NIC-local isolated pair on node 1' {
            $a = Get-NicCpuAffinity p1p1
            $a.NumaNode | Should -Be 1
            $a.LocalCpuList | Should -Be '8-15,24-31'
            $a.NetperfCpuArgument | Should -Be '-T 10,11'
            (Get-NicCpuAffinity | Where-Object NumaNode -eq 1).InterfaceName | Should -Be @('p1p1', 'p1p2')
            $found = Get-NicCpuAffinity p9p9, p1p1 -ErrorVariable errs -ErrorAction SilentlyContinue
            @($found).Count | Should -Be 1
            $errs.Count | Should -Be 1
            ($errs[0].FullyQualifiedErrorId -split ',')[0] | Should -Be 'InterfaceNotFound'
            $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'completes installed profiles and interfaces' {
            $env:PATH = "$script:Fixtures/bin:$script:OldPath"
            foreach ($case in @(
                    @('Invoke-TunedProfile -Name onl', 'onload-latency'),
                    @('Test-OnloadHost -Profile netw', 'network-latency'),
                    @('Get-NicCpuAffinity p1', 'p1p1,p1p2'),
                    @('Measure-NetperfLatency -InterfaceName e', 'em1'))) {
                ((TabExpansion2 -inputScript $case[0] -cursorColumn $case[0].Length).CompletionMatches.CompletionText -join ',') | Should -Be $case[1]
            }
        }

        It 'binds Measure-NetperfLatency -InterfaceName to the NIC-local pair unless a CPU is given' {
            $run = Measure-NetperfLatency -InterfaceName p1p1 -TestName TCP_RR -Duration 1 -Iterations 1 -Verbose 4>&1
            $verbose = $run | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            $run = @($run | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
            $run.Count | Should -Be 1
            $run[0].LocalCpu | Should -Be 10
            $run[0].RemoteCpu | Should -Be 11
            ($verbose.Message -join "`n") | Should -Match '-T 10,11'
            $given = @(Measure-NetperfLatency -InterfaceName p1p1 -LocalCpu 1 -TestName TCP_RR -Duration 1 -Iterations 1)
            $given.Count | Should -Be 1
            $given[0].LocalCpu | Should -Be 1
            $given[0].RemoteCpu | Should -BeNullOrEmpty
        }
    }

    Describe 'NIC-local CPUs on this machine' {
        It 'binds Measure-NetperfLatency -InterfaceName to what this host recommends' {
            $nic = Get-ChildItem /sys/class/net | Where-Object Name -ne 'lo' | Sort-Object Name | Select-Object -First 1 -ExpandProperty Name
            $expected = Get-NicCpuAffinity -InterfaceName $nic
            $run = @(Measure-NetperfLatency -InterfaceName $nic -TestName TCP_RR -Duration 1 -Iterations 1 -WarningVariable w -WarningAction SilentlyContinue)
            $run.Count | Should -Be 1
            $run[0].LocalCpu | Should -Be $expected.RecommendedLocalCpu
            if ($null -eq $expected.RecommendedLocalCpu) { ($w -join "`n") | Should -Match 'netperf runs unbound' }
            $err = { Measure-NetperfLatency -InterfaceName nope0 -Duration 1 -Iterations 1 -ErrorAction Stop } | Should -Throw -PassThru
            ($err.FullyQualifiedErrorId -split ',')[0] | Should -Be 'InterfaceNotFound'
        }
    }
}
