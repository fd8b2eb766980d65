# Pester 5: Export-LatencyRun / Import-LatencyRun and the nightly example script as an admin uses them.
# The store's file format (round trip, appends, torn lines, corrupt files) is tested in xunit: Latency/HistoryTests.cs.
BeforeDiscovery {
    $script:noNetperf = -not (Get-Command netperf -ErrorAction SilentlyContinue)
}

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force
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

    # The store's own serialization (a .jsonl line written by Export-LatencyRun): equal text means every field survived.
    function ConvertTo-StoreJson($run) {
        $file = Join-Path $TestDrive "$([guid]::NewGuid().ToString('N')).jsonl"
        $run | Export-LatencyRun -Path $file
        Get-Content -Raw -LiteralPath $file
    }
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

    It 'never writes outside the history folder, whatever TestName and RunId say' {
        $outside = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'outside')
        $run = New-SyntheticRun
        $run.TestName = 'a/../../outside/'
        $run | Export-LatencyRun -Path $dir -ErrorAction Stop
        $other = New-SyntheticRun -Night 2
        $other.RunId = '../../outside/x'
        $other | Export-LatencyRun -Path $dir -ErrorAction Stop
        Get-ChildItem $outside.FullName -Force | Should -BeNullOrEmpty
        $files = @(Get-ChildItem $dir -File)
        $files | Should -HaveCount 2
        $files.Name | ForEach-Object { $_ | Should -Match '^[0-9TZ]+_[A-Za-z0-9_-]+\.json$' }
        (Import-LatencyRun $dir).TestName | Should -Contain 'a/../../outside/'
    }

    It 'reads only regular files: a FIFO, a symbolic link and a 2 GB file are one error each, the good run still loads' {
        New-SyntheticRun | Export-LatencyRun -Path $dir
        $fifo = Join-Path $dir 'pipe.jsonl'
        & mkfifo $fifo
        $LASTEXITCODE | Should -Be 0
        $secret = Join-Path $TestDrive 'secret-file'
        Set-Content -Path $secret -Value 'Qsecret'
        $link = Join-Path $dir '20261102T020000Z_nightly_TCP_RR_11111111.json'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $secret
        $big = Join-Path $dir 'big.json'
        $fs = [IO.FileStream]::new($big, 'CreateNew'); $fs.SetLength(2GB); $fs.Dispose()

        # In a PowerShell of its own, so that a read blocking on the FIFO fails this test instead of hanging it.
        $ps = [PowerShell]::Create()
        $null = $ps.AddScript("Import-Module '$script:Manifest'; Import-LatencyRun '$dir'")
        $async = $ps.BeginInvoke()
        $done = $async.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(30))
        if (-not $done) {
            # Release a reader blocked on the FIFO (a writer opening it, then closing it; given up after 2 s) before failing.
            & timeout 2 sh -c "exec 3>'$fifo'"
            $ps.BeginStop($null, $null) | Out-Null
            $done | Should -BeTrue -Because 'Import-LatencyRun must not block on a FIFO'
        }
        $runs = @($ps.EndInvoke($async))
        $errs = @($ps.Streams.Error)
        $ps.Dispose()

        $runs | Should -HaveCount 1
        $errs | Should -HaveCount 3
        $byTarget = @{}; foreach ($e in $errs) { $byTarget[[string]$e.TargetObject] = $e }
        $byTarget[$fifo].FullyQualifiedErrorId | Should -BeLike 'LatencyRunFileNotRegular,*'
        $byTarget[$fifo].CategoryInfo.Category | Should -Be 'InvalidType'
        $byTarget[$link].FullyQualifiedErrorId | Should -BeLike 'LatencyRunFileNotRegular,*'
        $byTarget[$link].Exception.Message | Should -BeLike '*symbolic link*'
        $byTarget[$big].FullyQualifiedErrorId | Should -BeLike 'LatencyRunFileTooLarge,*'
        $byTarget[$big].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        $errs | ForEach-Object { $_.Exception.Message | Should -Not -Match "'Q'" }
    }

    It 'reports a bad line in the middle of a .jsonl as corruption and only a torn last line as interrupted' {
        $file = Join-Path $dir 'history.jsonl'
        New-SyntheticRun -Night 1 | Export-LatencyRun -Path $file
        $line = (Get-Content $file -TotalCount 1)
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $second = $line.Replace('"nightly"', '"second"') -replace '"runId":"[^"]*"', '"runId":"second"'   # another run, not a copy of the first
        [IO.File]::WriteAllText($file, $line + "`n" + $line.Substring(0, 40) + "`n" + $second + "`n")
        $runs = @(Import-LatencyRun $file -ErrorVariable errs -ErrorAction SilentlyContinue -WarningVariable warns -WarningAction SilentlyContinue)
        $warns | Should -BeNullOrEmpty
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'LatencyRunFileCorrupt,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errs[0].TargetObject | Should -Be $file
        $errs[0].Exception.Message | Should -BeLike '*line 2*'
    }

    It 'reads a .jsonl another writer is appending to up to its complete lines, warning, never calling it corrupt' {
        $file = Join-Path $dir 'history.jsonl'
        New-SyntheticRun -Night 1 | Export-LatencyRun -Path $file
        New-SyntheticRun -Night 2 | Export-LatencyRun -Path $file
        $writer = [IO.FileStream]::new($file, 'Open', 'ReadWrite', 'None')
        try {
            $null = $writer.Seek(0, 'End')
            $half = [Text.Encoding]::UTF8.GetBytes('{"schemaVersion":1,"kind":"OnloadTools.LatencyRun","run":{"label":"nigh')
            $writer.Write($half, 0, $half.Length); $writer.Flush()
            $runs = @(Import-LatencyRun $file -ErrorVariable errs -WarningVariable warns -WarningAction SilentlyContinue)
        }
        finally { $writer.Dispose() }
        $runs | Should -HaveCount 2
        $errs | Should -BeNullOrEmpty
        $warns | Should -HaveCount 1
        "$warns" | Should -BeLike "*line 3*another process*"
    }

    It 'leaves out runs still InProgress with a warning, unless -IncludeIncomplete' {
        New-SyntheticRun -Night 1 | Export-LatencyRun -Path $dir
        $killed = New-SyntheticRun -Night 2
        $killed.Status = 'InProgress'
        $killed | Export-LatencyRun -Path $dir
        $runs = @(Import-LatencyRun $dir -WarningVariable warns -WarningAction SilentlyContinue)
        $runs | Should -HaveCount 1
        $runs[0].Status | Should -Be 'Completed'
        $warns | Should -HaveCount 1
        "$warns" | Should -BeLike "*$($killed.RunId)*InProgress*-IncludeIncomplete*"
        $all = @(Import-LatencyRun $dir -IncludeIncomplete -WarningVariable warns2)
        $all | Should -HaveCount 2
        $warns2 | Should -BeNullOrEmpty
    }

    It 'finalises the history of a run stopped by a failed iteration under -ErrorAction Stop (flaky netperf double)' {
        $env:ONLOADTOOLS_DOUBLE_STATE = (New-Item -ItemType Directory -Path (Join-Path $TestDrive ([guid]::NewGuid()))).FullName
        $oldPath = $env:PATH
        $env:PATH = "$PSScriptRoot/../fixtures/bin-netperf-flaky:$oldPath"
        try {
            $file = Join-Path $dir 'history.jsonl'
            { Measure-NetperfLatency -TestName TCP_RR -Iterations 3 -Duration 1 -HistoryPath $file -ErrorAction Stop } |
                Should -Throw -ErrorId 'NetperfFailed,OnloadTools.Commands.MeasureNetperfLatencyCommand'
        }
        finally { $env:PATH = $oldPath; Remove-Item Env:ONLOADTOOLS_DOUBLE_STATE }
        $lines = @(Get-Content $file | ConvertFrom-Json)
        $lines[-1].run.status | Should -Be 'Stopped'
        $lines[-1].run.samples | Should -HaveCount 1
        $back = @(Import-LatencyRun $file -WarningVariable warns)
        $back | Should -HaveCount 1
        $back[0].Status | Should -Be 'Stopped'
        $warns | Should -BeNullOrEmpty
    }
}

