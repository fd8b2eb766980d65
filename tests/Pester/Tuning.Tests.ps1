#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Host tuning cmdlets as admins use them: the real tuned daemon (started when absent, previous profile restored), the
# grubby double, the two-socket fake host, Test-OnloadHost on this machine. (Parsers of tuned/grubby output, tuned's
# functions and the NIC topology are tested in xunit: tests/OnloadTools.Tests/Tuning.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
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
    # Whether the daemon answers. (Its output is several lines: -notmatch on them would filter the lines, and the
    # 'preset profile' line of a stopped daemon would read as an answer.)
    function script:Test-TunedAnswers { -not ((& tuned-adm active 2>&1) -join "`n" -match 'Cannot talk') }
    function script:Start-TunedIfAbsent {
        if (-not (Get-Command tuned-adm -ErrorAction Ignore)) { return $false }
        if (Test-TunedAnswers) { return $true }
        $comms = Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' |
            ForEach-Object { try { (Get-Content -Raw "$($_.FullName)/comm" -ErrorAction Stop).Trim() } catch { } }
        if ($comms -notcontains 'dbus-daemon') {
            New-Item -ItemType Directory -Force /run/dbus | Out-Null
            Remove-Item /run/dbus/pid -ErrorAction Ignore
            & sh -c 'dbus-daemon --system --fork </dev/null >/dev/null 2>&1'
        }
        # Detached from this process's pipes: a daemon left writing to a pipe that pwsh has closed dies of SIGPIPE.
        if ($comms -notcontains 'tuned') { & sh -c 'tuned -d </dev/null >/dev/null 2>&1' }
        foreach ($i in 1..100) {
            if (Test-TunedAnswers) { return $true }
            Start-Sleep -Milliseconds 300
        }
        $false
    }
    function script:Read-Sysctl([string] $Key) { (Get-Content -Raw "/proc/sys/$($Key -replace '\.', '/')").Trim() }
    function script:Test-RunningKernelArgument([string] $Argument) { (Get-Content -Raw /proc/cmdline) -split '\s+' -contains $Argument }
    # A writable copy of a fake host root (symlinks kept as links).
    function script:Copy-FakeHost {
        $root = Join-Path ([IO.Path]::GetTempPath()) "onloadtools-host-$([guid]::NewGuid().ToString('N'))"
        & cp -a $script:FakeHost $root
        $root
    }
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

        It 'switches, reports live values, and switching back restores them' {
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

        It 'results survive serialization as for Invoke-Command' {
            Set-Tuned 'balanced'
            $c = Invoke-TunedProfile -Name network-latency -Confirm:$false -WarningAction SilentlyContinue
            $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c))
            $d.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.TunedProfileChange'
            ($d.Settings | Where-Object Name -eq 'net.core.busy_read').After | Should -Be '50'
            $checks = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Test-OnloadHost)))
            $checks[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.OnloadHostCheck'
            @($checks | Where-Object Status -eq 'Fail').Count | Should -Be @(Test-OnloadHost | Where-Object Status -eq 'Fail').Count
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

    Describe 'NIC-local CPUs and Test-OnloadHost on the two-socket fake host' {
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

        It 'passes the host checks of the ready host' {
            $env:PATH = "$script:Fixtures/bin:$script:OldPath"   # a ready host has Onload installed (the onload double)
            $checks = Test-OnloadHost -InterfaceName p1p1 | Where-Object Category -in 'Kernel', 'Cpu', 'Memory', 'Onload'
            $checks | Should -Not -BeNullOrEmpty
            $checks | Where-Object Status -ne 'Pass' | Should -BeNullOrEmpty
            $checks[0].HostName | Should -Be 'rhel7-two-socket'
        }

        It 'fails the checks of a broken copy of the host, saying what to do' {
            $root = Copy-FakeHost
            try {
                $env:ONLOADTOOLS_HOST_ROOT = $root
                Set-Content "$root/proc/cmdline" 'ro quiet isolcpus=2-5 mce=ignore_ce'
                Set-Content "$root/sys/devices/system/cpu/isolated" '2-5'
                Remove-Item "$root/dev/onload_epoll"
                Set-Content "$root/sys/kernel/mm/transparent_hugepage/enabled" '[always] madvise never'
                $failed = @{}
                Test-OnloadHost -InterfaceName p1p1 | Where-Object Status -eq 'Fail' | ForEach-Object { $failed[$_.Name] = $_ }
                $failed.Keys | Should -Contain 'KernelArgument:nosoftlockup'
                $failed['IsolatedCpusNicLocal'].Remediation | Should -Match 'isolcpus=8-15,24-31'
                $failed['IsolatedCpusNicLocal'].Found | Should -Match '2-5'
                $failed.Keys | Should -Contain 'Device:/dev/onload_epoll'
                $failed['TransparentHugePages'].Found | Should -Be 'always'
                $failed.Keys | Should -Not -Contain 'Device:/dev/onload'
                $failed.Keys | Should -Not -Contain 'KernelArgument:mce'
            }
            finally { Remove-Item -Recurse -Force $root -ErrorAction Ignore }
        }
    }

    Describe 'Test-OnloadHost on this machine' {
        It 'returns Pass/Warn/Fail checks and the Fail filter works' {
            $script:TunedAvailable | Should -BeTrue
            $all = Test-OnloadHost -ErrorVariable errs
            $errs | Should -BeNullOrEmpty
            $all.Status | ForEach-Object { $_ | Should -BeIn 'Pass', 'Warn', 'Fail' }
            $failed = Test-OnloadHost | Where-Object Status -eq 'Fail'
            @($failed.Name) | Should -Be @($all | Where-Object Status -eq 'Fail' | ForEach-Object Name)
            $failed | ForEach-Object { $_.Remediation | Should -Not -BeNullOrEmpty }
            $all | Where-Object Status -eq 'Warn' | ForEach-Object { $_.Reason | Should -Not -BeNullOrEmpty }
            (Test-OnloadHost -Quiet) | Should -Be (-not ($all | Where-Object Status -eq 'Fail'))

            # Each status follows from the machine, read here independently.
            function Status([string] $Name) { ($all | Where-Object Name -eq $Name).Status }
            Status 'Device:/dev/onload' | Should -Be $(if (Test-Path /dev/onload) { 'Pass' } else { 'Fail' })
            Status 'Device:/dev/onload_epoll' | Should -Be $(if (Test-Path /dev/onload_epoll) { 'Pass' } else { 'Fail' })
            # Without /proc/modules (a container, a kernel without modules) nothing can be loaded or checked: Warn, with the reason.
            if (-not (Test-Path /proc/modules)) { Status 'OnloadKernelModules' | Should -Be 'Warn' }
            elseif (-not ((Get-Content /proc/modules -ErrorAction Ignore) -match '^onload ')) { Status 'OnloadKernelModules' | Should -Be 'Fail' }
            Status 'netperf' | Should -Be $(if (Test-Path /usr/bin/netperf) { 'Pass' } else { 'Fail' })
            $sfc = @(Get-ChildItem /sys/class/net | Where-Object { (Test-Path "$($_.FullName)/device/driver") -and
                    (Split-Path -Leaf (Get-Item "$($_.FullName)/device/driver").ResolveLinkTarget($true).FullName) -eq 'sfc' }).Count -gt 0
            Status 'SolarflareAdapter' | Should -Be $(if ($sfc) { 'Pass' } else { 'Warn' })
            if (-not (Test-Path /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor)) { Status 'CpuGovernor' | Should -Be 'Warn' }
            Status 'TunedProfileActive' | Should -Be $(if ((Get-ActiveTuned) -eq 'network-latency') { 'Pass' } else { 'Fail' })
            Status 'KernelArgument:nosoftlockup' | Should -Be $(if (Test-RunningKernelArgument 'nosoftlockup') { 'Pass' } else { 'Fail' })
            Status 'TransparentHugePages' | Should -Be $(if ((Get-Content -Raw /sys/kernel/mm/transparent_hugepage/enabled) -match '\[never\]') { 'Pass' } else { 'Fail' })
        }

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

        It 'compares the host''s Onload with the version label of an image (real podman)' {
            $env:CONTAINERS_CONF = if ($env:CONTAINERS_CONF) { $env:CONTAINERS_CONF } else { '/etc/containers/onloadtools-ci.conf' }
            $bin = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-onload-$(New-Guid)")).FullName
            $empty = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-img-$(New-Guid)")).FullName
            $image = "localhost/onloadtools-tuning-test:$((New-Guid).ToString('N').Substring(0, 8))"
            try {
                # A host 'onload' that only answers --version, as the real one prints it.
                Set-Content "$bin/onload" "#!/bin/sh`necho `"Onload `${ONLOADTOOLS_TEST_ONLOAD_VERSION:-8.1.2.26}`""
                & chmod 755 "$bin/onload"
                & tar -C $empty -cf "$empty.tar" .
                & podman import --change 'LABEL org.openonload.version=8.1.2.26' "$empty.tar" $image | Out-Null
                $LASTEXITCODE | Should -Be 0
                $env:PATH = "${bin}:$script:OldPath"
                $same = Test-OnloadHost -Image $image | Where-Object Name -eq 'OnloadVersion'
                $same.Status | Should -Be 'Pass'
                $same.Found | Should -Be 'host 8.1.2.26, image 8.1.2.26'
                $env:ONLOADTOOLS_TEST_ONLOAD_VERSION = '9.0.1.44'
                $differs = Test-OnloadHost -Image $image | Where-Object Name -eq 'OnloadVersion'
                $differs.Status | Should -Be 'Fail'
                $differs.Remediation | Should -Match '9\.0\.1\.44'
                $missing = Test-OnloadHost -Image localhost/onloadtools-no-such-image:1 | Where-Object Name -eq 'OnloadVersion'
                $missing.Status | Should -Be 'Fail'
                $missing.Found | Should -Match 'image not known'
            }
            finally {
                Remove-Item Env:ONLOADTOOLS_TEST_ONLOAD_VERSION -ErrorAction Ignore
                & podman rmi -f $image *> $null
                Remove-Item -Recurse -Force $bin, $empty, "$empty.tar" -ErrorAction Ignore
            }
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
