#Requires -Version 7.4
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.5.0' }
# Export-LatencyReport, opened in Debian's headless chromium. (The report's content from comparisons is tested in xunit:
# Reporting/ReportTests.cs.)

BeforeAll {
    . "$PSScriptRoot/TestHelpers.ps1"
    $script:Manifest = Get-OnloadToolsManifest
    Import-Module $script:Manifest -Force

    # A run as a hashtable (Export-LatencyReport binds hashtables with TestName and Samples, like deserialized runs).
    function script:New-Run([string] $Label, [string] $Test, [double] $Mean, [int] $Iterations, [datetime] $Start, [int] $Seed) {
        $rng = [Random]::new($Seed)
        $samples = foreach ($i in 1..$Iterations) {
            $m = $Mean * (1 + 0.02 * ($rng.NextDouble() * 2 - 1))
            @{ TestName = $Test; Iteration = $i; Label = $Label; MeanLatency = $m; MinLatency = 0.8 * $m; P50Latency = 0.97 * $m
               P90Latency = 1.2 * $m; P99Latency = 1.5 * $m; MaxLatency = 3 * $m; StdDevLatency = 0.1 * $m; TransactionRate = 1e6 / $m
               StartTime = $Start.AddSeconds(10 * $i) }
        }
        @{ RunId = [guid]::NewGuid().ToString('N'); Label = $Label; TestName = $Test; StartTime = $Start; Status = 'Completed'; Samples = @($samples) }
    }

    function script:Invoke-Chromium([string[]] $Arguments) {
        $chromium = @('/usr/bin/chromium', '/usr/bin/chromium-browser') | Where-Object { Test-Path $_ } | Select-Object -First 1
        if (-not $chromium) { throw "chromium is not installed: run 'apt-get install -y chromium' (these tests never skip)." }
        $profile = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
        try {
            $err = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())
            $out = & $chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking `
                --disable-component-update --disable-sync --disable-dev-shm-usage "--user-data-dir=$profile" @Arguments 2> $err
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Out = ($out -join "`n"); Err = (Get-Content -Raw $err) }
            Remove-Item $err -ErrorAction Ignore
        }
        finally { Remove-Item -Recurse -Force $profile -ErrorAction Ignore }
    }

    function script:Assert-Renders([string] $Html, [int] $Canvases, [string] $Png) {
        # [Uri]'/a/path' in PowerShell is a relative Uri (its conversion allows relative ones) whose AbsoluteUri is
        # $null: chromium would be given an empty address and dump an empty page. [Uri]::new takes it as a file path.
        $uri = [Uri]::new($Html).AbsoluteUri
        $uri | Should -BeLike 'file:///*'
        $dom = Invoke-Chromium @('--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000', '--dump-dom', $uri)
        $dom.ExitCode | Should -Be 0 -Because $dom.Err
        $dom.Out | Should -Match 'data-report="rendered"'   # the renderer ran to the end without an error
        $dom.Out | Should -Not -Match 'id="report-errors"'
        $found = [regex]::Matches($dom.Out, '<canvas[^>]*>')
        $found.Count | Should -Be $Canvases
        foreach ($c in $found) {
            $c.Value | Should -Match 'data-rendered="true"'                # a Chart was built on it
            $c.Value | Should -Match 'style="[^"]*height: [1-9][0-9]*px'   # and Chart.js sized it
        }
        ($dom.Err -split "`n" | Where-Object { $_ -match ':CONSOLE|Uncaught' }) | Should -BeNullOrEmpty
        $dom.Err | Should -Not -Match 'Content Security Policy'   # nothing tried to reach out
        $shot = Invoke-Chromium @('--hide-scrollbars', '--window-size=1280,3600', '--virtual-time-budget=5000', "--screenshot=$Png", $uri)
        Test-Path $Png | Should -BeTrue -Because $shot.Err
        $bytes = [IO.File]::ReadAllBytes($Png)
        $bytes[0..3] | Should -Be @(0x89, 0x50, 0x4E, 0x47)
        $bytes.Length | Should -BeGreaterThan 30000 -Because 'a blank page is a small PNG'
    }
}