Describe 'Export-LatencyRun and Import-LatencyRun with history received from outside' {
    BeforeAll {
        # A good run's file with one member of its first sample (or of the run) replaced, as a hand edit would.
        function Set-RunMember([string] $Json, [string] $Member, [string] $Value) {
            $at = $Json.IndexOf("""$Member"": ")
            $at | Should -BeGreaterOrEqual 0
            $start = $at + $Member.Length + 4
            $end = if ($Json[$start] -eq '[') { $Json.IndexOf(']', $start) + 1 } else { $Json.IndexOfAny([char[]]",`n", $start) }
            $Json.Substring(0, $at) + """$Member"": $Value" + $Json.Substring($end)
        }
        function Get-RunJson($run) {
            $tmp = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            $run | Export-LatencyRun -Path $tmp
            Get-Content -Raw (Get-ChildItem $tmp -Filter *.json).FullName
        }
    }

    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
    }

    It 'imports every good run of a folder with any mix of broken files, with one clear error per broken file' {
        New-SyntheticRun -Night 1 | Export-LatencyRun -Path $dir
        New-SyntheticRun -Night 2 | Export-LatencyRun -Path (Join-Path $dir 'good.jsonl')
        $template = Get-RunJson (New-SyntheticRun -Night 3)
        $samples = $template.Substring($template.IndexOf('"samples": ['))
        $samples = $samples.Substring(0, $samples.IndexOf("`n    ],") + 6)
        $broken = [ordered]@{
            'null-samples.json'   = @($template.Replace($samples, '"samples": null'), 'Samples is null')
            'null-sample.json'    = @($template.Replace($samples, '"samples": [ null ]'), 'Samples\[0\] is null')
            'overflow.json'       = @((Set-RunMember $template 'meanLatency' '1e309'), 'Samples\[0\]\.MeanLatency is Infinity')
            'nan.json'            = @((Set-RunMember $template 'p99Latency' '"NaN"'), 'Samples\[0\]\.P99Latency is NaN')
            'infinity.json'       = @((Set-RunMember $template 'minLatency' '"Infinity"'), 'Samples\[0\]\.MinLatency is Infinity')
            'negative.json'       = @((Set-RunMember $template 'meanLatency' '-5'), 'Samples\[0\]\.MeanLatency is -5')
            'requested-minus.json' = @((Set-RunMember $template 'iterationsRequested' '-1'), 'IterationsRequested is -1')
            # 10,000,000 iterations requested, the 6 of the template present, and yet Completed
            'ten-million.json'    = @((Set-RunMember $template 'iterationsRequested' '10000000'), "Status is 'Completed'.*6 of 10000000")
            'not-json.json'       = @('{ "schemaVersion": 1, "run": { "samples": [ 1, ', 'malformed')
        }
        foreach ($name in $broken.Keys) {
            $text = $broken[$name][0] -replace '"runId": "[^"]*"', ('"runId": "' + [guid]::NewGuid().ToString('N') + '"')
            [IO.File]::WriteAllText((Join-Path $dir $name), $text)
        }
        $runs = @(Import-LatencyRun $dir -ErrorVariable errs -ErrorAction SilentlyContinue -WarningVariable warns)
        $runs | Should -HaveCount 2
        $runs.StartTime.Day | Should -Be @(1, 2)
        $warns | Should -BeNullOrEmpty
        $errs | Should -HaveCount $broken.Count
        foreach ($name in $broken.Keys) {
            $file = Join-Path $dir $name
            $e = @($errs | Where-Object TargetObject -EQ $file)
            $e | Should -HaveCount 1 -Because $name
            $e[0].Exception.Message | Should -Match ([regex]::Escape($file)) -Because $name
            $e[0].Exception.Message | Should -Match $broken[$name][1] -Because $name
            $e[0].CategoryInfo.Category | Should -Be 'InvalidData' -Because $name
            $e[0].FullyQualifiedErrorId | Should -BeLike $(if ($name -eq 'not-json.json') { 'LatencyRunFileCorrupt,*' } else { 'LatencyRunImpossibleValue,*' }) -Because $name
        }
    }

    It 'refuses a run with an impossible value from a pipeline, live, deserialized, from JSON or a hashtable, in every cmdlet that takes runs' {
        $good = New-SyntheticRun -Label bare-metal -Night 1
        $other = New-SyntheticRun -Label container -Night 1 -Mean 24
        $infinite = New-SyntheticRun -Label container -Night 2; $infinite.Samples[0].MeanLatency = [double]::PositiveInfinity
        $nullSample = New-SyntheticRun -Label container -Night 3; $nullSample.Samples = [OnloadTools.LatencySample[]]@($null, $nullSample.Samples[1])
        $negative = New-SyntheticRun -Label container -Night 4; $negative.IterationsRequested = -1
        $deserialized = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($infinite, 3))
        $fromJson = (ConvertTo-StoreJson $good | ConvertFrom-Json).run
        $fromJson.samples[0].p99Latency = 'NaN'
        $fromJson.runId = 'from-json'
        $hashtable = @{ RunId = 'hashtable'; Label = 'container'; TestName = 'TCP_RR'; Status = 'Completed'; Samples = @(@{ TestName = 'TCP_RR'; Iteration = 1; MeanLatency = -3 }) }
        $bad = @($infinite, $nullSample, $negative, $deserialized, $fromJson, $hashtable)

        $commands = [ordered]@{
            'Export-LatencyRun'      = { param($in) $in | Export-LatencyRun -Path (Join-Path $dir 'out') -PassThru -ErrorAction Continue }
            'Export-LatencyReport'   = { param($in) $in | Export-LatencyReport -Path (Join-Path $dir 'report.html') -PassThru -ErrorAction Continue }
            'Compare-LatencyRun'     = { param($in) $in | Compare-LatencyRun -ReferenceLabel bare-metal -Metric Mean -ErrorAction Continue }
            'Select-LatencyBaseline' = { param($in) $in | Select-LatencyBaseline -ErrorAction Continue }
        }
        $WarningPreference = 'SilentlyContinue'
        foreach ($name in $commands.Keys) {
            $all = @(& $commands[$name] (@($good, $other) + $bad) 2>&1)
            $errs = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            $out = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
            $out | Should -Not -BeNullOrEmpty -Because "$name goes on with the good runs"
            $errs | Should -HaveCount $bad.Count -Because $name
            $errs.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'LatencyRunImpossibleValue,*' -Because $name }
            $errs.CategoryInfo.Category | ForEach-Object { $_ | Should -Be 'InvalidData' -Because $name }
            ($errs.Exception.Message -join "`n") | Should -Match 'Samples\[0\]\.MeanLatency is Infinity' -Because $name
            ($errs.Exception.Message -join "`n") | Should -Match 'Samples\[0\] is null' -Because $name
            ($errs.Exception.Message -join "`n") | Should -Match 'IterationsRequested is -1' -Because $name
            ($errs.Exception.Message -join "`n") | Should -Match 'Samples\[0\]\.P99Latency is NaN' -Because $name
            ($errs.Exception.Message -join "`n") | Should -Match 'Samples\[0\]\.MeanLatency is -3' -Because $name
        }
        @(Get-ChildItem (Join-Path $dir 'out')) | Should -HaveCount 2
        Test-Path (Join-Path $dir 'report.html') | Should -BeTrue
        # An impossible run passed as an argument is a bad argument: terminating, still no raw .NET exception.
        { Compare-LatencyRun -ReferenceRun $good -DifferenceRun $nullSample -ErrorAction Stop } | Should -Throw -ErrorId 'LatencyRunImpossibleValue,*'
    }

    It 'surfaces no raw .NET exception from any cmdlet that takes runs, for runs whose every field is odd but possible' {
        $ref = New-SyntheticRun -Label reference -Night 1
        $template = New-SyntheticRun -Label odd -Night 2
        $template.ExperimentId = 'e1'; $template.Arm = 'B'; $template.ExperimentOrder = 'ABBA'; $template.Accelerated = 'True'; $template.Onload = $true
        $template.Samples[0].DistributionPercentiles = 0, 50, 100; $template.Samples[0].DistributionLatencies = 19, 20, 40
        $template.Samples | ForEach-Object { $_.Sequence = $_.Iteration; $_.Observations = 1000; $_.RoundTripLatency = 20 }
        $line = ConvertTo-StoreJson $template
        # Each variant sets every leaf of one kind at once (RunId, TestName and Status stay, so the run still loads).
        $variants = [ordered]@{
            'empty text'     = { param($v) if ($v -is [string]) { '' } else { $v } }
            'unknown text'   = { param($v) if ($v -is [string]) { 'ZZZ' } else { $v } }
            'latest time'    = { param($v) if ($v -is [datetime]) { [datetime]::new(9999, 12, 31, 23, 59, 59, [DateTimeKind]::Utc) } else { $v } }
            'earliest time'  = { param($v) if ($v -is [datetime]) { [datetime]::new(1, 1, 1, 0, 0, 0, [DateTimeKind]::Utc) } else { $v } }
            'zero numbers'   = { param($v) if ($v -is [double] -or $v -is [long] -or $v -is [int]) { 0 } else { $v } }
            'largest number' = { param($v) if ($v -is [double]) { 1e15 } else { $v } }
            'no arrays'      = $null   # every array of values (warnings, distributions) empty
        }
        function Set-Leaves($node, [scriptblock] $change) {
            foreach ($key in @($node.Keys)) {
                if ($key -in 'runId', 'testName', 'status', 'schemaVersion', 'kind') { continue }
                $value = $node[$key]
                if ($value -is [System.Collections.IDictionary]) { Set-Leaves $value $change; continue }
                if ($value -is [System.Collections.IList] -and $value.Count -and $value[0] -is [System.Collections.IDictionary]) { foreach ($item in $value) { Set-Leaves $item $change }; continue }
                if ($value -is [System.Collections.IList]) { if (-not $change) { $node[$key] = [object[]]@() }; continue }
                if ($change) { $node[$key] = & $change $value }
            }
        }
        $raw = [System.Collections.Generic.List[string]]::new()
        function Test-Raw([string] $what, $records) {
            foreach ($r in @($records)) {
                if ($r.FullyQualifiedErrorId -like 'System.*' -or $r.FullyQualifiedErrorId -like '*Exception,*' -or $r.Exception.Message -like '*defect of OnloadTools*') {
                    $raw.Add("$what : $($r.FullyQualifiedErrorId): $($r.Exception.Message)")
                }
            }
        }
        $loaded = 0
        foreach ($name in $variants.Keys) {
            $doc = $line | ConvertFrom-Json -AsHashtable
            Set-Leaves $doc $variants[$name]
            $file = Join-Path $dir "$($name -replace ' ', '-').jsonl"
            $doc | ConvertTo-Json -Depth 20 -Compress | Set-Content -LiteralPath $file
            $runs = @(Import-LatencyRun $file -IncludeIncomplete -ErrorVariable e -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
            Test-Raw "$name Import-LatencyRun" $e
            $loaded += $runs.Count
            $in = @($ref) + $runs
            foreach ($call in @(
                    { $in | Compare-LatencyRun -ReferenceLabel reference -ErrorAction SilentlyContinue -WarningAction SilentlyContinue }
                    { $in | Export-LatencyReport -Path (Join-Path $dir "$($name -replace ' ', '-').html") -ErrorAction SilentlyContinue -WarningAction SilentlyContinue }
                    { $in | Select-LatencyBaseline -ErrorAction SilentlyContinue -WarningAction SilentlyContinue }
                    { $in | Export-LatencyRun -Path (Join-Path $dir 'again.jsonl') -ErrorAction SilentlyContinue }
                    { $in | Format-Table | Out-String; $in | Format-List * | Out-String; $in.Samples | Format-Table | Out-String })) {
                $Error.Clear()
                try { $null = & $call } catch { Test-Raw "$name $call" $_ }
                Test-Raw "$name $call" @($Error)   # the non-terminating errors the call wrote
            }
        }
        $loaded | Should -Be $variants.Count -Because 'every variant is a possible run'
        $raw | Should -BeNullOrEmpty
    }

    It 'gives every run a file of its own: 17 runs whose RunIds share their first 8 characters are 17 files' {
        $runs = foreach ($n in 1..17) { $r = New-SyntheticRun -Night 1; $r.RunId = 'deadbeef{0:D4}' -f $n; $r }
        $runs | Export-LatencyRun -Path $dir -ErrorVariable e
        $e | Should -BeNullOrEmpty
        @(Get-ChildItem $dir) | Should -HaveCount 17
        (Import-LatencyRun $dir).RunId | Sort-Object | Should -Be ($runs.RunId | Sort-Object)
    }

    It 'warns when one RunId is in two places with different content, and not for copies of one run' {
        $run = New-SyntheticRun -Night 1
        $run.RunId = 'samerun'
        $run | Export-LatencyRun -Path $dir
        $run | Export-LatencyRun -Path (Join-Path $dir 'copy.jsonl')   # the same run in a folder and a .jsonl
        $early = New-SyntheticRun -Night 1; $early.RunId = 'samerun'; $early.Status = 'InProgress'
        $early.Samples = $run.Samples[0..2]                                 # a per-iteration save of it, in another history
        $early | Export-LatencyRun -Path (Join-Path $dir 'early.jsonl')
        $back = @(Import-LatencyRun $dir -WarningVariable warns)
        $back | Should -HaveCount 1
        $warns | Should -BeNullOrEmpty

        $impostor = New-SyntheticRun -Label other -Night 1 -Mean 99
        $impostor.RunId = 'samerun'
        $impostor | Export-LatencyRun -Path (Join-Path $dir 'impostor.jsonl')
        $back = @(Import-LatencyRun $dir -WarningVariable warns -WarningAction SilentlyContinue)
        $back | Should -HaveCount 1
        $back[0].Label | Should -Be 'nightly'
        $warns | Should -HaveCount 1
        "$warns" | Should -BeLike "Run samerun is at *samerun.json and at *impostor.jsonl, line 1 with different content: kept the copy at *samerun.json (nightly TCP_RR*left out the other (other TCP_RR*"
    }

    It 'never appends to a .jsonl history that is a symbolic link (real link), and leaves its target alone' {
        $victim = Join-Path $TestDrive 'victim-file'
        Set-Content -Path $victim -Value 'precious'
        $before = [IO.File]::ReadAllBytes($victim)
        $link = Join-Path $dir 'history.jsonl'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $victim
        { New-SyntheticRun | Export-LatencyRun -Path $link -ErrorAction Stop } | Should -Throw -ErrorId 'HistoryPathNotRegularFile,*'
        $err = $null
        try { New-SyntheticRun | Export-LatencyRun -Path $link } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike '*symbolic link*'
        [IO.File]::ReadAllBytes($victim) | Should -Be $before
        # A dangling link: its target is not created either.
        $dangling = Join-Path $dir 'dangling.jsonl'
        $nowhere = Join-Path $TestDrive 'created-through-a-link'
        $null = New-Item -ItemType SymbolicLink -Path $dangling -Target $nowhere
        { New-SyntheticRun | Export-LatencyRun -Path $dangling } | Should -Throw -ErrorId 'HistoryPathNotRegularFile,*'
        Test-Path $nowhere | Should -BeFalse
    }

    It 'rolls back an append cut short by a full disk (real 64 KiB tmpfs): the next import finds exactly the lines there were' {
        $mount = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $mount
        & mount -t tmpfs -o size=64k tmpfs $mount
        $LASTEXITCODE | Should -Be 0 -Because 'this test mounts a tmpfs and needs root'
        try {
            $file = Join-Path $mount 'history.jsonl'
            $first = New-SyntheticRun -Night 1
            $first.Samples = $first.Samples[0..1]
            $first | Export-LatencyRun -Path $file
            $before = [IO.File]::ReadAllBytes($file)
            $before.Length | Should -BeLessThan 3000   # its page has room: the next append is written in part, then fails
            $fs = [IO.FileStream]::new((Join-Path $mount 'filler'), 'CreateNew', 'Write', 'None', 1)
            try { $page = [byte[]]::new(1024); while ($true) { $fs.Write($page, 0, $page.Length); $fs.Flush() } } catch { } finally { $fs.Dispose() }

            $second = New-SyntheticRun -Night 2
            $second.Samples = $second.Samples[0..2]   # about 3.3 KB: more than the page has left, less than a 4 KiB write buffer
            $second | Export-LatencyRun -Path $file -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'LatencyRunWriteFailed,*'
            $errs[0].CategoryInfo.Category | Should -Be 'WriteError'
            $errs[0].Exception.Message | Should -BeLike "Could not append to '$file': *No space left on device*. The file keeps exactly the lines it had."
            [IO.File]::ReadAllBytes($file) | Should -Be $before

            Remove-Item (Join-Path $mount 'filler')
            $second | Export-LatencyRun -Path $file
            $runs = @(Import-LatencyRun $file -WarningVariable warns -ErrorVariable errs2)
            $warns | Should -BeNullOrEmpty
            $errs2 | Should -BeNullOrEmpty
            $runs.RunId | Should -Be @($first.RunId, $second.RunId)
        }
        finally { & umount -l $mount }
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
        # 1 for a regression; else 3 when the Mean's interval is too wide to detect a 5 % regression (UNDECIDED), or 0.
        $mean = $out | Where-Object Metric -eq 'Mean'
        $undecided = $null -eq $mean.ConfidenceIntervalLow -or ($mean.ConfidenceIntervalHigh - $mean.ConfidenceIntervalLow) / 2 -ge 5
        $LASTEXITCODE | Should -Be $(if (@($out | Where-Object IsRegression).Count -gt 0) { 1 } elseif ($undecided) { 3 } else { 0 })
        @(Get-ChildItem $dir).Count | Should -Be 2
    }
}

