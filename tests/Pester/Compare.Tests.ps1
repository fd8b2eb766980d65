# Pester 5: Compare-LatencyRun, mirroring tests/OnloadTools.Tests/Latency/Compare*.cs.
BeforeAll {
    Import-Module "$PSScriptRoot/../../out/OnloadTools/0.1.0/OnloadTools.psd1" -Force

    function New-SyntheticRun {
        param([string] $Label, [string] $Test = 'TCP_RR', [double[]] $Means, [datetime] $Start = [datetime]::new(2026, 11, 20, 2, 0, 0, [DateTimeKind]::Utc))
        $run = [OnloadTools.LatencyRun]::new()
        $run.Label = $Label
        $run.TestName = $Test
        $run.Status = 'Completed'
        $run.StartTime = $Start
        $run.EndTime = $Start.AddMinutes(1)
        $run.IterationsRequested = $Means.Count
        $i = 0
        $run.Samples = [OnloadTools.LatencySample[]]@(foreach ($m in $Means) {
                $i++
                [OnloadTools.LatencySample]@{
                    TestName = $Test; Iteration = $i; Label = $Label
                    MeanLatency = $m; MinLatency = $m * 0.8; P50Latency = $m * 0.97; P99Latency = $m * 1.5
                    StdDevLatency = $m * 0.1; TransactionRate = 1e6 / $m
                }
            })
        $run
    }

    $base = 20.1, 19.9, 20.2, 19.8, 20.0, 20.05
    $runs = @(
        New-SyntheticRun -Label bare-metal -Test TCP_RR -Means $base
        New-SyntheticRun -Label bare-metal -Test UDP_RR -Means ($base | ForEach-Object { $_ - 2 })
        New-SyntheticRun -Label container -Test TCP_RR -Means ($base | ForEach-Object { $_ * 1.2 })
        New-SyntheticRun -Label container -Test UDP_RR -Means (18.0, 18.05, 17.95, 18.1, 17.9, 18.0)
    )
}

Describe 'Compare-LatencyRun' {
    It 'groups piped runs by label and pairs them by test' {
        $c = $runs | Compare-LatencyRun -ReferenceLabel bare-metal
        $c.Count | Should -Be 12
        $c[0] | Should -BeOfType OnloadTools.LatencyComparison
        ($c | Where-Object { $_.TestName -eq 'TCP_RR' -and $_.Metric -eq 'Mean' }).Verdict | Should -Be 'Slower'
        ($c | Where-Object { $_.TestName -eq 'TCP_RR' -and $_.Metric -eq 'P99' }).IsRegression | Should -BeTrue
        ($c | Where-Object { $_.TestName -eq 'UDP_RR' -and $_.Metric -eq 'Mean' }).Verdict | Should -Be 'Equivalent'
        ($c | Where-Object { $_.TestName -eq 'TCP_RR' -and $_.Metric -eq 'TransactionRate' }).Verdict | Should -Be 'Slower'
    }

    It 'calls identical samples Equivalent on every metric' {
        $a = New-SyntheticRun -Label a -Means $base
        $b = New-SyntheticRun -Label b -Means $base
        Compare-LatencyRun $a $b | ForEach-Object { $_.Verdict | Should -Be 'Equivalent' }
    }

    It 'calls a 20 % shift with low noise Slower with p < 0.05' {
        $c = Compare-LatencyRun $runs[0] $runs[2] -Metric Mean
        $c.Verdict | Should -Be 'Slower'
        $c.PValue | Should -BeLessThan 0.05
        $c.DeltaPercent | Should -BeGreaterThan 15
    }

    It 'calls two samples of three noisy values Inconclusive, not Equivalent' {
        $a = New-SyntheticRun -Label a -Means 18, 25, 21
        $b = New-SyntheticRun -Label b -Means 23, 17, 22
        Compare-LatencyRun $a $b -WarningAction SilentlyContinue | ForEach-Object { $_.Verdict | Should -Be 'Inconclusive' }
    }

    It 'compares deserialized runs exactly like live ones' {
        $live = Compare-LatencyRun -ReferenceRun $runs[0] -DifferenceRun $runs[2]
        $bags = $runs | ForEach-Object {
            [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($_, 2))
        }
        $bags[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyRun'
        $deser = Compare-LatencyRun -ReferenceRun $bags[0] -DifferenceRun $bags[2]
        $deser.Count | Should -Be $live.Count
        for ($i = 0; $i -lt $live.Count; $i++) {
            $deser[$i].PValue | Should -Be $live[$i].PValue
            $deser[$i].Verdict | Should -Be $live[$i].Verdict
        }
    }

    It 'compares runs that went through Export-Clixml and Import-Clixml' {
        $runs | Export-Clixml -Path "$TestDrive/runs.xml"
        $back = Import-Clixml -Path "$TestDrive/runs.xml"
        $c = $back | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean -WarningVariable w
        $w | Should -BeNullOrEmpty
        ($c | Where-Object TestName -eq TCP_RR).Verdict | Should -Be 'Slower'
    }

    It 'takes difference runs from the pipeline with -ReferenceRun' {
        $c = $runs | Where-Object Label -eq container | Compare-LatencyRun -ReferenceRun ($runs | Where-Object Label -eq bare-metal) -Metric Mean
        $c.TestName | Should -Be @('TCP_RR', 'UDP_RR')
    }

    It 'accepts hashtables with TestName and Samples' {
        $a = @{ Label = 'ref'; TestName = 'TCP_RR'; Samples = @(10.0, 10.1, 9.9, 10.05, 9.95 | ForEach-Object { @{ MeanLatency = $_ } }) }
        $b = @{ Label = 'new'; TestName = 'TCP_RR'; Samples = @(12.0, 12.1, 11.9, 12.05, 11.95 | ForEach-Object { @{ MeanLatency = $_ } }) }
        $c = Compare-LatencyRun $a $b
        $c.Metric | Should -Be 'Mean'
        $c.Verdict | Should -Be 'Slower'
        [math]::Round($c.DeltaPercent, 6) | Should -Be 20
    }

    It 'rejects what is not a run with InvalidArgument' {
        { Compare-LatencyRun -ReferenceRun (Get-Date) -DifferenceRun $runs -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotALatencyRun,OnloadTools.Commands.CompareLatencyRunCommand'
        $c = @($runs) + 'not a run' | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $c.Count | Should -Be 2
    }

    It 'reports ObjectNotFound when no test is on both sides or the reference label is missing' {
        { Compare-LatencyRun -ReferenceRun $runs[0] -DifferenceRun $runs[3] -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoPairedRuns,OnloadTools.Commands.CompareLatencyRunCommand'
        { $runs | Compare-LatencyRun -ReferenceLabel nightly -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReferenceLabelNotFound,OnloadTools.Commands.CompareLatencyRunCommand'
    }

    It 'warns about too few iterations and answers Inconclusive' {
        $a = New-SyntheticRun -Label a -Means 10, 10.1
        $b = New-SyntheticRun -Label b -Means 20, 20.1
        $c = Compare-LatencyRun $a $b -Metric Mean -WarningVariable w -WarningAction SilentlyContinue
        $c.Verdict | Should -Be 'Inconclusive'
        ($w -join "`n") | Should -Match 'Too few iterations'
    }

    It 'has a table view for live and deserialized comparisons' {
        $c = Compare-LatencyRun $runs[0] $runs[2] -Metric Mean
        ($c | Format-Table | Out-String) | Should -Match 'Slower'
        $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c))
        ($d | Format-Table | Out-String) | Should -Match 'REGRESSION'
    }
}
