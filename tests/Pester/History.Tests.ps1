# Pester 5: Export-LatencyRun / Import-LatencyRun and the nightly example script as an admin uses them.
# The store's file format (round trip, appends, torn lines, corrupt files) is tested in xunit: Latency/HistoryTests.cs.
BeforeDiscovery {
    $script:noNetperf = -not (Get-Command netperf -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module "$PSScriptRoot/../../out/OnloadTools/0.1.0/OnloadTools.psd1" -Force
    $nightly = "$PSScriptRoot/../../docs/examples/Invoke-NightlyLatencyCheck.ps1"

    function New-SyntheticRun {
        param([string] $Label = 'nightly', [string] $Test = 'TCP_RR', [double] $Mean = 20, [int] $Night = 1)
        $run = [OnloadTools.LatencyRun]::new()
        $run.Label = $Label
        $run.TestName = $Test
        $run.Status = 'Completed'
        $run.StartTime = [datetime]::new(2026, 11, $Night, 2, 0, 0, [DateTimeKind]::Utc)
        $run.EndTime = $run.StartTime.AddMinutes(1)
        $offsets = 0.01, -0.01, 0.015, -0.015, 0.005, -0.005
        $i = 0
        $run.Samples = [OnloadTools.LatencySample[]]@(foreach ($o in $offsets) {
                $i++
                $m = $Mean * (1 + $o)
                [OnloadTools.LatencySample]@{
                    TestName = $Test; Iteration = $i; Label = $Label; Warnings = @(if ($i -eq 3) { 'netperf: confidence not achieved' })
                    MeanLatency = $m; MinLatency = $m * 0.8; P50Latency = $m * 0.97; P99Latency = $m * 1.5
                    StdDevLatency = $m * 0.1; TransactionRate = 1e6 / $m
                }
            })
        $run
    }

    # The store's own serialization: equal text means every field survived.
    function ConvertTo-StoreJson($run) { [OnloadTools.Latency.LatencyRunStore]::Serialize($run, $true) }
}

Describe 'Export-LatencyRun and Import-LatencyRun' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    }

    It 'round-trips runs through a folder as typed objects, oldest first' {
        $runs = @((New-SyntheticRun -Label container -Night 2 -Mean 24), (New-SyntheticRun -Label bare-metal -Night 1), (New-SyntheticRun -Label bare-metal -Test UDP_RR -Night 1))
        $runs[1].Samples[1].P99Latency = $null
        $runs | Export-LatencyRun -Path $dir -ErrorVariable e
        $back = Import-LatencyRun -Path $dir -ErrorVariable +e
        $e | Should -BeNullOrEmpty
        $back.Count | Should -Be 3
        $back | ForEach-Object { $_ | Should -BeOfType OnloadTools.LatencyRun }
        $back.Label | Should -Be @('bare-metal', 'bare-metal', 'container')
        ConvertTo-StoreJson ($back | Where-Object RunId -eq $runs[1].RunId) | Should -BeExactly (ConvertTo-StoreJson $runs[1])
        $c = $back | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean
        @($c).Count | Should -Be 1
        $c.Verdict | Should -Be 'Slower'
    }

    It 'appends to a .jsonl file without rewriting what is there' {
        $file = Join-Path $dir 'history.jsonl'
        New-SyntheticRun -Night 1 | Export-LatencyRun -Path $file
        $before = [IO.File]::ReadAllBytes($file)
        New-SyntheticRun -Night 2 | Export-LatencyRun -Path $file
        $after = [IO.File]::ReadAllBytes($file)
        [Convert]::ToBase64String($after[0..($before.Length - 1)]) | Should -Be ([Convert]::ToBase64String($before))
        (Import-LatencyRun $file).Count | Should -Be 2
    }

    It 'exports and imports deserialized runs' {
        $run = New-SyntheticRun -Label remote
        $bag = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($run, 2))
        $passed = $bag | Export-LatencyRun -Path (Join-Path $dir 'h.jsonl') -PassThru
        $passed.GetType().FullName | Should -Be 'OnloadTools.LatencyRun'
        $back = Import-LatencyRun (Join-Path $dir 'h.jsonl')
        $back.RunId | Should -Be $run.RunId
        $back.Samples.P99Latency | Should -Be $run.Samples.P99Latency
        ConvertTo-StoreJson $back | Should -BeExactly (ConvertTo-StoreJson $run)
    }

    It 'skips a torn last line with a warning' {
        $file = Join-Path $dir 'history.jsonl'
        New-SyntheticRun -Night 1 | Export-LatencyRun -Path $file
        [IO.File]::AppendAllText($file, '{"schemaVersion":1,"kind":"OnloadTools.Lat')
        $back = Import-LatencyRun $file -WarningVariable w -WarningAction SilentlyContinue
        @($back).Count | Should -Be 1
        ($w -join "`n") | Should -Match 'line 2'
    }

    It 'reports a corrupt file as InvalidData naming it, and loads the others' {
        New-SyntheticRun -Night 1 | Export-LatencyRun -Path $dir
        $bad = Join-Path $dir '20261102T020000Z_a_TCP_RR_0badf00d.json'
        Set-Content -Path $bad -Value 'not json at all'
        $torn = Join-Path $dir 'torn.jsonl'
        New-SyntheticRun -Label b -Night 3 | Export-LatencyRun -Path $torn
        [IO.File]::AppendAllText($torn, '{"schemaVersion":1,"kind":"OnloadTools.Lat')
        $back = Import-LatencyRun $dir -ErrorVariable e -ErrorAction SilentlyContinue -WarningVariable w -WarningAction SilentlyContinue
        @($back).Count | Should -Be 2
        $e.Count | Should -Be 1
        $e[0].FullyQualifiedErrorId | Should -Be 'LatencyRunFileCorrupt,OnloadTools.Commands.ImportLatencyRunCommand'
        $e[0].CategoryInfo.Category | Should -Be 'InvalidData'
        @($w).Count | Should -Be 1
        $w[0].Message | Should -Match 'torn\.jsonl, line 2'
        $e[0].TargetObject | Should -Be $bad
        $e[0].Exception.Message | Should -Match ([regex]::Escape($bad))
    }

    It 'filters by label and keeps the last N of each test' {
        foreach ($n in 1..6) {
            New-SyntheticRun -Test TCP_RR -Night $n | Export-LatencyRun -Path $dir
            New-SyntheticRun -Test UDP_RR -Night $n | Export-LatencyRun -Path $dir
        }
        New-SyntheticRun -Label manual -Night 7 | Export-LatencyRun -Path $dir
        $last = Import-LatencyRun $dir -Label nightly -Last 2
        ($last | ForEach-Object { '{0} {1}' -f $_.TestName, $_.StartTime.Day }) -join ',' | Should -Be 'TCP_RR 5,UDP_RR 5,TCP_RR 6,UDP_RR 6'
        @(Import-LatencyRun (Join-Path $dir '*_UDP_RR_*.json')).Count | Should -Be 6
        @(Import-LatencyRun $dir -Label 'man*').Count | Should -Be 1
        @(Import-LatencyRun $dir -TestName tcp_rr -Last 1)[-1].Label | Should -Be 'manual'
    }

    It 'refuses a plain file or a .json path and reports missing paths' {
        Set-Content -Path (Join-Path $TestDrive 'notes.txt') -Value 'keep me'
        $err = { New-SyntheticRun | Export-LatencyRun -Path (Join-Path $TestDrive 'notes.txt') -ErrorAction Stop } |
            Should -Throw -ErrorId 'HistoryPathIsAFile,OnloadTools.Commands.ExportLatencyRunCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-Content -Raw (Join-Path $TestDrive 'notes.txt') | Should -Be "keep me$([Environment]::NewLine)"
        { New-SyntheticRun | Export-LatencyRun -Path (Join-Path $TestDrive 'one.json') -ErrorAction Stop } |
            Should -Throw -ErrorId 'HistoryPathNotSupported,OnloadTools.Commands.ExportLatencyRunCommand'
        $err = { Import-LatencyRun (Join-Path $TestDrive 'nope') -ErrorAction Stop } |
            Should -Throw -ErrorId 'LatencyRunPathNotFound,OnloadTools.Commands.ImportLatencyRunCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err = { 42 | Export-LatencyRun -Path $dir -ErrorAction Stop } | Should -Throw -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'writes nothing with -WhatIf' {
        New-SyntheticRun | Export-LatencyRun -Path $dir -WhatIf
        Test-Path $dir | Should -BeFalse
    }

    It 'reads a folder written by Measure-NetperfLatency -HistoryPath (real netperf)' -Skip:$noNetperf {
        $measured = Measure-NetperfLatency -TestName TCP_RR -Duration 1 -Iterations 3 -Label nightly -HistoryPath $dir
        $back = @(Import-LatencyRun $dir)
        $back.Count | Should -Be 1
        $back[0].RunId | Should -Be $measured.RunId
        $back[0].Samples.Count | Should -Be 3
        $back[0].Samples.MeanLatency | Should -Be $measured.Samples.MeanLatency
        $back[0].Status | Should -Be 'Completed'
        $back[0].Samples | ForEach-Object { $_.MeanLatency | Should -BeGreaterThan 0 }
        @(Get-ChildItem $dir).Count | Should -Be 1
    }
}