Describe 'Invoke-NightlyLatencyCheck.ps1 exit codes and log' {
    BeforeAll {
        $nightly = "$PSScriptRoot/../../docs/examples/Invoke-NightlyLatencyCheck.ps1"
        $moduleRoot = (Resolve-Path "$PSScriptRoot/../../out").Path
        # A fresh pwsh, as cron starts it: the .NET tool's pwsh runs under dotnet.
        . "$PSScriptRoot/TestHelpers.ps1"
        $exe = (Get-FreshPwsh).FilePath
        $pwshArgs = (Get-FreshPwsh).ArgumentList
        function Invoke-Cron([string[]] $ScriptArgs, [hashtable] $Environment = @{}, [string] $Log) {
            $saved = @{}
            foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
            try { & $exe @pwshArgs -NoProfile -NonInteractive -File $nightly @ScriptArgs *> $Log }
            finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
            $LASTEXITCODE
        }
    }
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    }

    It 'exits 2, not 1, on bad arguments' {
        & $nightly -HistoryPath $dir -Duration abc -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        & $nightly -HistoryPath $dir -Iterations 0 -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        & $nightly -HistoryPath $dir -TestName TCP_STREAM -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        & $nightly -ErrorAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        Test-Path $dir | Should -BeFalse -Because 'nothing is measured or written'
    }

    It 'exits 2 for an unknown argument given on the command line, as cron gives it' {
        $log = Join-Path $TestDrive 'unknown.log'
        Invoke-Cron @('-HistoryPath', $dir, '-Bogus', '1') @{ PSModulePath = $moduleRoot } $log | Should -Be 2
        Get-Content $log -Raw | Should -Match 'Unknown argument'
    }

    It 'exits 2 when the OnloadTools module is missing' {
        $log = Join-Path $TestDrive 'nomodule.log'
        $empty = New-Item -ItemType Directory (Join-Path $TestDrive 'no-modules') -Force
        Invoke-Cron @('-HistoryPath', $dir) @{ PSModulePath = $empty.FullName } $log | Should -Be 2
        Get-Content $log -Raw | Should -Match 'OnloadTools module cannot be loaded'
    }

    It 'exits 2 when the netserver is unreachable (real netperf against a closed port)' -Skip:$noNetperf {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $closed = $listener.LocalEndpoint.Port; $listener.Stop()
        & $nightly -HistoryPath $dir -TestName TCP_RR -Duration 1 -Iterations 2 -ComputerName 127.0.0.1 -Port $closed `
            -ErrorVariable e -ErrorAction SilentlyContinue -InformationVariable info -WarningAction SilentlyContinue
        $LASTEXITCODE | Should -Be 2
        ($e | ForEach-Object FullyQualifiedErrorId) -join ' ' | Should -Match 'NetserverUnreachable'
        ($info | ForEach-Object { "$_" }) | Should -Contain 'TCP_RR: BROKEN, nothing measured (see the errors above)'
    }

    It 'states the verdict of each test in a line of its own, at most 80 columns' {
        foreach ($n in 1..3) {
            New-SyntheticRun -Night $n | Export-LatencyRun -Path $dir
            New-SyntheticRun -Night $n -Test UDP_RR -Mean 18 | Export-LatencyRun -Path $dir
        }
        $tonight = @(New-SyntheticRun -Night 4 -Mean 26), (New-SyntheticRun -Night 4 -Test UDP_RR -Mean 18.02)
        $null = & $nightly -HistoryPath $dir -TonightRun $tonight -InformationVariable info -WarningAction SilentlyContinue
        $LASTEXITCODE | Should -Be 1
        $lines = @($info | ForEach-Object { "$_" })
        $lines | Should -HaveCount 2
        $lines[0] | Should -Match '^TCP_RR: REGRESSION; Mean 20 -> 26 us \(\+30\.0 %, 95% CI \+\d'
        $lines[1] | Should -Match '^UDP_RR: ok, Equivalent; Mean 18 -> 18\.02 us'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }
    }

    It 'goes on after a failed iteration: the next iterations and tests are measured, the log has every verdict' -Skip:$noNetperf {
        # netperf fails once (the second measuring call: TCP_RR's second iteration) and is the real netperf otherwise.
        $bin = New-Item -ItemType Directory (Join-Path $TestDrive 'flaky-bin') -Force
        $real = (Get-Command netperf -CommandType Application)[0].Source
        $counter = Join-Path $TestDrive 'netperf-calls'
        Set-Content -Path "$bin/netperf" -Value @"
#!/bin/sh
case " `$* " in *" -V "*) exec $real "`$@" ;; esac
n=`$(cat $counter 2>/dev/null || echo 0); n=`$((n + 1)); echo `$n > $counter
if [ "`$n" = 2 ]; then echo "send_omni: recv_response: Connection reset by peer" >&2; exit 1; fi
exec $real "`$@"
"@
        chmod +x "$bin/netperf"
        $log = Join-Path $TestDrive 'night.log'
        $code = Invoke-Cron @('-HistoryPath', $dir, '-TestName', 'TCP_RR,UDP_RR', '-Duration', '1', '-Iterations', '2') `
            @{ PSModulePath = $moduleRoot; PATH = "$bin$([IO.Path]::PathSeparator)$env:PATH"; COLUMNS = '80' } $log
        $text = Get-Content $log
        $code | Should -Be 0 -Because ($text -join "`n")
        Get-Content $counter | Should -Be 4 -Because 'all four iterations were attempted'
        $runs = @(Import-LatencyRun -Path $dir)
        $runs.TestName | Should -Be @('TCP_RR', 'UDP_RR')
        $runs.Status | Should -Not -Contain 'InProgress'
        ($runs | Where-Object TestName -eq TCP_RR).IterationsFailed | Should -Be 1
        ($runs | Where-Object TestName -eq UDP_RR).Status | Should -Be 'Completed'
        $verdicts = @($text | Where-Object { $_ -match '^(TCP_RR|UDP_RR): ' })
        $verdicts | Should -HaveCount 2
        $verdicts | ForEach-Object { $_ | Should -Match 'FIRST NIGHT' ; $_.Length | Should -BeLessOrEqual 80 }
    }
}

