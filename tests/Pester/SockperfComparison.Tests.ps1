#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Invoke-LatencyComparison -Tool Sockperf with the real sockperf on loopback: two host arms against the comparison's own
# sockperf server, each iteration's tails from its full log, P999 compared by rank across iterations. The runner with a
# scripted sockperf (and the container arm's full log): tests/OnloadTools.Tests/Latency/SockperfComparisonTests.cs.

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force

    # sockperf processes descended from this pwsh (the process gate may start them under a launcher).
    function script:Get-OurSockperf {
        Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
            $stat = try { Get-Content -Raw -LiteralPath "$($_.FullName)/stat" -ErrorAction Stop } catch { $null }
            if ($stat -and $stat -match '^\d+ \(sockperf\) (\S) ' -and $Matches[1] -ne 'Z') {
                $p = [int]$_.Name
                for ($depth = 0; $depth -lt 4 -and $p -gt 1; $depth++) {
                    $s = try { Get-Content -Raw -LiteralPath "/proc/$p/stat" -ErrorAction Stop } catch { '' }
                    $p = if ($s -match '\) \S (\d+) ') { [int]$Matches[1] } else { 0 }
                    if ($p -eq $PID) { [int]$_.Name; break }
                }
            }
        }
    }
}

Describe 'Invoke-LatencyComparison -Tool Sockperf on loopback' {
    It 'compares the tails of two host arms from every round trip of every iteration' {
        $out = Invoke-LatencyComparison -Tool Sockperf -TestName UDP -Arm @{ Label = 'one' }, @{ Label = 'two' } -Iterations 3 -Duration 1 `
            -PassThru -Confirm:$false -ErrorVariable errs -WarningVariable warns
        $errs | Should -BeNullOrEmpty
        $runs = @($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OnloadTools.LatencyRun' })
        $comparisons = @($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OnloadTools.LatencyComparison' })
        $runs | Should -HaveCount 2
        $runs.Label | Should -Be @('one', 'two')
        $ports = foreach ($run in $runs) {
            $run.Tool | Should -Be 'sockperf'
            $run.TestName | Should -Be 'UDP_PINGPONG'
            $run.Status | Should -Be 'Completed'
            $run.Samples | Should -HaveCount 3
            foreach ($s in $run.Samples) {
                $s.CommandLine | Should -BeLike 'sockperf ping-pong -i 127.0.0.1 -p * -t 1 * --full-log *'
                [regex]::Match($s.CommandLine, ' -p (\d+) ').Groups[1].Value
                # the full distribution: the ladder, and the tails read from it (p99.9 at or above p99, at most the max)
                $s.DistributionLatencies.Count | Should -Be $s.DistributionPercentiles.Count
                $s.Observations | Should -BeGreaterThan 1000
                $s.P999Latency | Should -Not -BeNullOrEmpty
                $s.P999Latency | Should -BeGreaterOrEqual $s.P99Latency
                $s.P999Latency | Should -BeLessOrEqual $s.MaxLatency
                $s.P999Latency | Should -Be $s.DistributionLatencies[[array]::IndexOf($s.DistributionPercentiles, 99.9)]
                # p99.99 only where the count allows it (at least 10,000 round trips)
                if ($s.Observations -ge 10000) { $s.P9999Latency | Should -BeGreaterOrEqual $s.P999Latency }
                else { $s.P9999Latency | Should -BeNullOrEmpty }
                if ($s.Observations -lt 100000) { $s.P99999Latency | Should -BeNullOrEmpty }
            }
        }
        @($ports | Select-Object -Unique) | Should -HaveCount 1   # both arms against the one private sockperf server

        $comparisons.Metric | Should -Contain 'P999'
        $comparisons.Metric | Should -Contain 'P99'
        $p999 = $comparisons | Where-Object Metric -eq 'P999'
        $p999.Method | Should -BeLike '*Mann-Whitney*Hodges-Lehmann*'
        $p999.ReferenceValues | Should -Be @($runs[0].Samples.P999Latency)
        $p999.DifferenceValues | Should -Be @($runs[1].Samples.P999Latency)
        $p999.ConfidenceLevel | Should -Be $runs[0].ExperimentConfidenceLevel
        $p999.Runs | Should -HaveCount 2
        # p99.999 needs 100,000 round trips, which one second on this host does not give: said, but not at every
        # iteration (once per arm and lowest missing percentile)
        $tooFew = @($warns | Where-Object { $_.Message -like '*Too few round trips for*p99.999*' })
        $tooFew.Count | Should -BeGreaterThan 0
        $said = $tooFew | ForEach-Object { $_.Message -replace ' iteration \d+:', ':' -replace ' \(.*$', '' }
        @($said | Select-Object -Unique).Count | Should -Be $said.Count
        Get-OurSockperf | Should -BeNullOrEmpty   # the private server is gone
    }

    It 'refuses a test sockperf does not have, a protocol netperf does not have, and netperf''s CPU binding with sockperf' {
        { Invoke-LatencyComparison -Tool Sockperf -TestName TCP_CRR -Arm @{ Label = 'a' }, @{ Label = 'b' } -Iterations 2 -Duration 1 -Confirm:$false } |
            Should -Throw -ErrorId 'TestNameNotForTool,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        { Invoke-LatencyComparison -TestName UDP -Arm @{ Label = 'a' }, @{ Label = 'b' } -Iterations 2 -Duration 1 -Confirm:$false } |
            Should -Throw -ErrorId 'TestNameNotForTool,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        { Invoke-LatencyComparison -Tool Sockperf -LocalCpu 0 -Arm @{ Label = 'a' }, @{ Label = 'b' } -Iterations 2 -Duration 1 -Confirm:$false } |
            Should -Throw -ErrorId 'ParameterNotForTool,OnloadTools.Commands.InvokeLatencyComparisonCommand'
        Get-OurSockperf | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-LatencyComparison -Tool Sockperf with a container arm' -Tag Podman {
    BeforeAll {
        $script:Fixtures = (Resolve-Path "$PSScriptRoot/../fixtures").Path
        . "$PSScriptRoot/ContainerTestHelpers.ps1"
        $script:SavedConf = $env:CONTAINERS_CONF
        if (-not $env:CONTAINERS_CONF) { $env:CONTAINERS_CONF = '/etc/containers/onloadtools-ci.conf' }
        # The real-engine blocks' base image with this host's sockperf copied in (no registry, no package download).
        $script:Base = 'localhost/onloadtools-lifetime-base'
        $script:BuiltBase = Initialize-TestBaseImage $Base
        $script:Image = "localhost/onloadtools-sockexp-$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        $script:Context = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "onloadtools-sockexp-$([guid]::NewGuid().ToString('N'))")).FullName
        Copy-Item (Get-Command sockperf -CommandType Application | Select-Object -First 1).Source "$Context/sockperf"
        Set-Content -Path "$Context/Containerfile" -Value "FROM $Base`nCOPY sockperf /usr/bin/sockperf`n"
        podman build -q -t $Image $Context | Out-Null
        $LASTEXITCODE | Should -Be 0
    }
    AfterAll {
        podman rmi --force $Image 2>$null | Out-Null
        Remove-Item -Recurse -Force $Context -ErrorAction Ignore
        if ($BuiltBase -and $env:ONLOADTOOLS_TEST_KEEP_BASE -ne '1') { podman rmi --force $Base | Out-Null }
        $env:CONTAINERS_CONF = $script:SavedConf
    }

    It 'reads the container arm''s full logs through the engine, against the host arm''s sockperf server' {
        $out = Invoke-LatencyComparison -Tool Sockperf -TestName UDP -Arm @{ Label = 'host' }, @{ Label = 'ctr'; Image = $Image } -Iterations 3 -Duration 1 `
            -PassThru -Confirm:$false -ErrorVariable errs -WarningAction SilentlyContinue
        $errs | Should -BeNullOrEmpty
        $runs = @($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'OnloadTools.LatencyRun' })
        $runs | Should -HaveCount 2
        $runs[1].ClientLocation | Should -BeLike 'container:onloadtools-comparison-*'
        $container = $runs[1].ClientLocation.Substring('container:'.Length)
        $hostPort = [regex]::Match($runs[0].Samples[0].CommandLine, ' -p (\d+) ').Groups[1].Value
        foreach ($s in $runs[1].Samples) {
            $s.CommandLine | Should -BeLike "podman exec $container sockperf ping-pong -i 127.0.0.1 -p $hostPort * --full-log /tmp/onloadtools-sockperf-*.csv"
            $s.Observations | Should -BeGreaterThan 1000
            $s.P999Latency | Should -BeGreaterOrEqual $s.P99Latency
            $s.P999Latency | Should -Be $s.DistributionLatencies[[array]::IndexOf($s.DistributionPercentiles, 99.9)]
        }
        ($out | Where-Object Metric -eq 'P999').DifferenceValues | Should -Be @($runs[1].Samples.P999Latency)
        podman container exists $container
        $LASTEXITCODE | Should -Not -Be 0 -Because 'the container the comparison started is removed'
    }
}