Describe 'Invoke-NightlyLatencyCheck.ps1' {
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    }

    It 'fails the job (exit 1) when tonight regressed against the median of the history' {
        $nights = foreach ($n in 1..5) { New-SyntheticRun -Night $n -Mean (20 + 0.05 * $n) }
        $nights += New-SyntheticRun -Night 6 -Mean 40   # one bad night: not the baseline
        $nights | Export-LatencyRun -Path $dir
        $global:LASTEXITCODE = -1
        $out = & $nightly -HistoryPath $dir -TonightRun (New-SyntheticRun -Night 7 -Mean 25) -BaselineCount 5 -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e
        $LASTEXITCODE | Should -Be 1
        $e | Should -BeNullOrEmpty
        @($out).Count | Should -Be 6
        ($out | Where-Object Metric -eq Mean).IsRegression | Should -BeTrue
        @($w | Where-Object { $_.Message -like 'REGRESSION TCP_RR Mean*' }).Count | Should -Be 1
        # The baseline is the median night of the last five (nights 2-6: 20.1, 20.15, 20.2, 20.25, 40 -> night 4).
        $out[0].ReferenceRunId | Should -Be @($nights[3].RunId)
        @(Get-ChildItem $dir).Count | Should -Be 7   # tonight was added, nothing else changed
    }

    It 'passes (exit 0) on an ordinary night' {
        foreach ($n in 1..3) { New-SyntheticRun -Night $n | Export-LatencyRun -Path $dir }
        $global:LASTEXITCODE = -1
        $out = & $nightly -HistoryPath $dir -TonightRun (New-SyntheticRun -Night 4 -Mean 20.05) -ErrorVariable e
        $LASTEXITCODE | Should -Be 0
        $e | Should -BeNullOrEmpty
        $out.IsRegression | Should -Not -Contain $true
        ($out | Where-Object Metric -eq Mean).Verdict | Should -Be 'Equivalent'
    }

    It 'uses a baseline chosen by a RunId prefix, appends to a .jsonl history, and refuses an ambiguous prefix' {
        $file = Join-Path $dir 'history.jsonl'
        $fast = New-SyntheticRun -Night 1
        $fast.RunId = 'nightly-1-' + [guid]::NewGuid().ToString('N')
        $slow = New-SyntheticRun -Night 2 -Mean 30
        $fast, $slow | Export-LatencyRun -Path $file
        $global:LASTEXITCODE = -1
        $out = & $nightly -HistoryPath $file -TonightRun (New-SyntheticRun -Night 3 -Mean 24) -Baseline $slow.RunId.Substring(0, 8) -ErrorVariable e
        $LASTEXITCODE | Should -Be 0   # faster than the chosen (slow) baseline
        $e | Should -BeNullOrEmpty
        ($out | Where-Object Metric -eq Mean).Verdict | Should -Be 'Faster'
        $out[0].ReferenceRunId | Should -Be @($slow.RunId)
        @(Get-Content $file).Count | Should -Be 3

        $other = New-SyntheticRun -Night 4
        $other.RunId = 'nightly-4-' + [guid]::NewGuid().ToString('N')
        $other | Export-LatencyRun -Path $file
        { & $nightly -HistoryPath $file -TonightRun (New-SyntheticRun -Night 5 -Mean 24) -Baseline nightly -ErrorAction Stop } |
            Should -Throw '*matches 2*'
    }

    It 'starts the history on the first night, then compares real netperf nights' -Skip:$noNetperf {
        $global:LASTEXITCODE = -1
        $out = & $nightly -HistoryPath $dir -TestName TCP_RR -Duration 1 -Iterations 3 -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e
        $LASTEXITCODE | Should -Be 0
        $e | Should -BeNullOrEmpty
        ($w -join "`n") | Should -Match 'no baseline'
        @($out | Where-Object { $_ -is [OnloadTools.LatencyComparison] }).Count | Should -Be 0
        @(Get-ChildItem $dir).Count | Should -Be 1
        $global:LASTEXITCODE = -1
        $out = & $nightly -HistoryPath $dir -TestName TCP_RR -Duration 1 -Iterations 3 -WarningAction SilentlyContinue -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $out.Count | Should -BeGreaterThan 0
        $out | ForEach-Object { $_.ReferenceCount | Should -Be 3; $_.DifferenceCount | Should -Be 3 }
        $LASTEXITCODE | Should -Be ([int](@($out | Where-Object IsRegression).Count -gt 0))
        @(Get-ChildItem $dir).Count | Should -Be 2
    }
}

Describe 'Import-LatencyRun completion' {
    It 'completes -Label and -TestName from the history at -Path' {
        $dir = Join-Path $TestDrive 'complete'
        New-SyntheticRun -Label bare-metal -Test TCP_RR | Export-LatencyRun -Path $dir
        New-SyntheticRun -Label container -Test UDP_RR | Export-LatencyRun -Path $dir
        New-SyntheticRun -Label 'nightly run' -Test TCP_RR -Night 3 | Export-LatencyRun -Path $dir
        $line = "Import-LatencyRun -Path '$dir' -Label "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('bare-metal', 'container', "'nightly run'")
        $line = "Import-LatencyRun '$dir' -Label co"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'container'
        $line = "Import-LatencyRun -Path '$dir' -TestName "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('TCP_RR', 'UDP_RR')
        $line = "Import-LatencyRun -Path '$dir' -TestName U"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be 'UDP_RR'
    }
}