# The nightly verdict as the log shows it (issue 16 item 5, issue 17 item 13): UNDECIDED when the interval is too wide,
# the interval's level in every line, and a cron log of plain text in 80 columns.
Describe 'Invoke-NightlyLatencyCheck.ps1 verdict lines and cron log' {
    BeforeAll {
        $nightly = "$PSScriptRoot/../../docs/examples/Invoke-NightlyLatencyCheck.ps1"
        $moduleRoot = (Resolve-Path "$PSScriptRoot/../../out").Path
        $exe = [Environment]::ProcessPath
        $pwshArgs = @(if ((Split-Path -Leaf $exe) -like 'dotnet*') { "$PSHOME/pwsh.dll" })
        # A night of the given iteration means.
        function New-NoisyRun([double[]] $Means, [int] $Night) {
            $run = New-SyntheticRun -Night $Night
            $run.Samples = [OnloadTools.LatencySample[]]@(for ($i = 0; $i -lt $Means.Count; $i++) {
                    $m = $Means[$i]
                    [OnloadTools.LatencySample]@{ TestName = 'TCP_RR'; Iteration = $i + 1; Label = 'nightly'; MeanLatency = $m; MinLatency = $m * 0.8
                        P50Latency = $m * 0.97; P99Latency = $m * 1.5; StdDevLatency = $m * 0.1; TransactionRate = 1e6 / $m }
                })
            $run
        }
    }
    BeforeEach {
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    }

    It 'says UNDECIDED (could detect only ±N %), never ok, and exits 3 when the interval is too wide for the threshold' {
        foreach ($n in 1..3) { New-SyntheticRun -Night $n | Export-LatencyRun -Path $dir }
        $tonight = New-NoisyRun -Night 4 -Means 12, 31, 17, 26, 14, 24
        $out = & $nightly -HistoryPath $dir -TonightRun $tonight -TestName TCP_RR -InformationVariable info -WarningAction SilentlyContinue -ErrorVariable e
        $LASTEXITCODE | Should -Be 3
        $e | Should -BeNullOrEmpty
        $mean = $out | Where-Object Metric -eq 'Mean'
        $mean.IsRegression | Should -BeFalse
        $half = if ($null -ne $mean.PrecisionPercent) { $mean.PrecisionPercent } else { ($mean.ConfidenceIntervalHigh - $mean.ConfidenceIntervalLow) / 2 }
        $half | Should -BeGreaterOrEqual 5 -Because 'the night is built too noisy to detect a 5 % regression'
        $lines = @($info | ForEach-Object { "$_" })
        $lines | Should -HaveCount 2
        # The same numbers as the comparison object, at its level.
        $ci = '{0:+0.0;-0.0;0.0}..{1:+0.0;-0.0;0.0} %' -f $mean.ConfidenceIntervalLow, $mean.ConfidenceIntervalHigh
        $lines[0] | Should -BeLike ('TCP_RR: UNDECIDED (could detect only ±{0:0.0} %); Mean *95% CI {1}*' -f $half, $ci)
        $lines[0] | Should -Not -Match '\bok\b'
        $lines[1] | Should -Be 'UNDECIDED: 1 test(s) could not have detected a 5 % regression (exit 3)'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 }

        # A threshold the interval can detect: the same night is decided (ok), exit 0.
        foreach ($n in 1..3) { New-SyntheticRun -Night $n | Export-LatencyRun -Path "$dir-2" }
        $null = & $nightly -HistoryPath "$dir-2" -TonightRun $tonight -TestName TCP_RR -RegressionThreshold ([math]::Ceiling($half) + 1) -EquivalenceMargin 1 -InformationVariable info3 -WarningAction SilentlyContinue
        $LASTEXITCODE | Should -Be 0
        "$($info3[0])" | Should -Match '^TCP_RR: ok, \w+; Mean '
    }

    It 'a regression wins over an undecided test (exit 1)' {
        foreach ($n in 1..3) {
            New-SyntheticRun -Night $n | Export-LatencyRun -Path $dir
            New-SyntheticRun -Night $n -Test UDP_RR -Mean 18 | Export-LatencyRun -Path $dir
        }
        $noisy = New-NoisyRun -Night 4 -Means 12, 31, 17, 26, 14, 24
        $noisy.TestName = 'UDP_RR'; $noisy.Samples | ForEach-Object { $_.TestName = 'UDP_RR' }
        $null = & $nightly -HistoryPath $dir -TonightRun (New-SyntheticRun -Night 4 -Mean 26), $noisy -InformationVariable info -WarningAction SilentlyContinue
        $LASTEXITCODE | Should -Be 1
        $lines = @($info | ForEach-Object { "$_" })
        $lines[0] | Should -Match '^TCP_RR: REGRESSION; '
        $lines[1] | Should -Match '^UDP_RR: UNDECIDED \(could detect only ±'
    }

    It 'writes a cron log (env -i, pwsh -File, redirected) of plain text: no escape sequences, warnings in 80 columns' -Skip:$noNetperf {
        # A history whose last line is torn (a warning from Import-LatencyRun) in a folder with a long path (the
        # first night's warning names it): both warnings are longer than 80 columns unless wrapped.
        $deep = New-Item -ItemType Directory (Join-Path $dir 'var/lib/onloadtools/history-of-the-nightly-latency-check-on-this-host') -Force
        $history = Join-Path $deep 'history.jsonl'
        Set-Content -LiteralPath $history -Value '{"RunId":"torn' -NoNewline
        $log = Join-Path $TestDrive 'cron.log'
        & /usr/bin/env -i "PATH=$env:PATH" "HOME=$HOME" "PSModulePath=$moduleRoot" $exe @pwshArgs -NoProfile -NonInteractive -File $nightly `
            -HistoryPath $history -TestName TCP_RR -Duration 1 -Iterations 1 *> $log
        $code = $LASTEXITCODE
        $raw = Get-Content -Raw $log
        $code | Should -Be 0 -Because $raw
        $raw | Should -Not -Match "`e" -Because 'a log that is not a terminal is plain text'
        $lines = @(Get-Content $log)
        @($lines | Where-Object { $_ -like 'WARNING: *' }).Count | Should -BeGreaterOrEqual 2 -Because $raw
        $lines | Where-Object { $_ -like 'WARNING: *no baseline*' } | Should -HaveCount 1
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 80 -Because "'$_' is a line of the cron log" }
        $lines | Where-Object { $_ -match '^TCP_RR: FIRST NIGHT' } | Should -HaveCount 1
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
