# Pester 5: Compare-LatencyRun as an admin drives it (the statistics themselves are tested in xunit: ComparerTests, StatisticsTests).
BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force

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
        $c.ReferenceLabel | Select-Object -Unique | Should -Be 'bare-metal'
        $c.DifferenceLabel | Select-Object -Unique | Should -Be 'container'
        $c[0].PSObject.TypeNames | Should -Contain 'OnloadTools.LatencyComparison'
    }

    It 'does not compare one-way latencies with round trips (LatencyKindMismatch)' {
        # A sockperf run in its default one-way mode must not be judged against netperf's round trips.
        $one = New-SyntheticRun -Label container -Test TCP_RR -Means ($base | ForEach-Object { $_ * 1.2 })
        $one.LatencyKind = 'OneWay'
        $c = @($runs[0], $runs[1], $one, $runs[3]) | Compare-LatencyRun -ReferenceLabel bare-metal -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -BeLike 'LatencyKindMismatch,*'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $e[0].TargetObject | Should -Be 'TCP_RR'
        $c | Should -Not -BeNullOrEmpty
        $c.TestName | Select-Object -Unique | Should -Be 'UDP_RR'
    }

    It 'compares several difference labels each with the reference, matching the label case-insensitively' {
        $onload = New-SyntheticRun -Label onload -Test TCP_RR -Means ($base | ForEach-Object { $_ * 0.75 })
        $c = @($runs) + $onload | Compare-LatencyRun -ReferenceLabel BARE-METAL -Metric Mean
        $c.Count | Should -Be 3
        ($c | Where-Object DifferenceLabel -eq onload).Verdict | Should -Be 'Faster'
    }

    It 'compares deserialized runs exactly like live ones' {
        $live = Compare-LatencyRun -ReferenceRun $runs[0] -DifferenceRun $runs[2]
        $bags = $runs | ForEach-Object {
            [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($_, 2))
        }
        $bags[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyRun'
        $bags[0].Samples[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencySample'
        $deser = Compare-LatencyRun -ReferenceRun $bags[0] -DifferenceRun $bags[2] -WarningVariable w
        $w | Should -BeNullOrEmpty
        $deser.Count | Should -Be $live.Count
        for ($i = 0; $i -lt $live.Count; $i++) {
            $deser[$i].Metric | Should -Be $live[$i].Metric
            $deser[$i].ReferenceValues | Should -Be $live[$i].ReferenceValues
            $deser[$i].PValue | Should -Be $live[$i].PValue
            $deser[$i].ConfidenceIntervalLow | Should -Be $live[$i].ConfidenceIntervalLow
            $deser[$i].Verdict | Should -Be $live[$i].Verdict
        }
    }

    It 'still gives Mean and P99, with a warning, from samples serialized as text at depth 1' {
        # Serialized in a runspace without OnloadTools' type data (no SerializationDepth 2): the samples become strings.
        $bags = foreach ($run in $runs) {
            $ps = [powershell]::Create([System.Management.Automation.RunspaceMode]::NewRunspace)
            try { $xml = $ps.AddScript('param($r) [System.Management.Automation.PSSerializer]::Serialize($r, 1)').AddArgument($run).Invoke()[0] }
            finally { $ps.Runspace.Dispose(); $ps.Dispose() }
            [System.Management.Automation.PSSerializer]::Deserialize($xml)
        }
        $bags[0].Samples | ForEach-Object { $_ | Should -BeOfType string }
        $c = $bags | Compare-LatencyRun -ReferenceLabel bare-metal -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e
        $e | Should -BeNullOrEmpty
        ($w -join "`n") | Should -Match 'as text'
        ($c | Where-Object TestName -eq TCP_RR).Metric | Should -Be @('Mean', 'P99')
        ($c | Where-Object { $_.TestName -eq 'TCP_RR' -and $_.Metric -eq 'Mean' }).Verdict | Should -Be 'Slower'
        $c[0].ReferenceCount | Should -Be 6
    }

    It 'keeps the values of comparisons that are serialized' {
        $c = $runs | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean
        $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c[0]))
        $d.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyComparison'
        $d.ReferenceValues.Count | Should -Be 6
        $d.Verdict | Should -Be 'Slower'
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
        $c.DifferenceCount | Should -Be @(6, 6)
        $c = @($runs[2], 42, $runs[3]) | Compare-LatencyRun -ReferenceRun $runs[0], $runs[1] -Metric Mean -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $c.Count | Should -Be 2
    }

    It 'accepts hashtables with TestName and Samples' {
        $a = @{ Label = 'ref'; TestName = 'TCP_RR'; Samples = @(10.0, 10.1, 9.9, 10.05, 9.95 | ForEach-Object { @{ MeanLatency = $_ } }) }
        $b = @{ Label = 'new'; TestName = 'TCP_RR'; Samples = @(12.0, 12.1, 11.9, 12.05, 11.95 | ForEach-Object { @{ MeanLatency = $_ } }) }
        $c = Compare-LatencyRun $a $b
        $c.Metric | Should -Be 'Mean'
        $c.Verdict | Should -Be 'Slower'
        [math]::Round($c.DeltaPercent, 6) | Should -Be 20
    }

    It 'accepts objects shaped like ConvertFrom-Json output, with every metric they carry' {
        $a = @{ Label = 'ref'; TestName = 'TCP_RR'; Samples = @(10.0, 10.1, 9.9, 10.05, 9.95 | ForEach-Object { @{ MeanLatency = $_; P99Latency = $_ * 1.5 } }) }
        $b = @{ Label = 'new'; TestName = 'TCP_RR'; Samples = @(12.0, 12.1, 11.9, 12.05, 11.95 | ForEach-Object { @{ MeanLatency = $_; P99Latency = $_ * 1.5 } }) } |
            ConvertTo-Json -Depth 4 | ConvertFrom-Json
        $b | Should -BeOfType pscustomobject
        $c = Compare-LatencyRun -ReferenceRun $a -DifferenceRun $b
        $c.Metric | Should -Be @('Mean', 'P99')
        $c.Verdict | Should -Be @('Slower', 'Slower')
        [math]::Round($c[0].DeltaPercent, 6) | Should -Be 20
    }

    It 'rejects what is not a run with InvalidArgument' {
        { Compare-LatencyRun -ReferenceRun (Get-Date) -DifferenceRun $runs -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotALatencyRun,OnloadTools.Commands.CompareLatencyRunCommand'
        $err = { Compare-LatencyRun -ReferenceRun (Get-Date) -DifferenceRun $runs -ErrorAction Stop } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match 'System\.DateTime'
        $c = @($runs) + 'not a run' | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -Be 1
        $e[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e[0].TargetObject | Should -Be 'not a run'
        $c.Count | Should -Be 2
    }

    It 'reports ObjectNotFound when no test is on both sides or the reference label is missing' {
        $err = { Compare-LatencyRun -ReferenceRun $runs[0] -DifferenceRun $runs[3] -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoPairedRuns,OnloadTools.Commands.CompareLatencyRunCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Message | Should -Match 'TCP_RR'
        $err.Exception.Message | Should -Match 'UDP_RR'
        $err = { $runs | Compare-LatencyRun -ReferenceLabel nightly -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReferenceLabelNotFound,OnloadTools.Commands.CompareLatencyRunCommand' -PassThru
        $err.Exception.Message | Should -Match "'container'"
    }

    It 'warns about too few iterations and answers Inconclusive' {
        $a = New-SyntheticRun -Label a -Means 10, 10.1
        $b = New-SyntheticRun -Label b -Means 20, 20.1
        $c = Compare-LatencyRun $a $b -Metric Mean, P99 -WarningVariable w -WarningAction SilentlyContinue
        $c.Verdict | Should -Be @('Inconclusive', 'Inconclusive')
        ($w -join "`n") | Should -Match 'Too few iterations'
    }

    It 'passes -EquivalenceMargin and -RegressionThreshold to the decision' {
        # 2 % slower with 0.1 % noise: within the default margin, outside a 1 % one.
        $a = New-SyntheticRun -Label a -Means 20.00, 20.02, 19.98, 20.01, 19.99, 20.00, 20.02, 19.98, 20.01, 19.99
        $b = New-SyntheticRun -Label b -Means 20.40, 20.42, 20.38, 20.41, 20.39, 20.40, 20.42, 20.38, 20.41, 20.39
        (Compare-LatencyRun $a $b -Metric Mean).Verdict | Should -Be 'Equivalent'
        (Compare-LatencyRun $a $b -Metric Mean -EquivalenceMargin 1).Verdict | Should -Be 'Slower'
        (Compare-LatencyRun $a $b -Metric Mean -EquivalenceMargin 1).IsRegression | Should -BeFalse
        (Compare-LatencyRun $a $b -Metric Mean -EquivalenceMargin 1 -RegressionThreshold 1).IsRegression | Should -BeTrue
    }

    It 'runs every script block of the comparison view on live and deserialized comparisons' {
        [xml] $xml = Get-Content -Raw (Join-Path (Get-Module OnloadTools).ModuleBase 'OnloadTools.Latency.Format.ps1xml')
        # Every view of the type: the default table and -View Wide.
        $views = @($xml.SelectNodes('//View') | Where-Object { @($_.ViewSelectedBy.TypeName) -contains 'OnloadTools.LatencyComparison' })
        $views.Count | Should -BeGreaterOrEqual 2
        $views | ForEach-Object { @($_.ViewSelectedBy.TypeName) | Should -Contain 'Deserialized.OnloadTools.LatencyComparison' }
        $blocks = @($views | ForEach-Object { $_.SelectNodes('.//ScriptBlock').InnerText })
        $blocks.Count | Should -BeGreaterOrEqual 8
        $a = New-SyntheticRun -Label a -Means 20.1, 19.9, 20.2, 19.8, 20.0
        $b = New-SyntheticRun -Label b -Means 30.1, 29.9, 30.2, 29.8, 30.0
        $c = @(Compare-LatencyRun $a $b -Metric Mean, TransactionRate)
        $c += [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c[0]))
        $texts = foreach ($item in $c) { foreach ($text in $blocks) { $item | ForEach-Object ([scriptblock]::Create($text)) } }
        $texts | Should -Contain 'b vs a, 95 % CI'   # the group header names both labels and the level
        $texts | Should -Contain '+50.0'
        $texts | Should -Contain 'REGRESSION'
        @($texts | Where-Object { "$_" -match '^\+[\d.]+\.\.\+[\d.]+$' }).Count | Should -BeGreaterThan 0   # the CI
    }

    It 'has a table view for live and deserialized comparisons' {
        $c = Compare-LatencyRun $runs[0] $runs[2] -Metric Mean
        # The verdict column says REGRESSION where IsRegression (here +50 %), else the verdict (Views.Tests.ps1: 80 columns).
        ($c | Format-Table | Out-String -Width 200) | Should -Match 'REGRESSION'
        $d = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($c))
        ($d | Format-Table | Out-String -Width 200) | Should -Match 'REGRESSION'
    }
}

Describe 'Compare-LatencyRun: what it says about its input and options' {
    It 'names the run and iteration of every missing value it leaves out, and refuses a run with a NaN or infinite value' {
        $a = New-SyntheticRun -Label bare-metal -Means $base
        $b = New-SyntheticRun -Label container -Means ($base | ForEach-Object { $_ * 1.01 })
        $a.Samples[4].P99Latency = $null
        $c = Compare-LatencyRun $a $b -Metric Mean, P99 -WarningVariable w -WarningAction SilentlyContinue
        ($c | Where-Object Metric -eq P99).ReferenceCount | Should -Be 5
        ($w -join "`n") | Should -Match ([regex]::Escape("TCP_RR P99: the reference run $($a.RunId) (bare-metal) has no usable value in iteration 5 (missing); 5 of its 6 iterations are compared."))
        # NaN and infinities are impossible values (about_OnloadTools, Run history): such a run is refused, not compared in part.
        $a.Samples[1].P99Latency = [double]::NaN
        $b.Samples[2].MeanLatency = [double]::PositiveInfinity
        { Compare-LatencyRun $a $b -Metric Mean, P99 } | Should -Throw -ErrorId 'LatencyRunImpossibleValue,*'
        try { $null = $a, $b | Compare-LatencyRun -ReferenceLabel bare-metal -ErrorVariable e -ErrorAction SilentlyContinue } catch { }   # then: no runs left
        ($e | Where-Object FullyQualifiedErrorId -Like 'LatencyRunImpossibleValue,*').Exception.Message | Should -Be @("Run $($a.RunId) (bare-metal TCP_RR) is refused: Samples[1].P99Latency is NaN: numbers in a run are finite (no NaN, no infinity) and at most 1e15.",
            "Run $($b.RunId) (container TCP_RR) is refused: Samples[2].MeanLatency is Infinity: numbers in a run are finite (no NaN, no infinity) and at most 1e15.")
    }

    It 'warns when the equivalence margin is wider than the regression threshold, and still reports the regression' {
        $a = New-SyntheticRun -Label a -Means 20.0, 20.1, 19.9, 20.05, 19.95, 20.0, 20.02, 19.98
        $b = New-SyntheticRun -Label b -Means 21.5, 21.6, 21.4, 21.55, 21.45, 21.5, 21.52, 21.48
        $c = Compare-LatencyRun $a $b -Metric Mean -EquivalenceMargin 10 -WarningVariable w -WarningAction SilentlyContinue
        ($w -join "`n") | Should -Match 'EquivalenceMargin \(10 %\) is wider than RegressionThreshold \(5 %\)'
        $c.Verdict | Should -Be 'Slower'
        $c.IsRegression | Should -BeTrue
        Compare-LatencyRun $a $b -Metric Mean -WarningVariable w2 -WarningAction SilentlyContinue | Out-Null
        $w2 | Should -BeNullOrEmpty
    }

    It 'warns when runs of one test use different request/response sizes' {
        $a = New-SyntheticRun -Label a -Means $base
        $b = New-SyntheticRun -Label b -Means $base
        $a.RequestSize = 1; $a.ResponseSize = 1
        $b.RequestSize = 1024; $b.ResponseSize = 1024
        Compare-LatencyRun $a $b -Metric Mean -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        ($w -join "`n") | Should -Match ([regex]::Escape('TCP_RR: the runs use different request/response sizes (reference 1/1 bytes, difference 1024/1024 bytes)'))
    }

    # The Hodges-Lehmann estimate and the equivalence interval at a chosen level are statistics, checked in xunit
    # (ComparerTests); here, that -EquivalenceAlpha reaches them and is validated.
    It 'passes -EquivalenceAlpha to the decision and refuses a level above 0.5' {
        $a = New-SyntheticRun -Label a -Means 20.0, 21.6, 18.5, 20.9, 19.2, 21.1, 18.9, 20.4
        $b = New-SyntheticRun -Label b -Means 20.3, 18.6, 21.7, 19.4, 21.2, 19.0, 20.8, 20.1
        $c95 = Compare-LatencyRun $a $b -Metric Mean, P50
        $c90 = Compare-LatencyRun $a $b -Metric Mean, P50 -EquivalenceAlpha 0.05
        $c95.EquivalenceAlpha | Should -Be 0.025, 0.025
        $c90.EquivalenceAlpha | Should -Be 0.05, 0.05
        ($c90 | Where-Object Metric -eq P50).EquivalenceIntervalLow | Should -BeGreaterThan ($c95 | Where-Object Metric -eq P50).EquivalenceIntervalLow
        { Compare-LatencyRun $a $b -EquivalenceAlpha 0.6 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,OnloadTools.Commands.CompareLatencyRunCommand'
    }
}

Describe 'Compare-LatencyRun as the first comparison in a fresh pwsh' {
    BeforeAll {
        # A fresh process: nothing compared before in it (the crash of issue 10 depended on the process's history).
        . "$PSScriptRoot/TestHelpers.ps1"
        $script:modulePath = Get-OnloadToolsManifest
        $script:pwshExe = (Get-FreshPwsh).FilePath
        $script:pwshPrefix = (Get-FreshPwsh).ArgumentList
        $script:child = Join-Path $TestDrive 'fresh.ps1'
        Set-Content -Path $child -Value @'
param([string] $Module, [string] $Case, [string] $Clixml)
Import-Module $Module
function New-ConstantRun([string] $Label, [double[]] $Values) {
    $run = [OnloadTools.LatencyRun]::new()
    $run.Label = $Label; $run.TestName = 'TCP_RR'; $run.Status = 'Completed'
    $i = 0
    $run.Samples = [OnloadTools.LatencySample[]]@(foreach ($v in $Values) {
        $i++
        [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = $i; MeanLatency = $v; P50Latency = $v; P99Latency = $v; MinLatency = $v; StdDevLatency = $v; TransactionRate = 1e6 / $v }
    })
    $run
}
try {
    switch ($Case) {
        'constant' { $c = Compare-LatencyRun (New-ConstantRun a 19, 19, 19, 19, 19) (New-ConstantRun b 19, 19, 19, 19, 19) -ErrorAction Stop -WarningAction SilentlyContinue }
        'spread'   { $c = Compare-LatencyRun (New-ConstantRun a 10, 11, 12, 13, 14) (New-ConstantRun b 10, 11, 12, 13, 14) -ErrorAction Stop -WarningAction SilentlyContinue }
        'clixml'   { $r = Import-Clixml $Clixml; $c = Compare-LatencyRun $r (Import-Clixml $Clixml) -ErrorAction Stop -WarningAction SilentlyContinue }
    }
    foreach ($x in $c) { '{0} {1} {2}' -f $x.Metric, $x.Verdict, $x.PValue }
} catch {
    "ERROR $($_.FullyQualifiedErrorId) $($_.Exception.GetType().FullName)"
}
'@
        function Invoke-Fresh([string] $Case, [string] $Clixml = '') {
            & $pwshExe @pwshPrefix -NoProfile -NonInteractive -File $child -Module $modulePath -Case $Case -Clixml $Clixml 2>&1 | ForEach-Object { "$_" }
        }
        # Six metrics compared without an error, each with p = 1 and no difference found.
        function Assert-NoDifference([string[]] $Lines) {
            $Lines | Where-Object { $_ -like 'ERROR*' } | Should -BeNullOrEmpty
            $Lines.Count | Should -Be 6
            foreach ($line in $Lines) {
                $metric, $verdict, $p = $line -split ' '
                [double]$p | Should -Be 1 -Because $line
                $verdict | Should -BeIn @('Equivalent', 'Inconclusive') -Because $line
            }
        }
    }

    It 'compares five identical whole-µs values with five identical ones (<_>)' -ForEach @('constant', 'spread') {
        $lines = @(Invoke-Fresh $_)
        Assert-NoDifference $lines
        if ($_ -eq 'constant') { $lines | ForEach-Object { ($_ -split ' ')[1] | Should -Be 'Equivalent' } }
    }

    It 'compares a run with its own copy read back by Import-Clixml' {
        $run = New-SyntheticRun -Label nightly -Means (20, 20, 21, 20, 19, 20, 20, 21)
        foreach ($s in $run.Samples) { $s.P50Latency = [math]::Round($s.P50Latency); $s.P99Latency = [math]::Round($s.P99Latency); $s.MinLatency = [math]::Round($s.MinLatency) }
        $run | Export-Clixml -Path "$TestDrive/night.xml"
        $lines = @(Invoke-Fresh clixml "$TestDrive/night.xml")
        Assert-NoDifference $lines
    }
}

Describe 'Compare-LatencyRun: a one-bucket step of netperf''s whole-µs P50 is no regression (issue 16)' {
    BeforeAll {
        # netperf runs as they come back from history or a hashtable: P50 in whole µs, the command line naming netperf.
        function script:New-NetperfNight([string] $Label, [double] $P50, [double[]] $Means, [int] $Night = 1) {
            $start = [datetime]::new(2026, 11, $Night, 2, 0, 0, [DateTimeKind]::Utc)
            $i = 0
            $samples = foreach ($m in $Means) {
                $i++
                $s = @{ TestName = 'TCP_RR'; Iteration = $i; Label = $Label; MeanLatency = $m; MinLatency = 16; P50Latency = $P50; P99Latency = 30
                        StdDevLatency = 3.5; TransactionRate = [math]::Round(1e6 / $m, 3); StartTime = $start.AddSeconds(10 * $i); EndTime = $start.AddSeconds(10 * $i + 10) }
                $s.CommandLine = 'netperf -H 127.0.0.1 -p 12865 -t TCP_RR -l 10 -- -k MIN_LATENCY,MEAN_LATENCY,P50_LATENCY,P99_LATENCY'
                $s
            }
            @{ RunId = [guid]::NewGuid().ToString('N'); Label = $Label; TestName = 'TCP_RR'; StartTime = $start; EndTime = $start.AddMinutes(1)
               Status = 'Completed'; IterationsRequested = $Means.Count; Samples = @($samples) }
        }
        $script:refMeans = 20.00, 20.10, 19.95, 20.05, 20.02, 19.98
        $script:diffMeans = $refMeans | ForEach-Object { [math]::Round($_ * 1.02, 2) }   # the mean +2 %
    }

    It 'is neither Slower nor a regression, and says it is below the resolution (<_> runs)' -ForEach @('hashtable', 'live', 'deserialized') {
        $ref = New-NetperfNight last-night 19 $refMeans
        $diff = New-NetperfNight tonight 20 $diffMeans
        if ($_ -ne 'hashtable') {
            $ref, $diff = @($ref, $diff) | Export-LatencyRun -Path (Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).jsonl") -PassThru
            $ref | Should -BeOfType OnloadTools.LatencyRun
        }
        if ($_ -eq 'deserialized') {
            $ref, $diff = foreach ($r in $ref, $diff) { [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($r, 3)) }
            $ref.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyRun'
        }
        # The intervals, p-value and notes of this case are checked in xunit (ResolutionTests); here, that the command
        # line naming netperf survives each form a run reaches the cmdlet in, so the verdict is the same.
        $c = Compare-LatencyRun $ref $diff -ErrorVariable e
        $e | Should -BeNullOrEmpty
        @($c).Count | Should -Be 6
        $c | Where-Object IsRegression | Should -BeNullOrEmpty
        $p50 = $c | Where-Object Metric -eq P50
        $p50.Verdict | Should -Be 'Inconclusive'
        $p50.BelowResolution | Should -BeTrue
        $p50.ResolutionBasis | Should -Match 'netperf'
    }

    It 'knows real netperf runs by their command line and widens their whole-µs percentiles' -Skip:(-not (Get-Command netperf -ErrorAction SilentlyContinue)) {
        $a = Measure-NetperfLatency -TestName TCP_RR -Iterations 4 -Duration 1 -Label a
        $b = Measure-NetperfLatency -TestName TCP_RR -Iterations 4 -Duration 1 -Label b
        $a.Samples.P50Latency | ForEach-Object { $_ | Should -Be ([math]::Floor($_)) -Because 'netperf prints whole µs' }
        $c = Compare-LatencyRun $a $b -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $p50 = $c | Where-Object Metric -eq P50
        $p50.ResolutionBasis | Should -Match 'netperf: \d+(\.\d+)? stands for .*histogram bucket'
        $p50.ReferenceResolution | Should -BeGreaterOrEqual 2   # 1 µs bucket and the whole-µs clock, or wider above 100 µs
        $p50.ConfidenceIntervalLow | Should -BeLessThan $p50.StatisticalIntervalLow
        $p50.ConfidenceIntervalHigh | Should -BeGreaterThan $p50.StatisticalIntervalHigh
        $p50.Method | Should -Match 'widened'
        $mean = $c | Where-Object Metric -eq Mean
        $mean.ReferenceResolution | Should -BeLessThan 0.0101   # ± 0.005 µs: the mean of whole-µs times, printed to 2 decimals
    }

    It 'lets the nightly example pass (exit 0) when tonight''s P50 is one bucket above the baseline' {
        $nightly = "$PSScriptRoot/../../docs/examples/Invoke-NightlyLatencyCheck.ps1"
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        foreach ($n in 1..3) { New-NetperfNight nightly 19 $refMeans -Night $n | Export-LatencyRun -Path $dir }
        $global:LASTEXITCODE = -1
        $out = & $nightly -HistoryPath $dir -TestName TCP_RR -TonightRun (New-NetperfNight nightly 20 $diffMeans -Night 4) `
            -ErrorVariable e -WarningVariable w -WarningAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 0
        $e | Should -BeNullOrEmpty
        $comparisons = @($out | Where-Object { $_ -is [OnloadTools.LatencyComparison] })
        $comparisons.Count | Should -Be 6
        $comparisons | Where-Object IsRegression | Should -BeNullOrEmpty
        ($comparisons | Where-Object Metric -eq P50).BelowResolution | Should -BeTrue
        ($w | Where-Object { "$_" -like 'REGRESSION*' }) | Should -BeNullOrEmpty
    }
}
