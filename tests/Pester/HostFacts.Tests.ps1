#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# The host facts every run carries (HostFacts), measured with the real netperf on loopback on this host, through the
# history file, Compare-LatencyRun (HostDifferences, -View Wide, the warning) and Export-LatencyReport. (The reader over
# fake trees, the .opf profiles and the difference text are tested in xunit: Latency/HostFactsTests.cs.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
    $script:kernel = (& uname -r).Trim()
    $script:run = Measure-NetperfLatency -TestName TCP_RR -Iterations 3 -Duration 1 -Label facts-a
}

Describe 'Host facts of a run' {
    It 'Measure-NetperfLatency on loopback carries this host''s facts' {
        $f = $run.HostFacts
        $f | Should -Not -BeNullOrEmpty
        $f.KernelRelease | Should -Be $kernel
        $f.KernelCommandLine | Should -Be (Get-Content -Raw /proc/cmdline).Trim()
        $model = Select-String -Path /proc/cpuinfo -Pattern '^model name\s*:\s*(.+)$' | Select-Object -First 1
        if ($model) { $f.CpuModel | Should -Be $model.Matches[0].Groups[1].Value.Trim() }
        $f.Clocksource | Should -Be (Get-Content -Raw /sys/devices/system/clocksource/clocksource0/current_clocksource).Trim()
        if (Test-Path /etc/tuned/active_profile) { $f.TunedProfile | Should -Be (Get-Content -Raw /etc/tuned/active_profile).Trim() }
        # The default route's interface here (no Solarflare NIC), with the MTU sysfs gives.
        $f.NicInterface | Should -Not -BeNullOrEmpty
        $f.NicMtu | Should -Be ([int](Get-Content -Raw "/sys/class/net/$($f.NicInterface)/mtu"))
        $f.OnloadProfile | Should -BeNullOrEmpty -Because 'Onload was not asked for'
    }

    It 'round-trips through Export-LatencyRun and Import-LatencyRun' {
        $history = Join-Path $TestDrive 'history'
        $run | Export-LatencyRun -Path $history
        $back = Import-LatencyRun -Path $history
        foreach ($p in $run.HostFacts.PSObject.Properties.Name) {
            $back.HostFacts.$p | Should -Be $run.HostFacts.$p -Because "HostFacts.$p is kept"
        }
    }

    Context 'a comparison of two runs with one fact changed' {
        BeforeAll {
            $history = Join-Path $TestDrive 'pair'
            $run | Export-LatencyRun -Path $history
            $script:b = Import-LatencyRun -Path $history
            $b.RunId = [guid]::NewGuid().ToString('N')
            $b.Label = 'facts-b'
            $b.HostFacts.KernelRelease = '9.9.9-facts-test'
            # The reference as it comes back from Invoke-Command (a Deserialized.OnloadTools.LatencyRun bag).
            $script:remoted = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($run, 2))
            $script:comparisons = Compare-LatencyRun -ReferenceRun $remoted -DifferenceRun $b -Metric Mean, P99 -WarningVariable script:warnings -WarningAction SilentlyContinue
        }

        It 'names the fact in HostDifferences and Notes, and only that one' {
            foreach ($c in $comparisons) {
                $c.HostDifferences | Should -BeExactly "kernel $kernel → 9.9.9-facts-test"
                $c.Notes | Should -Match ([regex]::Escape("The hosts differ: kernel $kernel → 9.9.9-facts-test."))
            }
            @($warnings | Where-Object { "$_" -match 'hosts differ' }).Count | Should -Be 1 -Because 'said once for the test, not per metric'
        }

        It 'shows it in -View Wide within 120 columns' {
            $text = $comparisons | Format-Table -View Wide | Out-String -Width 120
            $text | Should -Match ([regex]::Escape("Host differs: kernel $kernel → 9.9.9-facts-test"))
            $text -split "`n" | Where-Object { $_.TrimEnd().Length -gt 120 } | Should -BeNullOrEmpty
        }

        It 'shows it in the report next to the verdict' {
            $html = Join-Path $TestDrive 'facts.html'
            $remoted, $b | Export-LatencyReport -Path $html -ReferenceLabel facts-a -WarningAction SilentlyContinue
            $page = Get-Content -Raw $html
            $page | Should -Match ('<li class="headline [^"]*">[^<]*<br><span class="host-differences">Host differs: kernel ' + [regex]::Escape($kernel))
        }

        It 'says nothing when the facts are the same or a side has none (older files)' {
            $same = Compare-LatencyRun -ReferenceRun $run -DifferenceRun $run -Metric Mean -WarningAction SilentlyContinue
            $same.HostDifferences | Should -BeNullOrEmpty
            $b.HostFacts = $null
            (Compare-LatencyRun -ReferenceRun $run -DifferenceRun $b -Metric Mean -WarningAction SilentlyContinue).HostDifferences | Should -BeNullOrEmpty
        }
    }
}

Describe 'Every command that measures carries the facts' {
    BeforeAll {
        $script:OldPath = $env:PATH
        $script:OldHome = $env:HOME
    }
    AfterEach {
        $env:PATH = $OldPath
        $env:HOME = $OldHome
        Remove-Item Env:ONLOADTOOLS_DOUBLE_STATE, Env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION -ErrorAction Ignore
    }

    It 'Measure-SockperfLatency' {
        $r = Measure-SockperfLatency -Protocol Udp -Iterations 1 -Duration 1
        $r.HostFacts.KernelRelease | Should -Be $kernel
    }

    It 'Measure-NetperfLatency -Onload records the version and the EF_* settings of the profile onload reads (~/.openonload/profiles first)' {
        $env:HOME = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'home')).FullName
        $profiles = New-Item -ItemType Directory -Path (Join-Path $env:HOME '.openonload/profiles')
        Set-Content -Path (Join-Path $profiles 'latency.opf') -Value "# the user's own latency profile, read before the installed one`nonload_set EF_POLL_USEC 0`nonload_set EF_SPIN_USEC=1000`n"
        $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path $TestDrive 'onload-state')).FullName
        $env:ONLOADTOOLS_DOUBLE_ONLOAD_VERSION = '9.0.1.42'
        $env:PATH = "$(Join-Path $PSScriptRoot '../fixtures/bin'):$OldPath"
        $r = Measure-NetperfLatency -Onload -OnloadProfile latency -TestName TCP_RR -Iterations 1 -Duration 1 -WarningAction SilentlyContinue
        $r.HostFacts.OnloadVersion | Should -Be '9.0.1.42'
        $r.HostFacts.OnloadProfile | Should -Be 'latency'
        $r.HostFacts.OnloadProfileSettings | Should -BeExactly 'EF_POLL_USEC=0 EF_SPIN_USEC=1000'
    }

    It 'Invoke-LatencyComparison: both arms'' runs, and no difference is claimed on one host' {
        $out = Invoke-LatencyComparison -Arm @{ Label = 'fa' }, @{ Label = 'fb' } -TestName TCP_RR -Iterations 2 -Duration 1 -PassThru -WarningAction SilentlyContinue
        $runs = @($out | Where-Object { $_ -is [OnloadTools.LatencyRun] })
        $runs | Should -HaveCount 2
        $runs | ForEach-Object { $_.HostFacts.KernelRelease | Should -Be $kernel }
        $out | Where-Object { $_ -is [OnloadTools.LatencyComparison] } | ForEach-Object { $_.HostDifferences | Should -BeNullOrEmpty }
    }
}