Describe 'Export-LatencyReport' {
    BeforeEach {
        $script:Dir = (New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid()))).FullName
    }
    AfterEach { Remove-Item -Recurse -Force $script:Dir -ErrorAction Ignore }

    It 'renders real sockperf runs and a nightly history in headless chromium' {
        $html = Join-Path $script:Dir 'report.html'
        $runs = @(
            Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1 -FullDistribution -Label kernel
            Measure-SockperfLatency -Protocol Udp -Iterations 3 -Duration 1 -FullDistribution -Label tuned -Mps 20000
        )
        $nights = 0..4 | ForEach-Object { New-Run nightly TCP_RR $(if ($_ -eq 4) { 23 } else { 20 }) 5 ([datetime]::new(2026, 11, 16, 2, 0, 0, [DateTimeKind]::Utc)).AddDays($_) (40 + $_) }
        $file = $runs + $nights | Export-LatencyReport -Path $html -ReferenceLabel kernel -Title 'Loopback' -PassThru -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        @($file).Count | Should -Be 1
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $html
        $text = Get-Content -Raw $html
        $text | Should -Match 'Against kernel, tuned '
        $text | Should -Match 'Against baseline \(2026-11-1\d 02:00:00\), latest \(2026-11-20 02:00:00\)'
        $text | Should -Match 'full distribution \(every round trip\)'
        $text | Should -Match "default-src 'none'"
        # sockperf section: points, intervals, ladder; nightly section: points, intervals, ladder, trend.
        Assert-Renders $html 7 (Join-Path $script:Dir 'report.png')
        $results = New-Item -ItemType Directory -Force -Path (Join-Path $PSScriptRoot '../../TestResults')
        Copy-Item (Join-Path $script:Dir 'report.png') (Join-Path $results 'latency-report.png') -Force
    }

    It 'states the verdicts in words above the charts, for deserialized runs too' {
        $html = Join-Path $script:Dir 'sub/v.html'
        $runs = @(
            New-Run bare-metal TCP_RR 20 8 ([datetime]'2026-11-20') 1; New-Run container TCP_RR 20.2 8 ([datetime]'2026-11-20') 2
            New-Run bare-metal UDP_RR 18 8 ([datetime]'2026-11-20') 3; New-Run container UDP_RR 22 8 ([datetime]'2026-11-20') 4
        ) | Export-LatencyRun -Path (Join-Path $script:Dir 'v.jsonl') -PassThru   # typed runs
        $remoted = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($runs, 3))
        $remoted[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyRun'
        $out = $remoted | Export-LatencyReport -Path $html -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        $out | Should -BeNullOrEmpty   # no -PassThru: nothing
        $text = Get-Content -Raw $html
        $text | Should -Match 'Against bare-metal, container adds no measurable latency at the mean'
        $text | Should -Match 'REGRESSION'
        $text.IndexOf('<ul class="verdicts">') | Should -BeLessThan $text.IndexOf('<canvas')
        Assert-Renders $html 6 (Join-Path $script:Dir 'v.png')
    }

    It 'keeps sockperf''s properties through deserialization' {
        $run = New-Run kernel UDP_PINGPONG 10 3 ([datetime]'2026-11-20') 7
        $run.Tool = 'sockperf'
        $run.LatencyKind = 'OneWay'
        foreach ($s in $run.Samples) { $s.LatencyKind = 'OneWay'; $s.DistributionPercentiles = 0, 50, 99, 99.99, 100; $s.DistributionLatencies = 5.1, 9.7, 14.2, 80.5, 312.25 }
        $typed = $run | Export-LatencyRun -Path (Join-Path $script:Dir 'sp1.jsonl') -PassThru
        $back = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($typed, 3))
        $back.PSObject.TypeNames[0] | Should -Be 'Deserialized.OnloadTools.LatencyRun'
        $bound = $back | Export-LatencyRun -Path (Join-Path $script:Dir 'sp2.jsonl') -PassThru
        $bound.LatencyKind | Should -Be 'OneWay'
        $bound.Samples[0].DistributionLatencies[4] | Should -Be 312.25
        $bound.Samples[0].DistributionPercentiles.Count | Should -Be 5
    }

    It 'says which side really had Onload, for runs of Invoke-LatencyComparison that came back over remoting' {
        $runs = @(New-Run bare-metal TCP_RR 20 4 ([datetime]'2026-11-20') 11; New-Run container TCP_RR 21 4 ([datetime]'2026-11-20') 12)
        $runs[1].Accelerated = 'False'; $runs[1].Arm = 'B'; $runs[1].ExperimentId = 'e1'; $runs[1].ExperimentOrder = 'A B B A'
        foreach ($s in $runs[1].Samples) { $s.Accelerated = 'False'; $s.Sequence = 1 + $s.Iteration }
        $typed = $runs | Export-LatencyRun -Path (Join-Path $script:Dir 'acc.jsonl') -PassThru
        $remoted = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($typed, 3))
        # Bound back from the property bags (and through the history file), the experiment's facts are all there.
        $bound = $remoted | Export-LatencyRun -Path (Join-Path $script:Dir 'acc2.jsonl') -PassThru
        $back = Import-LatencyRun -Path (Join-Path $script:Dir 'acc2.jsonl') | Where-Object Label -eq container
        foreach ($r in @(($bound | Where-Object Label -eq container), $back)) {
            $r.Accelerated | Should -Be 'False'
            $r.Arm, $r.ExperimentId, $r.ExperimentOrder | Should -Be @('B', 'e1', 'A B B A')
            $r.Samples.Accelerated | Should -Be @('False', 'False', 'False', 'False')
            $r.Samples.Sequence | Should -Be @(2, 3, 4, 5)
        }
        $html = Join-Path $script:Dir 'acc.html'
        $remoted | Export-LatencyReport -Path $html -ReferenceLabel bare-metal
        $text = Get-Content -Raw $html
        $text | Should -Match '<tr><td>container</td><td>1</td><td>[0-9.]+</td><td class="not-accelerated">NOT accelerated \(1 of 1 runs\)</td></tr>'
        $text | Should -Match 'container: Onload was asked for but netperf ran without it in 1 of 1 run'
    }

    It 'does not overwrite with -WhatIf, and overwrites when confirmed' {
        $html = Join-Path $script:Dir 'w.html'
        $runs = @(New-Run a TCP_RR 20 3 ([datetime]'2026-11-20') 1; New-Run b TCP_RR 20 3 ([datetime]'2026-11-20') 2)
        $runs | Export-LatencyReport -Path $html -Title First
        $before = (Get-Item $html).LastWriteTimeUtc
        $text = Get-Content -Raw $html
        $runs | Export-LatencyReport -Path $html -Title Second -WhatIf -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        (Get-Item $html).LastWriteTimeUtc | Should -Be $before
        Get-Content -Raw $html | Should -BeExactly $text
        $runs | Export-LatencyReport -Path $html -Title Second -Confirm:$false
        Get-Content -Raw $html | Should -Match '<title>Second</title>'
    }

    It 'answers the nightly script''s question with the nightly script''s numbers (one baseline rule)' {
        $history = Join-Path $script:Dir 'history'
        # Six ordinary nights and one bad one: pooling the earlier nights and taking their median run disagree.
        $means = 20, 20.2, 40, 20.1, 19.9, 20.3, 20.05
        for ($n = 0; $n -lt 7; $n++) {
            New-Run nightly TCP_RR $means[$n] 6 ([datetime]::new(2026, 11, 1 + $n, 2, 0, 0, [DateTimeKind]::Utc)) (70 + $n) | Export-LatencyRun -Path $history
        }
        $tonight = New-Run nightly TCP_RR 27 6 ([datetime]::new(2026, 11, 8, 2, 0, 0, [DateTimeKind]::Utc)) 99
        $nightly = Join-Path $PSScriptRoot '../../docs/examples/Invoke-NightlyLatencyCheck.ps1'
        $out = & $nightly -HistoryPath $history -TonightRun $tonight -WarningAction SilentlyContinue -InformationAction SilentlyContinue
        $LASTEXITCODE | Should -Be 1
        $scriptMean = $out | Where-Object Metric -eq Mean

        $html = Join-Path $script:Dir 'nightly.html'
        Import-LatencyRun -Path $history | Export-LatencyReport -Path $html
        $json = [regex]::Match((Get-Content -Raw $html), '<script type="application/json" id="report-data">(.*?)</script>', 'Singleline').Groups[1].Value
        $model = $json | ConvertFrom-Json
        $reportMean = $model.sections[0].intervals | Where-Object metric -eq 'Mean latency'
        $reportMean.deltaPercent | Should -Be ([math]::Round($scriptMean.DeltaPercent, 3))
        $reportMean.low | Should -Be ([math]::Round($scriptMean.ConfidenceIntervalLow, 3))
        $model.sections[0].notes -join ' ' | Should -Match "RunId $($scriptMean.ReferenceRunId)"
    }

    It 'draws netperf runs'' percentile ladder only as far as p99 and the maximum' {
        $html = Join-Path $script:Dir 'ladder.html'
        @(New-Run a TCP_RR 20 3 ([datetime]'2026-11-20') 1; New-Run b TCP_RR 21 3 ([datetime]'2026-11-20') 2) | Export-LatencyReport -Path $html
        $json = [regex]::Match((Get-Content -Raw $html), '<script type="application/json" id="report-data">(.*?)</script>', 'Singleline').Groups[1].Value
        $ladder = ($json | ConvertFrom-Json).sections[0].ladder
        $ladder.measuredPercentiles | Should -Be @(50, 90, 99)
        $ladder.topPercentile | Should -Be 99
        $ladder.hasMax | Should -BeTrue
        $ladder.series | ForEach-Object { $_.percentiles | Where-Object { $_ -gt 99 -and $_ -lt 100 } | Should -BeNullOrEmpty }
        Assert-Renders $html 3 (Join-Path $script:Dir 'ladder.png')
    }

    It 'keeps the ±margin in sight when one interval is huge: the axis is clipped and the clipped bars are marked' {
        $html = Join-Path $script:Dir 'clipped.html'
        $start = [datetime]::new(2026, 11, 20, 2, 0, 0, [DateTimeKind]::Utc)
        $steady = New-Run bare-metal TCP_RR 20 6 $start 7
        # A container whose mean latency swings from 5 to 38 µs between iterations (a few huge outliers) while its
        # other metrics stay steady: about the same mean, an interval of ±60 % beside intervals of a few percent.
        $wild = New-Run container TCP_RR 20 6 $start 8
        $k = 0
        foreach ($m in 5, 38, 12, 30, 17, 21) { $wild.Samples[$k++].MeanLatency = $m }
        $steady, $wild | Export-LatencyReport -Path $html -ReferenceLabel bare-metal -EquivalenceMargin 5 -RegressionThreshold 5
        $json = [regex]::Match((Get-Content -Raw $html), '<script type="application/json" id="report-data">(.*?)</script>', 'Singleline').Groups[1].Value
        $model = $json | ConvertFrom-Json
        $model.confidenceLevel | Should -Be 0.95
        $section = $model.sections[0]
        $mean = $section.intervals | Where-Object metric -eq 'Mean latency'
        ($mean.high - $mean.low) | Should -BeGreaterThan 60 -Because 'the specimen must be the wide interval the axis would otherwise follow'
        # The axis holds the ±5 % margin and every estimate, and no more than ±(estimates + 2 × margin) or so.
        $section.intervalAxisMin | Should -BeLessThan -5
        $section.intervalAxisMax | Should -BeGreaterThan 5
        foreach ($i in $section.intervals) {
            $i.deltaPercent | Should -BeGreaterThan $section.intervalAxisMin
            $i.deltaPercent | Should -BeLessThan $section.intervalAxisMax
        }
        ($section.intervalAxisMax - $section.intervalAxisMin) | Should -BeLessThan (($mean.high - $mean.low) / 2)
        $mean.clippedLow | Should -BeTrue
        $mean.clippedHigh | Should -BeTrue
        # The same interval as the comparison's, not a clipped one: only the drawing stops at the edge.
        $cmp = Compare-LatencyRun -ReferenceRun $steady -DifferenceRun $wild | Where-Object Metric -eq 'Mean'
        $mean.low | Should -Be ([math]::Round($cmp.ConfidenceIntervalLow, 3))
        $mean.high | Should -Be ([math]::Round($cmp.ConfidenceIntervalHigh, 3))
        Assert-Renders $html 3 (Join-Path $script:Dir 'clipped.png')
        $results = New-Item -ItemType Directory -Force -Path (Join-Path $PSScriptRoot '../../TestResults')
        Copy-Item (Join-Path $script:Dir 'clipped.png') (Join-Path $results 'latency-report-clipped.png') -Force
    }

    It 'Select-LatencyBaseline picks the median of the last -Count runs, deserialized or not' {
        $runs = for ($n = 0; $n -lt 5; $n++) { New-Run nightly TCP_RR (20, 35, 21, 22, 19)[$n] 3 ([datetime]::new(2026, 11, 1 + $n, 2, 0, 0, [DateTimeKind]::Utc)) $n }
        $typed = $runs | Export-LatencyRun -Path (Join-Path $script:Dir 'b.jsonl') -PassThru
        ($typed | Select-LatencyBaseline).RunId | Should -Be $typed[2].RunId                     # 19 20 [21] 22 35
        ($typed | Select-LatencyBaseline -Count 2).RunId | Should -Be $typed[4].RunId           # [19] 22
        $remoted = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($typed, 3))
        ($remoted | Select-LatencyBaseline).RunId | Should -Be $typed[2].RunId
    }

    It 'refuses an unknown reference label, what is not a run, and a folder as -Path, writing nothing' {
        $runs = @(New-Run a TCP_RR 20 3 ([datetime]'2026-11-20') 1; New-Run b TCP_RR 20 3 ([datetime]'2026-11-20') 2)
        $html = Join-Path $script:Dir 'x.html'
        $err = { $runs | Export-LatencyReport -Path $html -ReferenceLabel nosuch -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReferenceLabelNotFound,OnloadTools.Commands.ExportLatencyReportCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Message | Should -Match "'a', 'b'"
        Test-Path $html | Should -BeFalse

        # Each stray object is a non-terminating error; having no run at all then stops the cmdlet.
        $terminating = $null
        try { 'hello', 42 | Export-LatencyReport -Path $html -ErrorVariable errs -ErrorAction SilentlyContinue } catch { $terminating = $_ }
        ($terminating.FullyQualifiedErrorId -split ',')[0] | Should -Be 'NoLatencyRuns'
        # -ErrorVariable holds the terminating error as the exception that carries it.
        $errs | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_ } else { $_.ErrorRecord } } |
            ForEach-Object { ($_.FullyQualifiedErrorId -split ',')[0] } | Should -Be @('NotALatencyRun', 'NotALatencyRun', 'NoLatencyRuns')
        Test-Path $html | Should -BeFalse

        { $runs | Export-LatencyReport -Path $script:Dir -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReportPathIsDirectory,OnloadTools.Commands.ExportLatencyReportCommand'
    }
}

