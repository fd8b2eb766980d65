#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Test-OnloadHost's host checklist as an admin runs it: on the cpu-partitioning fake host (no isolcpus=), on this real
# host (a VM: no cpuidle, kvm-clock, no /proc/modules), and with -MeasureJitter running the real oslat. (Each check's
# rules against broken fake trees are tested in xunit: tests/OnloadTools.Tests/Readiness.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:Fixtures = (Resolve-Path "$PSScriptRoot/../fixtures").Path
    $script:OldRoot = $env:ONLOADTOOLS_HOST_ROOT
    $script:HostChecks = 'CpuIsolation', 'IsolatedCpusNicLocal', 'CStates', 'NicIrqAffinity', 'ClockSource', 'NmiWatchdog', 'TimerMigration', 'OnloadInstalled', 'OnloadKernelModules'
}

AfterAll { $env:ONLOADTOOLS_HOST_ROOT = $script:OldRoot }

Describe 'Test-OnloadHost on a host isolated by tuned cpu-partitioning (fake tree)' {
    BeforeAll { $env:ONLOADTOOLS_HOST_ROOT = Join-Path $Fixtures 'hosts/cpu-partitioning-sfc' }
    AfterAll { $env:ONLOADTOOLS_HOST_ROOT = $script:OldRoot }

    It 'does not fail isolation without isolcpus=' {
        $checks = Test-OnloadHost -Profile cpu-partitioning
        foreach ($name in 'KernelArgument:isolcpus', 'CpuIsolation', 'IsolatedCpusNicLocal', 'NicIrqAffinity', 'IrqbalanceBannedCpus', 'CStates') {
            $c = $checks | Where-Object Name -eq $name
            @($c).Count | Should -Be 1 -Because "$name is checked once"
            $c.Status | Should -Be 'Pass' -Because "$name found: $($c.Found)"
        }
        ($checks | Where-Object Name -eq 'CpuIsolation').Found | Should -Match 'isolated_cores 10-15,26-31'
    }

    It 'groups the checks by category, each category once' {
        $categories = @(Test-OnloadHost -Profile cpu-partitioning | ForEach-Object Category)
        $runs = @(for ($i = 0; $i -lt $categories.Count; $i++) { if ($i -eq 0 -or $categories[$i] -ne $categories[$i - 1]) { $categories[$i] } })
        $runs | Should -Be @($runs | Select-Object -Unique)
    }
}

Describe 'Test-OnloadHost on this host' {
    BeforeAll { $env:ONLOADTOOLS_HOST_ROOT = $null }

    It 'runs every host check, each with found and expected, and a remedy or a reason where it does not pass' {
        $checks = Test-OnloadHost
        foreach ($name in $HostChecks) {
            $c = @($checks | Where-Object Name -eq $name)
            $c.Count | Should -Be 1 -Because "$name is checked"
            $c[0].Status | Should -BeIn 'Pass', 'Warn', 'Fail'
            $c[0].Found | Should -Not -BeNullOrEmpty
            $c[0].Expected | Should -Not -BeNullOrEmpty
            if ($c[0].Status -eq 'Fail') { $c[0].Remediation | Should -Not -BeNullOrEmpty }
            if ($c[0].Status -eq 'Warn') { "$($c[0].Reason)$($c[0].Remediation)" | Should -Not -BeNullOrEmpty }
        }
        $timer = (Get-Content -Raw /proc/sys/kernel/timer_migration).Trim()
        ($checks | Where-Object Name -eq 'TimerMigration').Status | Should -Be $(if ($timer -eq '0') { 'Pass' } else { 'Fail' })
        $clock = (Get-Content -Raw /sys/devices/system/clocksource/clocksource0/current_clocksource).Trim()
        ($checks | Where-Object Name -eq 'ClockSource').Found | Should -BeLike "$clock*"
        ($checks | Where-Object Name -eq 'OnloadInstalled').Status | Should -Be $(if (Get-Command onload -ErrorAction Ignore) { 'Pass' } else { 'Fail' })
    }

    It 'warns with the reason, not fails, where /proc/modules is absent' {
        if (Test-Path /proc/modules) { Set-ItResult -Skipped -Because 'this kernel lists its modules'; return }
        $c = Test-OnloadHost | Where-Object Name -eq 'OnloadKernelModules'
        $c.Status | Should -Be 'Warn'
        $c.Reason | Should -Match 'container|module support'
    }

    It 'prints a table that fits 80 columns' {
        $text = Test-OnloadHost | Out-String -Width 80
        @($text -split "`n" | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
        $text | Should -Match 'Category: Timers'
    }

    It '-MeasureJitter adds oslat''s verdict as a check, both ways' {
        $loose = Test-OnloadHost -MeasureJitter 1 -JitterThreshold 1000000 | Where-Object Name -eq 'HostJitter'
        @($loose).Count | Should -Be 1
        $loose.Category | Should -Be 'Jitter'
        $loose.Found | Should -Match '^oslat 1 s on CPU .+: max \d+ µs'
        # Passed against the threshold; where no CPU is isolated that is only a warning, with the reason.
        $loose.Status | Should -BeIn 'Pass', 'Warn'
        if ($loose.Status -eq 'Warn') { $loose.Reason | Should -Match 'No CPU is isolated' }
        $strict = Test-OnloadHost -MeasureJitter 1 -JitterThreshold 1 | Where-Object Name -eq 'HostJitter'
        $strict.Status | Should -Be 'Fail'
        $strict.Remediation | Should -Match 'Measure-HostJitter -Duration 43200'
        (Test-OnloadHost | Where-Object Name -eq 'HostJitter') | Should -BeNullOrEmpty
    }
}