Describe 'Export-LatencyReport: a one-bucket step of netperf''s whole-µs P50 (issue 16)' {
    It 'does not count it as a regression in the headline' {
        function New-NetperfRun([string] $Label, [double] $P50, [double[]] $Means) {
            $start = [datetime]::new(2026, 11, 20, 2, 0, 0, [DateTimeKind]::Utc)
            $i = 0
            $samples = foreach ($m in $Means) {
                $i++
                @{ TestName = 'TCP_RR'; Iteration = $i; Label = $Label; MeanLatency = $m; MinLatency = 16; P50Latency = $P50; P99Latency = 30
                   StdDevLatency = 3.5; TransactionRate = [math]::Round(1e6 / $m, 3); StartTime = $start.AddSeconds(10 * $i)
                   CommandLine = 'netperf -H 127.0.0.1 -t TCP_RR -l 10 -- -k MIN_LATENCY,MEAN_LATENCY,P50_LATENCY,P99_LATENCY' }
            }
            @{ RunId = [guid]::NewGuid().ToString('N'); Label = $Label; TestName = 'TCP_RR'; StartTime = $start; Status = 'Completed'; Samples = @($samples) }
        }
        $means = 20.00, 20.10, 19.95, 20.05, 20.02, 19.98
        $runs = (New-NetperfRun last-night 19 $means), (New-NetperfRun tonight 20 ($means | ForEach-Object { [math]::Round($_ * 1.02, 2) }))
        $html = Join-Path $TestDrive 'bucket.html'
        $runs | Export-LatencyReport -Path $html -ReferenceLabel last-night -ErrorVariable errs
        $errs | Should -BeNullOrEmpty
        $text = Get-Content -Raw $html
        $text | Should -Match '2 run\(s\) of 1 test\(s\); \d+ comparison\(s\); no regression beyond 5 %'
        $text | Should -Not -Match 'REGRESSION\(S\)|This is a REGRESSION|REGRESSION: '
    }
}
